/* Shared by the unit suites that drive wallet/objstore with fake sealed bytes (objstore never
 * looks inside them). Include after cmocka_common.h. */
#ifndef SPEC_OBJSTORE_FIXTURE_H
#define SPEC_OBJSTORE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objstore.h"

#define FPR "0123456789ABCDEF0123456789ABCDEF01234567"

/* Publishes content as the next version of name for app1; returns the version. */
static inline uint64_t publish(ws_store *st, const char *name, const char *content)
{
	ws_txn *t;
	ws_recipient r = {.client = "app1", .fingerprint = FPR};
	assert_int_equal(ws_publish_begin(st, name, &t), CW_OK);
	ws_object o;
	memset(&o, 0, sizeof o);
	snprintf(o.name, sizeof o.name, "%s", name);
	o.version = ws_txn_version(t);
	ws_time_now(o.created);
	snprintf(o.signer, sizeof o.signer, "%s", FPR);
	o.sealed = (unsigned char *)content;
	o.sealed_len = strlen(content);
	o.sig = (unsigned char *)"sig";
	o.sig_len = 3;
	o.recipients = &r;
	o.nrecipients = 1;
	assert_int_equal(ws_publish_commit(t, &o), CW_OK);
	ws_txn_end(t);
	return o.version;
}

/* A cmocka setup's body: a new data directory made from templ ("/tmp/cwXXXXXXXX", copied
 * into dir) and initialised with FPR as its signing key. 0, or -1 when it cannot be made. */
static inline int fixture_store_new(char *dir, size_t dirsz, const char *templ)
{
	snprintf(dir, dirsz, "%s", templ);
	if (mkdtemp(dir) == NULL)
		return -1;
	return ws_store_create(dir, FPR) == CW_OK ? 0 : -1;
}

#endif
