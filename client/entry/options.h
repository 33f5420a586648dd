/* wallet-entry: its options, in one table. Each row drives the getopt_long table, the
 * environment fallback, the keys of the spec file (specfile.h), the list of variables removed
 * from PROGRAM's environment and the usage text, so that an option cannot be added to one and
 * forgotten in another. Where a setting comes from: the command line, else its variable, else
 * the spec file (--spec), else the default. */
#ifndef ENTRY_OPTIONS_H
#define ENTRY_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "dest.h"
#include "templates.h"
#include "walletclient.h"
#include "watch.h"

#define ENT_MAX_URLS 16

struct ent_specfile;

/* What the command line, the environment and the spec file asked for. The strings point into
 * argv, the environment or file; specs and file are owned: ent_args_free releases them. */
struct ent_args {
	const char *urls[ENT_MAX_URLS];
	size_t nurls;
	const char *ca, *cert, *key, *keypass, *gpg_key, *gnupghome, *signer, *signer_key;
	const char *wait, *timeout, *openpgp_name,
	    *mode;             /* as given; parsed into the fields below */
	const char *spec_file; /* --spec */
	wallet_openpgp openpgp;
	long wait_s, timeout_s;
	struct ent_spec *specs;
	size_t nspecs;
	struct ent_templates templates; /* --template (free with ent_templates_free) */
	struct ent_opts o;
	bool supervise, verbose;
	bool print;  /* --print: specs holds that one object (ENT_PRINT), and there is no PROGRAM */
	char **prog; /* NULL with --print, and for a sidecar (--watch: ent_watch_args) */
	struct ent_specfile *file; /* --spec, once read */
	/* --watch, --on-change, --stop-signal, --stop-timeout as given; parsed into w */
	const char *watch_s, *on_change_s, *stop_signal_s, *stop_timeout_s;
	struct ent_watch w;
};

/* One option. A row whose env is set falls back to that variable (when not empty) if the
 * option was not given; the rows of one non-zero group exclude each other there: only the
 * first one given or set falls back. */
struct ent_option {
	const char *name;
	char short_name; /* 0: none */
	const char *arg; /* the argument's name in the usage text; NULL: takes none */
	const char *env; /* NULL: none */
	int group;
	bool repeatable;
	const char *help; /* usage lines after the first are indented by ent_usage */
	/* Takes the argument (NULL for an option without one). Returns -1 to go on, or an exit
	 * status: 2 for a usage error, with the message in err. NULL: the argument (a const
	 * char *) or true (a bool, for an option without argument) is stored at field. */
	int (*set)(struct ent_args *a, const char *arg, char *err, size_t errsz);
	size_t field;
	unsigned flags; /* ENT_OPT_* (true: ENT_OPT_PATH, for rows written before the others) */
};

/* The argument names a file or directory that must be readable (a relative one in the spec
 * file is taken from the file's directory). */
#define ENT_OPT_PATH 1u
/* Not a key of the spec file: --spec itself, and what prints and exits. */
#define ENT_OPT_NOFILE 2u
/* The argument is SRC=DEST with SRC a file (--template): a relative SRC in the spec file is
 * taken from the file's directory, as ENT_OPT_PATH's argument is. */
#define ENT_OPT_SRC 8u
/* Delivers secrets (or keeps them current: --watch and its options): refused with --print,
 * whereas the spec file's and the environment's are left out then (one spec file serves a
 * program and a script). */
#define ENT_OPT_DELIVERY 4u

extern const struct ent_option ent_options[];
extern const size_t ent_noptions;

/* Parses argv and the environment into a. Returns -1 to go on, 0 or 1 after --help or
 * --version (printed on stdout; 1 when writing failed), or 2 for a usage error (the message
 * in err). Not thread-safe (getopt). */
int ent_parse_args(int argc, char **argv, struct ent_args *a, char *err, size_t errsz);

/* Whether the row's argument is a number, which the spec file may give as a JSON integer:
 * an argument named SECONDS, N, UID or GID. */
bool ent_option_numeric(const struct ent_option *o);

/* Releases what ent_parse_args allocated; a is zeroed. */
void ent_args_free(struct ent_args *a);

/* Prints the usage text. */
void ent_usage(FILE *out);

/* A number of seconds, 0 to 86400, in decimal. */
bool ent_parse_seconds(const char *s, long *out);

/* Removes from the environment every variable an option falls back to. */
void ent_unset_own_env(void);

#endif
