/* wallet-entry --watch: see watch.h. */
#define _GNU_SOURCE
#include "watch.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "options.h"
#include "run.h"
#include "secmem.h"
#include "strv.h"

#define WATCH_MAX_S 86400
#define BACKOFF_FLOOR_MS 10000L /* the cap is the larger of this and 4 intervals */

/* ---- options ---- */

static int usage(char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int usage(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
	return 2;
}

static const char *kind_name(enum ent_kind k)
{
	return k == ENT_FD        ? "fd:"
	       : k == ENT_ENV     ? "env:"
	       : k == ENT_ENVJSON ? "env-json:"
	                          : "file:";
}

/* A delivery that a running PROGRAM, or another container, does not see change. */
static int not_a_file(const struct ent_args *a, const char *what, enum ent_kind kind, char *err,
                      size_t errsz)
{
	if (a->prog == NULL)
		return usage(err, errsz,
		             "--watch without PROGRAM (a sidecar) keeps file: deliveries current, "
		             "and %s is delivered as %s, which needs a PROGRAM",
		             what, kind_name(kind));
	return usage(err, errsz,
	             "--on-change %s replaces file: deliveries only, and %s is delivered as %s, "
	             "which a running PROGRAM cannot see change (use file: or --on-change restart)",
	             a->on_change_s, what, kind_name(kind));
}

/* restart, none, or signal:SIG (a signal PROGRAM can handle: not KILL or STOP). */
static bool parse_on_change(const char *s, struct ent_watch *w)
{
	if (strcmp(s, "restart") == 0)
		w->on_change = ENT_ON_RESTART;
	else if (strcmp(s, "none") == 0)
		w->on_change = ENT_ON_NONE;
	else if (strncmp(s, "signal:", 7) == 0 && ent_signal_parse(s + 7, &w->change_sig) &&
	         w->change_sig != SIGKILL && w->change_sig != SIGSTOP)
		w->on_change = ENT_ON_SIGNAL;
	else
		return false;
	return true;
}

/* Only file: deliveries can change under a running PROGRAM, or for other containers (a
 * name fetched only for the templates is delivered nowhere: their DESTs count). */
static int only_files(const struct ent_args *a, char *err, size_t errsz)
{
	for (size_t i = 0; i < a->nspecs; i++) {
		const struct ent_spec *sp = &a->specs[i];
		if (sp->kind != ENT_FILE && sp->kind != ENT_NONE)
			return not_a_file(a, sp->name, sp->kind, err, errsz);
	}
	for (size_t i = 0; i < a->templates.n; i++) {
		const struct ent_spec *d = &a->templates.v[i].dest;
		if (d->kind != ENT_FILE)
			return not_a_file(a, d->name, d->kind, err, errsz);
	}
	return -1;
}

int ent_watch_args(struct ent_args *a, char *err, size_t errsz)
{
	struct ent_watch *w = &a->w;
	*w = (struct ent_watch){0, ENT_ON_RESTART, 0, SIGTERM, 10};
	if (a->watch_s == NULL) {
		if (a->on_change_s != NULL || a->stop_signal_s != NULL || a->stop_timeout_s != NULL)
			return usage(
			    err, errsz,
			    "--on-change, --stop-signal and --stop-timeout go with --watch");
		return -1; /* a missing PROGRAM was refused by then (options.c) */
	}
	if (!ent_parse_seconds(a->watch_s, &w->interval_s) || w->interval_s < 1)
		return usage(err, errsz, "--watch: a whole number of seconds from 1 to %d",
		             WATCH_MAX_S);
	if (a->stop_timeout_s != NULL && !ent_parse_seconds(a->stop_timeout_s, &w->stop_timeout_s))
		return usage(err, errsz, "--stop-timeout: a whole number of seconds from 0 to %d",
		             WATCH_MAX_S);
	if (a->stop_signal_s != NULL && !ent_signal_parse(a->stop_signal_s, &w->stop_sig))
		return usage(err, errsz, "--stop-signal: a signal name (TERM, SIGTERM) or number");
	if (a->on_change_s != NULL && !parse_on_change(a->on_change_s, w))
		return usage(err, errsz,
		             "--on-change: restart, none, or signal:SIG (a signal name or number; "
		             "not KILL or STOP)");
	if (a->nspecs == 0)
		return usage(err, errsz, "--watch: nothing to watch (no --fetch or --template)");
	if (a->prog == NULL) {
		/* a sidecar: it keeps files current for other containers */
		if (a->on_change_s != NULL && w->on_change != ENT_ON_NONE)
			return usage(err, errsz, "--on-change: no PROGRAM to restart or signal");
		w->on_change = ENT_ON_NONE;
		return only_files(a, err, errsz);
	}
	if (!a->supervise)
		return usage(err, errsz,
		             "--watch with a PROGRAM needs --supervise (wallet-entry stays its "
		             "parent to deliver new versions)");
	if (w->on_change != ENT_ON_RESTART)
		return only_files(a, err, errsz);
	return -1;
}

/* ---- the watcher ---- */

/* An object this run delivered. */
struct held {
	char *name;
	uint64_t version; /* the highest version of it ever delivered */
	size_t spec;      /* the --fetch that delivered it */
	bool present;     /* in the set delivered last */
};

struct watcher {
	const struct ent_args *a;
	const struct ent_deliverer *d;
	wallet_client *c;
	struct ent_files *files;
	struct ent_sup sup;
	struct held *h;
	size_t nh;
	long delay_ms;     /* until the next look */
	unsigned failures; /* rounds (a look, and a rotation) that failed in a row */
	bool failed_now;   /* this round failed */
	char note[512];    /* the last state logged that holds a rotation back */
	int stop_sig;      /* SIGTERM or SIGINT came: no more looks, no restart */
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("wallet-entry: watch: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A state that holds rotations back, logged once while it lasts. */
static void note(struct watcher *w, const char *msg)
{
	if (strcmp(w->note, msg) == 0)
		return;
	snprintf(w->note, sizeof w->note, "%s", msg);
	if (msg[0] != '\0')
		say("%s", msg);
}

/* A look or a rotation failed: the next try comes later, doubling up to the larger of four
 * intervals and 10 s; one line each time. */
static void failed(struct watcher *w, const char *what)
{
	long interval = w->a->w.interval_s * 1000;
	long cap = 4 * interval > BACKOFF_FLOOR_MS ? 4 * interval : BACKOFF_FLOOR_MS;
	w->failures++;
	w->failed_now = true;
	w->delay_ms = w->failures == 1 ? 2 * interval : 2 * w->delay_ms;
	if (w->delay_ms > cap)
		w->delay_ms = cap;
	say("%s; %s; next try in %ld s", what,
	    w->a->prog != NULL ? "PROGRAM keeps what it has" : "the files stay as they are",
	    w->delay_ms / 1000);
}

/* A round without failure: the interval again. */
static void answered(struct watcher *w)
{
	if (w->failures > 0)
		say("the wallet answers again, and what it lists checks out; looking every %ld s",
		    w->a->w.interval_s);
	w->failures = 0;
	w->delay_ms = w->a->w.interval_s * 1000;
}

static struct held *find_held(struct watcher *w, size_t spec, const char *name)
{
	for (size_t i = 0; i < w->nh; i++)
		if (w->h[i].spec == spec && strcmp(w->h[i].name, name) == 0)
			return &w->h[i];
	return NULL;
}

/* The highest version of name ever delivered, by any --fetch. */
static uint64_t floor_of(const struct watcher *w, const char *name)
{
	uint64_t v = 0;
	for (size_t i = 0; i < w->nh; i++)
		if (strcmp(w->h[i].name, name) == 0 && w->h[i].version > v)
			v = w->h[i].version;
	return v;
}

/* Records a delivered set; what it lists is what is present now. Appends "NAME vN" for
 * each new version to what (the rotation's log line). false when out of memory. */
static bool record(struct watcher *w, const struct fetched *f, char *what, size_t whatsz)
{
	for (size_t i = 0; i < w->nh; i++)
		w->h[i].present = false;
	for (size_t i = 0; i < w->a->nspecs; i++)
		for (size_t k = 0; k < f[i].n; k++) {
			const char *name = wallet_secret_name(f[i].v[k]);
			uint64_t v = wallet_secret_version(f[i].v[k]);
			struct held *h = find_held(w, i, name);
			if (h == NULL) {
				struct held *nv = realloc(w->h, (w->nh + 1) * sizeof *nv);
				if (nv == NULL)
					return false;
				w->h = nv;
				h = &w->h[w->nh];
				*h = (struct held){strdup(name), 0, i, false};
				if (h->name == NULL)
					return false;
				w->nh++;
			}
			if (v > h->version && floor_of(w, name) < v) {
				size_t used = strlen(what); /* once per name */
				snprintf(what + used, whatsz - used, "%s%s v%llu", used ? ", " : "",
				         name, (unsigned long long)v);
			}
			if (v > h->version)
				h->version = v;
			h->present = true;
		}
	return true;
}

/* Whether group --fetch number i lists a member it did not deliver last time. */
static bool group_grew(struct watcher *w, size_t i)
{
	wallet_list *l = NULL;
	bool grew = false;
	if (wallet_manifest_list(w->c, w->a->specs[i].name, &l) != WALLET_OK)
		return false;
	for (size_t k = 0; k < wallet_list_count(l) && !grew; k++) {
		const struct held *h = find_held(w, i, wallet_list_name(l, k));
		grew = h == NULL || !h->present;
	}
	wallet_list_free(l);
	return grew;
}

enum look { LOOK_FAILED, LOOK_SAME, LOOK_NEW };

/* What the items say about one held object: a change, or a state that holds rotations back
 * (then msg, when still empty, says why). */
static bool item_changed(const struct watcher *w, const struct held *h, const wallet_watch_item *it,
                         char *msg, size_t msgsz)
{
	bool group = w->a->specs[h->spec].group;
	if (!h->present)
		return it->listed > 0; /* a group member back */
	if (it->lower || (it->listed == 0 && !group)) {
		if (msg[0] != '\0')
			return false;
		if (it->lower)
			snprintf(msg, msgsz,
			         "%s: the manifest lists version %llu, below the version %llu "
			         "delivered: not delivered; waiting for a newer one",
			         h->name, (unsigned long long)it->listed,
			         (unsigned long long)h->version);
		else
			snprintf(msg, msgsz,
			         "%s: no longer in this client's manifest (removed, or no longer "
			         "sealed to it): PROGRAM keeps version %llu",
			         h->name, (unsigned long long)h->version);
		return false;
	}
	return it->newer || it->listed == 0; /* newer, or a group member gone */
}

/* Asks the wallet whether anything delivered has changed. */
static enum look look(struct watcher *w)
{
	char err[1024], msg[512] = "";
	size_t newer = 0;
	bool change = false;
	wallet_watch_item *items = calloc(w->nh ? w->nh : 1, sizeof *items);
	if (items == NULL) {
		failed(w, "out of memory");
		return LOOK_FAILED;
	}
	for (size_t i = 0; i < w->nh; i++) {
		items[i].name = w->h[i].name;
		items[i].held = w->h[i].version;
	}
	w->d->quiet(w->a, true);
	wallet_status st = wallet_watch(w->c, items, w->nh, &newer);
	snprintf(err, sizeof err, "%s", wallet_client_error(w->c));
	w->d->quiet(w->a, false);
	if (st != WALLET_OK && st != WALLET_ERR_ROLLBACK) {
		snprintf(msg, sizeof msg, "%s%s%.400s", wallet_strerror(st), err[0] ? ": " : "",
		         err);
		failed(w, msg);
		free(items);
		return LOOK_FAILED;
	}
	for (size_t i = 0; i < w->nh; i++)
		change |= item_changed(w, &w->h[i], &items[i], msg, sizeof msg);
	for (size_t i = 0; i < w->a->nspecs; i++)
		if (w->a->specs[i].group)
			change |= group_grew(w, i);
	free(items);
	note(w, msg);
	return change && msg[0] == '\0' ? LOOK_NEW : LOOK_SAME;
}

/* Every secret of f at least at the version of it delivered before: one never goes back. */
static bool not_older(struct watcher *w, const struct fetched *f)
{
	char msg[512];
	for (size_t i = 0; i < w->a->nspecs; i++)
		for (size_t k = 0; k < f[i].n; k++) {
			const char *name = wallet_secret_name(f[i].v[k]);
			uint64_t v = wallet_secret_version(f[i].v[k]), low = floor_of(w, name);
			if (v < low) {
				snprintf(
				    msg, sizeof msg,
				    "%s: version %llu fetched, below the version %llu delivered: "
				    "not delivered",
				    name, (unsigned long long)v, (unsigned long long)low);
				note(w, msg);
				return false;
			}
		}
	return true;
}

static bool has_path(char *const *v, size_t n, const char *p)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], p) == 0)
			return true;
	return false;
}

