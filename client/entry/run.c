/* wallet-entry: exec and --supervise (after tini's src/tini.c). */
#define _GNU_SOURCE
#include "run.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int ent_exec(char **argv)
{
	/* gpgme_check_version sets SIGPIPE to SIG_IGN, and an ignored signal stays ignored
	 * across exec: PROGRAM must start with the default, as it would without us. */
	(void)signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], argv);
	int e = errno;
	fprintf(stderr, "wallet-entry: cannot run %s: %s\n", argv[0], strerror(e));
	return e == ENOENT ? 127 : 126;
}

/* Signals that report a fault of this very process stay unblocked. */
static void supervised_set(sigset_t *set)
{
	sigfillset(set);
	static const int sync_sigs[] = {SIGFPE,  SIGILL, SIGSEGV, SIGBUS, SIGABRT,
	                                SIGTRAP, SIGSYS, SIGTTIN, SIGTTOU};
	for (size_t i = 0; i < sizeof sync_sigs / sizeof sync_sigs[0]; i++)
		sigdelset(set, sync_sigs[i]);
}

/* Reaps every finished child; sets *status when it was the main one. */
static bool reap(pid_t child, int *status)
{
	bool done = false;
	for (;;) {
		int ws;
		pid_t p = waitpid(-1, &ws, WNOHANG);
		if (p <= 0)
			break;
		if (p == child) {
			done = true;
			if (WIFEXITED(ws))
				*status = WEXITSTATUS(ws);
			else if (WIFSIGNALED(ws))
				*status = 128 + WTERMSIG(ws);
			else
				*status = 1;
		}
	}
	return done;
}

int ent_supervise(char **argv, struct ent_files *files, bool verbose)
{
	sigset_t set, old;
	int status = 1;
	supervised_set(&set);
	if (sigprocmask(SIG_SETMASK, &set, &old) != 0) {
		fprintf(stderr, "wallet-entry: sigprocmask: %s\n", strerror(errno));
		goto out;
	}
	/* orphans of the child are re-parented here even when this is not PID 1 */
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	pid_t child = fork();
	if (child < 0) {
		fprintf(stderr, "wallet-entry: fork: %s\n", strerror(errno));
		goto out;
	}
	if (child == 0) {
		/* the program starts with the signal mask this process was given */
		sigprocmask(SIG_SETMASK, &old, NULL);
		_exit(ent_exec(argv));
	}
	ent_files_close_fds(files);
	ent_files_forget_env(files);
	if (verbose)
		fprintf(stderr, "wallet-entry: supervising %s (pid %ld)\n", argv[0], (long)child);
	for (;;) {
		siginfo_t si;
		struct timespec ts = {1, 0};
		int sig = sigtimedwait(&set, &si, &ts);
		if (sig < 0 && errno != EAGAIN && errno != EINTR) {
			fprintf(stderr, "wallet-entry: sigtimedwait: %s\n", strerror(errno));
			break;
		}
		if (sig > 0 && sig != SIGCHLD) {
			if (kill(child, sig) != 0 && errno != ESRCH)
				fprintf(stderr, "wallet-entry: forwarding signal %d: %s\n", sig,
				        strerror(errno));
		}
		/* also on the timeout: a SIGCHLD coalesced with another is not lost */
		if (reap(child, &status))
			break;
	}
out:
	ent_files_close_fds(files);
	ent_files_forget_env(files);
	ent_files_remove(files);
	return status;
}
