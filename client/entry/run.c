/* wallet-entry: exec and --supervise (after tini's src/tini.c). */
#define _GNU_SOURCE
#include "run.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

bool ent_signal_parse(const char *s, int *sig)
{
	if (s == NULL || s[0] == '\0')
		return false;
	if (s[0] >= '1' && s[0] <= '9') {
		char *end;
		errno = 0;
		long v = strtol(s, &end, 10);
		if (errno != 0 || *end != '\0' || v > SIGRTMAX)
			return false;
		*sig = (int)v;
		return true;
	}
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (int i = 1; i < NSIG; i++) {
		const char *name = sigabbrev_np(i);
		if (name != NULL && strcasecmp(name, s) == 0) {
			*sig = i;
			return true;
		}
	}
	return false;
}

/* ---- descriptors ---- */

#define MAX_INHERITED 1024
static int inherited[MAX_INHERITED];
static size_t ninherited;
static bool noted;

/* Calls fn(fd, arg) for every open descriptor from 3 up (the listing's own excluded). */
static void each_fd(void (*fn)(int fd, void *arg), void *arg)
{
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL)
		return;
	int self = dirfd(d);
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		if (*end == '\0' && end != e->d_name && fd >= 3 && fd != self && fd <= INT_MAX)
			fn((int)fd, arg);
	}
	closedir(d);
}

static void note_fd(int fd, void *arg)
{
	(void)arg;
	if (ninherited < MAX_INHERITED)
		inherited[ninherited++] = fd;
}

void ent_fds_note_inherited(void)
{
	ninherited = 0;
	each_fd(note_fd, NULL);
	noted = true;
}

struct keep {
	const int *fds;
	size_t n;
};

static void cloexec_unless_kept(int fd, void *arg)
{
	const struct keep *k = arg;
	for (size_t i = 0; i < ninherited; i++)
		if (inherited[i] == fd)
			return;
	for (size_t i = 0; i < k->n; i++)
		if (k->fds[i] == fd)
			return;
	int fl = fcntl(fd, F_GETFD);
	if (fl >= 0 && (fl & FD_CLOEXEC) == 0)
		(void)fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

void ent_fds_cloexec(const int *keep, size_t nkeep)
{
	struct keep k = {keep, nkeep};
	if (noted)
		each_fd(cloexec_unless_kept, &k);
}

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

/* Reaps every finished child; true when it was PROGRAM (its status in s->status). */
static bool reap(struct ent_sup *s)
{
	bool done = false;
	for (;;) {
		int ws;
		pid_t p = waitpid(-1, &ws, WNOHANG);
		if (p <= 0)
			break;
		if (p == s->child && s->child > 0) {
			done = true;
			s->child = 0;
			if (WIFEXITED(ws))
				s->status = WEXITSTATUS(ws);
			else if (WIFSIGNALED(ws))
				s->status = 128 + WTERMSIG(ws);
			else
				s->status = 1;
		}
	}
	return done;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool ent_sup_init(struct ent_sup *s, const struct rlimit *core, bool verbose)
{
	memset(s, 0, sizeof *s);
	s->status = 1;
	s->core = core;
	s->verbose = verbose;
	supervised_set(&s->set);
	if (sigprocmask(SIG_SETMASK, &s->set, &s->old) != 0) {
		fprintf(stderr, "wallet-entry: sigprocmask: %s\n", strerror(errno));
		return false;
	}
	/* orphans of the child are re-parented here even when this is not PID 1 */
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	return true;
}

bool ent_sup_spawn(struct ent_sup *s, char **argv, const struct ent_files *files)
{
	ent_fds_cloexec(files->fds, files->nfds);
	pid_t child = fork();
	if (child < 0) {
		fprintf(stderr, "wallet-entry: fork: %s\n", strerror(errno));
		return false;
	}
	if (child == 0) {
		/* secrets are wiped or never were here: PROGRAM gets the core-dump limit it
		 * was given, and starts with the signal mask this process was given */
		if (s->core != NULL)
			(void)setrlimit(RLIMIT_CORE, s->core);
		sigprocmask(SIG_SETMASK, &s->old, NULL);
		_exit(ent_exec(argv));
	}
	s->child = child;
	if (s->verbose)
		fprintf(stderr, "wallet-entry: supervising %s (pid %ld)\n", argv[0], (long)child);
	return true;
}

int ent_sup_wait(struct ent_sup *s, long timeout_ms, bool *exited)
{
	siginfo_t si;
	if (timeout_ms < 0)
		timeout_ms = 0;
	struct timespec ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000};
	int sig = sigtimedwait(&s->set, &si, &ts);
	if (sig < 0) {
		if (errno != EAGAIN && errno != EINTR)
			fprintf(stderr, "wallet-entry: sigtimedwait: %s\n", strerror(errno));
		sig = 0;
	}
	/* on every wake-up: a SIGCHLD coalesced with another is not lost */
	*exited = reap(s);
	return sig;
}

void ent_sup_forward(const struct ent_sup *s, int sig)
{
	if (s->child > 0 && kill(s->child, sig) != 0 && errno != ESRCH)
		fprintf(stderr, "wallet-entry: forwarding signal %d: %s\n", sig, strerror(errno));
}

bool ent_sup_stop(struct ent_sup *s, int sig, long timeout_s, int *stop_sig)
{
	bool exited = reap(s), killed = false;
	pid_t pid = s->child;
	if (exited || pid == 0)
		return false; /* it ended on its own: its status stands */
	ent_sup_forward(s, sig);
	long deadline = now_ms() + timeout_s * 1000;
	while (!exited) {
		long left = deadline - now_ms();
		if (!killed && left <= 0) {
			fprintf(
			    stderr,
			    "wallet-entry: PROGRAM (pid %ld) did not stop within %ld s of signal "
			    "%d: SIGKILL\n",
			    (long)pid, timeout_s, sig);
			ent_sup_forward(s, SIGKILL);
			killed = true;
		}
		int got = ent_sup_wait(s, killed || left > 1000 ? 1000 : left, &exited);
		if (got > 0 && got != SIGCHLD && !exited) {
			ent_sup_forward(s, got);
			if (got == SIGTERM || got == SIGINT)
				*stop_sig = got;
		}
	}
	return true;
}

void ent_sup_done(struct ent_sup *s)
{
	(void)sigprocmask(SIG_SETMASK, &s->old, NULL);
}

int ent_supervise(char **argv, struct ent_files *files, bool verbose, const struct rlimit *core)
{
	struct ent_sup s;
	if (ent_sup_init(&s, core, verbose) && ent_sup_spawn(&s, argv, files)) {
		ent_files_close_fds(files);
		ent_files_forget_env(files);
		for (bool exited = false; !exited;) {
			int sig = ent_sup_wait(&s, 1000, &exited);
			if (sig > 0 && sig != SIGCHLD && !exited)
				ent_sup_forward(&s, sig);
		}
	}
	ent_files_close_fds(files);
	ent_files_forget_env(files);
	ent_files_remove(files);
	return s.status;
}
