/* wallet-entry: running PROGRAM, either by exec (it becomes this process: same PID, signals
 * go straight to it) or as a supervised child, the way tini does as PID 1. The supervisor's
 * building blocks (ent_sup_*) also serve --watch, which stops and starts PROGRAM again. */
#ifndef ENTRY_RUN_H
#define ENTRY_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "dest.h"

/* A signal by name (TERM or SIGTERM, in any case) or number (1 to SIGRTMAX): the one parser
 * of a signal wallet-entry is given (--stop-signal, --on-change signal:SIG). false for
 * anything else. */
bool ent_signal_parse(const char *s, int *sig);

/* PROGRAM inherits the descriptors wallet-entry was given and the memfds it hands over, and
 * nothing the libraries opened (connections, /dev/urandom, their pipes): the first call,
 * before anything is opened, notes what was given; the second marks every other open
 * descriptor close-on-exec, but those in keep. */
void ent_fds_note_inherited(void);
void ent_fds_cloexec(const int *keep, size_t nkeep);

/* execvp(argv[0], argv). Returns only on failure, with the exit status to use: 127 when the
 * program does not exist, 126 otherwise (a one-line message is printed). */
int ent_exec(char **argv);

/* Forks argv as a child and stays as its parent: forwards every signal but SIGCHLD to it,
 * reaps every zombie (also orphans, as a subreaper), and when the child ends removes the
 * files in files and returns the child's exit code, or 128+signal. core: the core-dump limit
 * the child gets (NULL: this process's). */
int ent_supervise(char **argv, struct ent_files *files, bool verbose, const struct rlimit *core);

/* A supervisor: every signal but the synchronous faults blocked and waited for with
 * sigtimedwait (a real wait, never a busy loop), this process a child subreaper. */
struct ent_sup {
	sigset_t set;              /* the signals waited for */
	sigset_t old;              /* the mask this process was given: PROGRAM starts with it */
	pid_t child;               /* PROGRAM while it runs, else 0 */
	int status;                /* PROGRAM's exit status once it ended (128+N: signal N) */
	const struct rlimit *core; /* PROGRAM's core-dump limit (NULL: this process's) */
	bool verbose;
};

/* false (a line printed) when the signal mask cannot be set. */
bool ent_sup_init(struct ent_sup *s, const struct rlimit *core, bool verbose);
/* Forks argv (s->child), handing over the memfds of files (ent_fds_cloexec); false (a line
 * printed) when fork fails. */
bool ent_sup_spawn(struct ent_sup *s, char **argv, const struct ent_files *files);
/* Waits at most timeout_ms for a signal and returns it (0: none came). Reaps every finished
 * child, whatever woke it; *exited is true once PROGRAM has ended (s->status, s->child 0). */
int ent_sup_wait(struct ent_sup *s, long timeout_ms, bool *exited);
/* Passes sig on to PROGRAM (a line when that fails). */
void ent_sup_forward(const struct ent_sup *s, int sig);
/* Stops PROGRAM: sig, then SIGKILL after timeout_s seconds (a line says so), and returns
 * once it is reaped. Signals that arrive meanwhile are passed on; *stop_sig gets the last of
 * SIGTERM and SIGINT among them (they ask wallet-entry to stop). false when PROGRAM had
 * already ended on its own (s->status is its status). */
bool ent_sup_stop(struct ent_sup *s, int sig, long timeout_s, int *stop_sig);
/* The signal mask this process was given, back. */
void ent_sup_done(struct ent_sup *s);

#endif
