/* wallet-entry: fetch specifications (NAME[@MINVERSION][=DEST]) and delivery of secrets to
 * their destinations: a sealed memfd, a file on a memory file system, or an environment
 * variable. Not thread-safe (it changes the environment and the descriptor table). */
#ifndef ENTRY_DEST_H
#define ENTRY_DEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "name.h"
#include "status.h"

/* ENT_NONE: fetched only for a template (template.h), delivered nowhere of its own. */
enum ent_kind { ENT_FD, ENT_FILE, ENT_ENV, ENT_NONE };

struct ent_spec {
	char name[CW_NAME_MAX + 1]; /* an object, or a group ending in '/' */
	bool group;
	uint64_t min_version; /* 0: any */
	enum ent_kind kind;
	char target[4096]; /* VAR for fd/env ("" = derived from the name), PATH (a directory for
	                    * a group) for file */
};

struct ent_opts {
	bool allow_disk;
	bool has_uid, has_gid;
	uid_t uid;
	gid_t gid;
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

/* NAME upper-cased, every character outside A-Z0-9 turned into '_', then suffix
 * (db_pass, "_FILE" -> DB_PASS_FILE). false when it does not fit. */
bool ent_var_name(const char *name, const char *suffix, char *out, size_t outsz);

/* Checks a file: destination before anything is fetched: its directory must exist and be on
 * tmpfs or ramfs unless allow_disk. */
cw_status ent_check_file_dest(const struct ent_spec *spec, const struct ent_opts *o, char *err,
                              size_t errsz);

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

#endif
