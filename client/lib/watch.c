/* libwalletclient: what a watcher (wallet-entry --watch) asks between two deliveries: which of
 * the objects it delivered has a newer version in the client's manifest, asked for with a
 * conditional request on a connection that does not outlive the poll. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "name.h"
#include "wc_internal.h"

/* The poll's request closes its connection afterwards (wallet_watch in walletclient.h). */
static cw_status poll_manifest(wallet_client *c)
{
	bool changed;
	/* the start is over: from now on each URL is tried once, the watcher backs off itself */
	c->wait_started = true;
	clock_gettime(CLOCK_MONOTONIC, &c->wait_deadline);
	cw_status st = wc_signer_ensure(c);
	if (st != CW_OK)
		return st;
	wc_urls_new_round(c);
	c->close_after_get = true;
	st = wc_manifest_load(c, &changed);
	c->close_after_get = false;
	return st;
}

WALLET_API wallet_status wallet_watch(wallet_client *c, wallet_watch_item *items, size_t n,
                                      size_t *newer)
{
	size_t k = 0;
	const char *low = NULL;
	if (newer != NULL)
		*newer = 0;
	if (c == NULL || (items == NULL && n > 0))
		return WALLET_ERR_USAGE;
	c->err[0] = '\0';
	for (size_t i = 0; i < n; i++)
		if (items[i].name == NULL || !cw_name_valid(items[i].name, strlen(items[i].name))) {
			wc_err(c, "invalid object name");
			return WALLET_ERR_NAME;
		}
	cw_status st = poll_manifest(c);
	if (st != CW_OK)
		return wc_status_public(st);
	for (size_t i = 0; i < n; i++) {
		wallet_watch_item *it = &items[i];
		const struct wc_mf_entry *e = wc_manifest_find(&c->mf, it->name);
		it->listed = e != NULL ? e->version : 0;
		it->newer = it->listed > it->held;
		it->lower = e != NULL && it->listed < it->held;
		k += (size_t)it->newer;
		if (it->lower && low == NULL)
			low = it->name;
	}
	if (newer != NULL)
		*newer = k;
	if (low != NULL) {
		wc_err(c, "the manifest lists %.255s below the version held", low);
		return WALLET_ERR_ROLLBACK;
	}
	return WALLET_OK;
}

WALLET_API wallet_status wallet_manifest_list(wallet_client *c, const char *prefix,
                                              wallet_list **out)
{
	wallet_list *l = NULL;
	size_t plen;
	cw_status st;
	if (out == NULL)
		return WALLET_ERR_USAGE;
	*out = NULL;
	if (c == NULL)
		return WALLET_ERR_USAGE;
	c->err[0] = '\0';
	if (prefix == NULL)
		prefix = "";
	plen = strlen(prefix);
	if (plen > 0 && !cw_group_valid(prefix, plen) && !cw_name_valid(prefix, plen)) {
		wc_err(c, "invalid prefix");
		return WALLET_ERR_NAME;
	}
	if (!c->mf_loaded && (st = wc_manifest_ensure(c)) != CW_OK)
		return wc_status_public(st);
	if ((l = calloc(1, sizeof *l)) == NULL ||
	    (l->v = calloc(c->mf.n ? c->mf.n : 1, sizeof *l->v)) == NULL)
		goto nomem;
	for (size_t i = 0; i < c->mf.n; i++) {
		const struct wc_mf_entry *e = &c->mf.v[i];
		if (strncmp(e->name, prefix, plen) != 0)
			continue;
		struct wallet_list_entry *d = &l->v[l->n++];
		d->version = e->version;
		d->size = e->size;
		if ((d->name = strdup(e->name)) == NULL || (d->created = strdup("")) == NULL)
			goto nomem;
	}
	*out = l;
	return WALLET_OK;
nomem:
	wallet_list_free(l);
	return WALLET_ERR_NOMEM;
}
