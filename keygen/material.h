/* Builds the key material of a deployment into a kg_files set (nothing touches the disk
 * until the caller publishes the set). Shared by the ca, server, client and init commands.
 * Not thread-safe per object. */
#ifndef KG_MATERIAL_H
#define KG_MATERIAL_H

#include "outfiles.h"
#include "x509.h"

#define KG_MODE_PUBLIC 0644
#define KG_MODE_SECRET 0600

/* Issues a self-signed CA and adds DIR/ca.crt and DIR/ca.key (dir "" = top). When ca_out is
 * not NULL it receives the CA, ready to sign leaves (free with kg_ca_free). */
cw_status kg_add_ca(kg_files *fs, const char *dir, const kg_cert_req *req, kg_rng *rng,
                    kg_ca *ca_out, char *err, size_t errsz);

/* Issues a leaf signed by ca and adds dir/CRT_NAME, dir/KEY_NAME and a copy of the CA
 * certificate as dir/ca.crt. */
cw_status kg_add_leaf(kg_files *fs, const char *dir, const char *crt_name, const char *key_name,
                      const kg_cert_req *req, kg_ca *ca, kg_rng *rng, char *err, size_t errsz);

#endif
