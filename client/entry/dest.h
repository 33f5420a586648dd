/* wallet-entry: fetch specifications (NAME[@MINVERSION][=DEST]) and delivery of secrets to
 * their destinations: a sealed memfd, a file on a memory file system, an environment variable,
 * one variable per field of a JSON object, or standard output (--print); and the check that no
 * two deliveries land on one variable, file or directory entry. Not thread-safe (it changes
 * the environment and the descriptor table). */
#ifndef ENTRY_DEST_H
#define ENTRY_DEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "name.h"
#include "status.h"

/* ENT_ENVJSON: a JSON object, one variable per top-level field (target: the PREFIX, "" for
 * the name's own, NAME upper-cased plus '_'). ENT_PRINT: standard output (--print).
 * ENT_NONE: fetched only for a template (template.h), delivered nowhere of its own. */
enum ent_kind { ENT_FD, ENT_FILE, ENT_ENV, ENT_ENVJSON, ENT_PRINT, ENT_NONE };

struct ent_spec {
	char name[CW_NAME_MAX + 1]; /* an object, or a group ending in '/' */
	bool group;
	uint64_t min_version; /* 0: any */
	enum ent_kind kind;
	bool optional;     /* --optional: an object the manifest does not list is skipped */
	char target[4096]; /* VAR for fd/env ("" = derived from the name), PATH (a directory for
	                    * a group) for file */
};

struct ent_opts {
	bool allow_disk;
	bool has_uid, has_gid, has_mode;
	uid_t uid;
	gid_t gid;
	mode_t mode; /* of file: deliveries when has_mode (--mode), else 0400 */
};

/* Files written by file: destinations, so that --supervise and failures can delete them. */
struct ent_files {
	char **paths;
	size_t n;
	int *fds; /* memfds handed to PROGRAM: a supervisor closes its copies after the fork */
	size_t nfds;
	char **vars; /* env: variables: a supervisor wipes its copies after the fork */
	size_t nvars;
};

/* Parses one --fetch argument. On CW_ERR_USAGE err says why. */
cw_status ent_parse_spec(const char *arg, struct ent_spec *out, char *err, size_t errsz);

/* Parses a --mode argument: 1 to 4 octal digits, at most 0777, without write permission for
 * the group or others (a secret another user could replace). false when refused. */
bool ent_parse_mode(const char *arg, mode_t *out);

/* NAME upper-cased, every character outside A-Z0-9 turned into '_', then suffix
 * (db_pass, "_FILE" -> DB_PASS_FILE). false when it does not fit. */
bool ent_var_name(const char *name, const char *suffix, char *out, size_t outsz);

/* Checks a file: destination before anything is fetched: its directory must exist and be on
 * tmpfs or ramfs unless allow_disk. */
cw_status ent_check_file_dest(const struct ent_spec *spec, const struct ent_opts *o, char *err,
                              size_t errsz);

/* Checks that standard output may receive a secret (--print): a pipe, a socket, a terminal
 * or another character device, or a regular file on tmpfs or ramfs; a file on a disk file
 * system or a block device only with allow_disk. */
cw_status ent_check_stdout(const struct ent_opts *o, char *err, size_t errsz);

/* Delivers one secret (object objname, which spec selected) to its destination. */
cw_status ent_deliver(const struct ent_spec *spec, const char *objname, const unsigned char *data,
                      size_t len, const struct ent_opts *o, struct ent_files *files, char *err,
                      size_t errsz);

/* Closes the recorded memfds. */
void ent_files_close_fds(struct ent_files *files);
/* Wipes the values of the recorded env: variables in this process and unsets them. */
void ent_files_forget_env(struct ent_files *files);
/* Overwrites and removes every recorded file, then forgets them. */
void ent_files_remove(struct ent_files *files);
void ent_files_free(struct ent_files *files);

/* ---- collisions ----
 * Every place a delivery writes is a slot: a variable (fd:, env:, each field of env-json), a
 * file (file:, each member of a group in its directory; the directory as realpath(3) gives
 * it) or standard output (--print). Two deliveries to one slot are refused, never the last
 * one winning: wallet-entry checks the slots of the names given explicitly before any
 * request (a usage error), and all of them, group members and env-json fields included,
 * once everything is fetched and before anything is delivered (PROGRAM is not run).
 * Any other delivery (templates) adds its own slots with ent_slots_add between
 * ent_spec_slots calls, in the order given on the command line, and is then checked with the
 * rest by ent_slots_check. */
enum ent_slot_kind { ENT_SLOT_VAR, ENT_SLOT_FILE, ENT_SLOT_STDOUT };

struct ent_slot {
	enum ent_slot_kind kind;
	char *key; /* the variable's name or the file's path ("" for standard output) */
	char *who; /* what delivers there, for messages: an object name, "db (field user)" */
	size_t order;
};

/* Initialise with {0}. */
struct ent_slots {
	struct ent_slot *v;
	size_t n, cap;
};

/* Records that who delivers to key; both are copied. CW_ERR_NOMEM on failure. */
cw_status ent_slots_add(struct ent_slots *s, enum ent_slot_kind kind, const char *key,
                        const char *who);

/* Adds the slots of delivering object objname as spec says. data is its content, or NULL
 * before the fetch: then env-json adds nothing, since its fields are not known yet. With
 * data, env-json that is not a JSON object of scalars gives CW_ERR_USAGE with err naming the
 * object and the field. A group spec before the fetch (objname == spec->name) adds nothing. */
cw_status ent_spec_slots(const struct ent_spec *spec, const char *objname,
                         const unsigned char *data, size_t len, struct ent_slots *s, char *err,
                         size_t errsz);

/* CW_ERR_EXISTS when two slots are one, with err naming both deliveries (in the order they
 * were added) and the slot; CW_OK otherwise. Sorts s. */
cw_status ent_slots_check(struct ent_slots *s, char *err, size_t errsz);
void ent_slots_free(struct ent_slots *s);

#endif