/* After a delivery: the files the set before wrote and this one did not (a group member
 * that left) are wiped and removed. After a failed one, every path is kept for the removal
 * at the end. Takes old. */
static void settle_paths(struct ent_files *files, char **old, size_t nold, bool delivered)
{
	struct ent_files stale = {0};
	for (size_t i = 0; i < nold; i++) {
		if (!has_path(files->paths, files->n, old[i]) &&
		    cw_strv_add(delivered ? &stale.paths : &files->paths,
		                delivered ? &stale.n : &files->n, old[i]) != CW_OK)
			say("out of memory: %s is no longer tracked", old[i]);
		free(old[i]);
	}
	free(old);
	ent_files_remove(&stale);
}

/* The new set, fetched, checked and delivered (memfds and variables still held here for a
 * restart). false when nothing changed for PROGRAM. */
static bool deliver_new(struct watcher *w, char *what, size_t whatsz)
{
	const struct ent_args *a = w->a;
	struct fetched *f = calloc(a->nspecs, sizeof *f);
	char **old = w->files->paths;
	size_t nold = w->files->n;
	int rc = 1;
	if (f == NULL) {
		failed(w, "out of memory");
		return false;
	}
	w->d->quiet(a, true);
	size_t nfail = w->d->fetch(w->c, a, f);
	w->d->quiet(a, false);
	if (nfail > 0) {
		failed(w, "the new versions could not all be fetched (lines above)");
	} else if (not_older(w, f)) {
		w->files->paths = NULL;
		w->files->n = 0;
		rc = w->d->deliver(a, f, w->files);
		if (rc < 0 && !record(w, f, what, whatsz))
			say("out of memory while recording the versions delivered");
		settle_paths(w->files, old, nold, rc < 0);
		if (rc >= 0) {
			ent_files_close_fds(w->files);
			ent_files_forget_env(w->files);
			failed(w, "the new versions could not be delivered (line above)");
		}
	}
	w->d->free(f, a->nspecs);
	/* what the deliveries left below this frame (setenv copies through the stack) */
	(void)cw_scrub_stack((size_t)64 << 10);
	return rc < 0;
}

