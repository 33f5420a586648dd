#include "material.h"

#include <stdio.h>
#include <string.h>

#include "fsutil.h"

static cw_status add(kg_files *fs, const char *dir, const char *name, const void *data, size_t len,
                     bool secret, char *err, size_t errsz)
{
	char rel[KG_REL_MAX];
	cw_status st = cw_path(rel, sizeof rel, "%s%s%s", dir, dir[0] ? "/" : "", name);

	if (st == CW_OK)
		st = kg_files_add(fs, rel, data, len, secret ? KG_MODE_SECRET : KG_MODE_PUBLIC,
		                  secret);
	if (st != CW_OK)
		snprintf(err, errsz, "cannot stage %.200s: %s", name, cw_strerror(st));
	return st;
}

cw_status kg_add_ca(kg_files *fs, const char *dir, const kg_cert_req *req, kg_rng *rng,
                    kg_ca *ca_out, char *err, size_t errsz)
{
	kg_issued is;
	cw_status st = kg_issue(req, NULL, rng, &is, err, errsz);

	if (st != CW_OK)
		return st;
	st = add(fs, dir, "ca.crt", is.crt_pem, is.crt_len, false, err, errsz);
	if (st == CW_OK)
		st = add(fs, dir, "ca.key", is.key_pem.data, is.key_pem.len, true, err, errsz);
	if (st == CW_OK && ca_out)
		st = kg_ca_from_pem(ca_out, is.crt_pem, is.crt_len, is.key_pem.data, is.key_pem.len,
		                    err, errsz);
	kg_issued_free(&is);
	return st;
}

cw_status kg_add_leaf(kg_files *fs, const char *dir, const char *crt_name, const char *key_name,
                      const kg_cert_req *req, kg_ca *ca, kg_rng *rng, char *err, size_t errsz)
{
	kg_issued is;
	cw_status st = kg_issue(req, ca, rng, &is, err, errsz);

	if (st != CW_OK)
		return st;
	st = add(fs, dir, crt_name, is.crt_pem, is.crt_len, false, err, errsz);
	if (st == CW_OK)
		st = add(fs, dir, key_name, is.key_pem.data, is.key_pem.len, true, err, errsz);
	if (st == CW_OK)
		st = add(fs, dir, "ca.crt", ca->crt_pem, ca->crt_pem_len, false, err, errsz);
	kg_issued_free(&is);
	return st;
}
