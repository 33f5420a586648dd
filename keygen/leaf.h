/* The shared body of `wallet-keygen server` and `wallet-keygen client`: a key pair and a
 * certificate signed by an existing CA (--ca DIR), written with a copy of the CA certificate. */
#ifndef KG_LEAF_H
#define KG_LEAF_H

#include "cli.h"
#include "x509.h"

/* Returns the exit status. kind is KG_CERT_SERVER (accepts --san) or KG_CERT_CLIENT. */
int kg_leaf_command(const char *cmd, kg_cert_kind kind, int argc, char **argv, cw_usage_fn usage);

#endif