/* PROGRAM stopped and started again with the new set. false when it is not running any
 * more (it ended on its own, or wallet-entry was asked to stop meanwhile). */
static bool restart(struct watcher *w)
{
	const struct ent_watch *o = &w->a->w;
	pid_t before = w->sup.child;
	bool running = false;
	if (ent_sup_stop(&w->sup, o->stop_sig, o->stop_timeout_s, &w->stop_sig) &&
	    w->stop_sig == 0 && ent_sup_spawn(&w->sup, w->a->prog, w->files)) {
		say("PROGRAM restarted (pid %ld, was %ld)", (long)w->sup.child, (long)before);
		running = true;
	}
	ent_files_close_fds(w->files);
	ent_files_forget_env(w->files);
	return running;
}

/* One rotation. false when PROGRAM is not running any more. */
static bool rotate(struct watcher *w)
{
	char what[512] = "";
	if (!deliver_new(w, what, sizeof what))
		return true;
	say("delivered %s", what[0] ? what : "the set again (a group member left)");
	switch (w->a->w.on_change) {
	case ENT_ON_RESTART:
		return restart(w);
	case ENT_ON_SIGNAL:
		ent_sup_forward(&w->sup, w->a->w.change_sig);
		return true;
	case ENT_ON_NONE:
		return true;
	}
	return true;
}

