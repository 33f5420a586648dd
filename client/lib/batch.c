/* libwalletclient: wallet_fetch_many. The HTTP requests share the client's one connection and
 * run one after the other. With the gnupg engine, opening the answers (two gpg processes
 * each: verify, then decrypt) dominates, so that part runs in a few threads, each with a gpg
 * context of its own that the client keeps for later calls. The rnp engine opens in process,
 * in well under a millisecond per object, in this thread. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "name.h"
#include "wc_internal.h"

struct job {
	wallet_request *req;
	struct wc_raw raw;
	bool fetched;
	bool unknown_signer; /* refused for a signer the client lacks: raw kept for a retry */
};

struct work {
	wallet_client *c;
	struct job *jobs;
	size_t n;
	size_t next;
	pthread_mutex_t mu;
};

struct worker {
	struct work *w;
	size_t slot; /* its engine context: wc_engine_ops.thread_ctx */
	pthread_t tid;
	bool started;
};

/* Copies a message, cut at dsz - 1 bytes. */
static void copy_msg(char *dst, size_t dsz, const char *src)
{
	size_t n = strlen(src);
	if (n >= dsz)
		n = dsz - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void open_job(const wallet_client *c, void *ctx, struct job *j)
{
	wallet_request *rq = j->req;
	wallet_secret *s = wc_secret_new(rq->name);
	cw_status st = CW_ERR_NOMEM;
	if (s != NULL) {
		struct wc_opener o = {ctx, c, rq->error, sizeof rq->error, false};
		const struct wc_sealed in = {rq->name,        j->raw.hv,      0,
		                             rq->min_version, j->raw.r.body,  j->raw.r.len,
		                             j->raw.sig,      j->raw.sig_len, j->raw.prechecked};
		st = wc_open_sealed(&o, &in, &s->plain, &s->version);
		j->unknown_signer = st != CW_OK && o.unknown_signer;
	}
	if (st == CW_OK) {
		rq->secret = s;
	} else {
		wallet_secret_free(s);
		if (st == CW_ERR_NOMEM && rq->error[0] == '\0')
			snprintf(rq->error, sizeof rq->error, "out of memory");
	}
	rq->status = wc_status_public(st);
	if (!j->unknown_signer)
		wc_raw_free(&j->raw);
}

/* The jobs refused for a signature by a key the client lacks (a subkey the wallet added
 * since this client fetched its key): once the key is fetched again, opened once more in this
 * thread, after the workers are done. */
static void retry_unknown_signers(wallet_client *c, struct work *w)
{
	bool any = false;
	void *ctx = NULL;
	for (size_t i = 0; i < w->n; i++)
		any = any || w->jobs[i].unknown_signer;
	bool again = any && wc_signer_retry(c, true) && c->engine->thread_ctx(c, 0, &ctx) == CW_OK;
	for (size_t i = 0; i < w->n; i++) {
		struct job *j = &w->jobs[i];
		if (!j->unknown_signer)
			continue;
		if (again) {
			j->req->error[0] = '\0';
			open_job(c, ctx, j);
		}
		j->unknown_signer = false;
		wc_raw_free(&j->raw);
	}
}

static void *worker_main(void *arg)
{
	struct worker *wk = arg;
	struct work *w = wk->w;
	const wallet_client *c = w->c;
	void *ctx = NULL;
	/* made here, in parallel (gnupg: each costs a gpg --version run inside gpgme); the
	 * slot belongs to this worker alone */
	if (c->engine->thread_ctx(c, wk->slot, &ctx) != CW_OK)
		return NULL; /* the other workers take the jobs */
	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (w->next < w->n && !w->jobs[w->next].fetched)
			w->next++;
		size_t i = w->next++;
		pthread_mutex_unlock(&w->mu);
		if (i >= w->n)
			break;
		open_job(c, ctx, &w->jobs[i]);
	}
	return NULL;
}

static size_t worker_count(const wallet_client *c, size_t jobs)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	/* an engine that runs other processes (gpg) spends much of its time waiting for exec,
	 * the agent and I/O: twice the CPUs keeps the CPUs busy */
	size_t k = cpus > 0 ? (size_t)cpus * 2 : 2;
	if (k > c->engine->max_threads)
		k = c->engine->max_threads;
	if (k > WC_MAX_WORKERS)
		k = WC_MAX_WORKERS;
	return k < jobs ? k : jobs;
}

