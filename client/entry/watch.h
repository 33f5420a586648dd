/* wallet-entry --watch: live rotation. Between two looks at the client's signed manifest
 * (a conditional request, wallet_watch) wallet-entry waits on signals and PROGRAM's exit;
 * when a new version of something it delivered is listed, it fetches and verifies the whole
 * set again through the same steps as at start, and re-delivers it: PROGRAM restarted with
 * everything fresh (--on-change restart, the default), or file: deliveries replaced by
 * rename(2) and PROGRAM signalled (signal:SIG) or not (none). Without PROGRAM (a sidecar) it
 * keeps file: deliveries current for other containers and removes them when stopped.
 * docs/DESIGN.md ("Rotation") states the guarantees. */
#ifndef ENTRY_WATCH_H
#define ENTRY_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>

#include "dest.h"
#include "walletclient.h"

struct ent_args;

enum ent_on_change { ENT_ON_RESTART, ENT_ON_SIGNAL, ENT_ON_NONE };

/* --watch and what goes with it, parsed (ent_watch_args). */
struct ent_watch {
	long interval_s; /* 0: not watching */
	enum ent_on_change on_change;
	int change_sig;      /* signal:SIG */
	int stop_sig;        /* --stop-signal, default SIGTERM */
	long stop_timeout_s; /* --stop-timeout, default 10 */
};

/* Checks and converts the watch options of a (after the environment filled in what the
 * command line left out): -1 to go on, or 2 with a message in err. Also where a missing
 * PROGRAM is refused, since a sidecar (--watch, only file: deliveries) needs none. */
int ent_watch_args(struct ent_args *a, char *err, size_t errsz);

/* The secrets one --fetch brought: one object, or a group's members (main.c fills it; the
 * name is main.c's own, kept so that its code reads unchanged). */
struct fetched {
	wallet_secret **v;
	size_t n;
};

/* The start-up path of main.c, which a rotation takes again: the very same fetch and the
 * very same delivery (a template rendering added to deliver re-renders on rotation too). */
struct ent_deliverer {
	/* Fetches every --fetch into f (a->nspecs entries, zeroed), one line per failure;
	 * returns the number of failures. */
	size_t (*fetch)(wallet_client *c, const struct ent_args *a, struct fetched *f);
	/* Delivers every secret of f, recording what it made in files: -1, or an exit status
	 * after a line saying what failed. */
	int (*deliver)(const struct ent_args *a, struct fetched *f, struct ent_files *files);
	/* Wipes and frees f (a->nspecs entries; NULL accepted). */
	void (*free)(struct fetched *f, size_t n);
	/* Sends the libraries' stderr to /dev/null while they work (on), and back (off). */
	void (*quiet)(const struct ent_args *a, bool on);
};

/* Runs PROGRAM (a->prog; NULL for a sidecar) supervised and watches until it exits, or until
 * SIGTERM or SIGINT stops it all; returns the exit status (PROGRAM's, or 0 for a stopped
 * sidecar). Takes c (freed at the end) and first, the set delivered at start (recorded and
 * freed at once); files holds what the deliveries made, removed at the end. core: PROGRAM's
 * core-dump limit. */
int ent_watch_run(const struct ent_args *a, const struct ent_deliverer *d, wallet_client *c,
                  struct fetched *first, struct ent_files *files, const struct rlimit *core);

#endif