/* Until PROGRAM ends (its status), or a sidecar is stopped (0). */
static int loop(struct watcher *w)
{
	bool program = w->a->prog != NULL;
	long next = now_ms() + w->delay_ms;
	for (;;) {
		long left = next - now_ms();
		if (left <= 0 && w->stop_sig == 0) {
			/* a wallet that answers but whose new versions fail keeps backing off too
			 */
			w->failed_now = false;
			if (look(w) == LOOK_NEW && !rotate(w))
				return w->sup.status;
			if (!w->failed_now)
				answered(w);
			next = now_ms() + w->delay_ms;
			continue;
		}
		bool exited = false;
		int sig =
		    ent_sup_wait(&w->sup, w->stop_sig != 0 || left > 1000 ? 1000 : left, &exited);
		if (exited)
			return w->sup.status;
		if (sig == 0 || sig == SIGCHLD)
			continue;
		if (sig == SIGTERM || sig == SIGINT)
			w->stop_sig = sig;
		if (!program && w->stop_sig != 0)
			return 0;
		ent_sup_forward(&w->sup, sig);
	}
}

int ent_watch_run(const struct ent_args *a, const struct ent_deliverer *d, wallet_client *c,
                  struct fetched *first, struct ent_files *files, const struct rlimit *core)
{
	struct watcher w = {.a = a, .d = d, .c = c, .files = files};
	char what[512] = "";
	int rc = 1;
	w.delay_ms = a->w.interval_s * 1000;
	bool ok = record(&w, first, what, sizeof what);
	d->free(first, a->nspecs);
	if (!ok)
		fprintf(stderr, "wallet-entry: out of memory\n");
	else if (ent_sup_init(&w.sup, core, a->verbose) &&
	         (a->prog == NULL || ent_sup_spawn(&w.sup, a->prog, files))) {
		ent_files_close_fds(files);
		ent_files_forget_env(files);
		if (a->verbose)
			say("looking for new versions every %ld s", a->w.interval_s);
		rc = loop(&w);
	}
	ent_files_close_fds(files);
	ent_files_forget_env(files);
	ent_files_remove(files);
	d->quiet(a, true);
	wallet_client_free(c); /* the throwaway GNUPGHOME too (gnupg engine) */
	d->quiet(a, false);
	for (size_t i = 0; i < w.nh; i++)
		free(w.h[i].name);
	free(w.h);
	return rc;
}