WALLET_API wallet_status wallet_fetch_many(wallet_client *c, wallet_request *reqs, size_t n)
{
	cw_status st = CW_OK;
	struct work w = {.c = c, .n = n};
	struct worker wk[WC_MAX_WORKERS];
	size_t nready = 0, nwk = 0;
	if (c == NULL || (reqs == NULL && n > 0))
		return WALLET_ERR_USAGE;
	c->err[0] = '\0';
	c->signer_refetched = false;
	for (size_t i = 0; i < n; i++) {
		reqs[i].secret = NULL;
		reqs[i].status = WALLET_ERR_INTERNAL;
		reqs[i].error[0] = '\0';
	}
	w.jobs = calloc(n ? n : 1, sizeof *w.jobs);
	if (w.jobs == NULL)
		return WALLET_ERR_NOMEM;
	pthread_mutex_init(&w.mu, NULL);
	/* every name's latest version goes with the manifest's request (wc_plan_next) */
	const char **plan = calloc(n ? n : 1, sizeof *plan);
	for (size_t i = 0; plan != NULL && i < n; i++)
		plan[i] = reqs[i].name;
	c->plan = plan;
	c->nplan = plan != NULL ? n : 0;
	cw_status sst = wc_signer_ensure(c);
	for (size_t i = 0; i < n; i++) {
		struct job *j = &w.jobs[i];
		wallet_request *rq = &reqs[i];
		j->req = rq;
		cw_status rst = sst;
		if (rq->name == NULL) {
			rst = CW_ERR_USAGE;
			snprintf(rq->error, sizeof rq->error, "no name");
		} else if (rst == CW_OK) {
			c->err[0] = '\0';
			rst = wc_fetch_raw(c, rq->name, 0, &j->raw);
		}
		if (rst != CW_OK) {
			rq->status = wc_status_public(rst);
			if (rq->error[0] == '\0')
				copy_msg(rq->error, sizeof rq->error, c->err);
			continue;
		}
		j->fetched = true;
		nready++;
	}
	c->plan = NULL;
	c->nplan = 0;
	free(plan);
	/* every object came through the verified manifest, hence after the engine was ready;
	 * the wait costs nothing then, and keeps the engine's first use behind it */
	if (nready > 0 && (st = wc_engine_ready(c)) != CW_OK) {
		for (size_t i = 0; i < n; i++)
			if (w.jobs[i].fetched) {
				reqs[i].status = wc_status_public(st);
				copy_msg(reqs[i].error, sizeof reqs[i].error, c->err);
				wc_raw_free(&w.jobs[i].raw);
				w.jobs[i].fetched = false;
			}
		nready = 0;
		st = CW_OK;
	}
	/* worker 0 is this thread, with the engine's slot 0 (it always exists) */
	size_t want = worker_count(c, nready);
	for (size_t k = 0; k < want; k++) {
		wk[nwk].w = &w;
		wk[nwk].slot = k;
		wk[nwk].started = false;
		nwk++;
	}
	for (size_t k = 1; k < nwk; k++)
		wk[k].started = pthread_create(&wk[k].tid, NULL, worker_main, &wk[k]) == 0;
	if (nwk > 0)
		worker_main(&wk[0]); /* this thread works too */
	for (size_t k = 1; k < nwk; k++)
		if (wk[k].started)
			pthread_join(wk[k].tid, NULL);
	retry_unknown_signers(c, &w);
	for (size_t i = 0; i < n; i++) {
		if (w.jobs[i].fetched && reqs[i].status == WALLET_ERR_INTERNAL) {
			/* no worker could take it (no gpg context): nothing was decrypted */
			snprintf(reqs[i].error, sizeof reqs[i].error, "no gpg context");
			wc_raw_free(&w.jobs[i].raw);
		}
		if (st == CW_OK && reqs[i].status != WALLET_OK) {
			st = wc_status_internal(reqs[i].status);
			wc_err(c, "%.255s: %.255s", reqs[i].name ? reqs[i].name : "",
			       reqs[i].error);
		}
	}
	pthread_mutex_destroy(&w.mu);
	free(w.jobs);
	return wc_status_public(st);
}
