#define _GNU_SOURCE
#include "gpgutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <ftw.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "secmem.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static cw_status init_status = CW_ERR_CRYPTO;

static void do_init(void)
{
	if (gpgme_check_version("1.13.0") == NULL)
		return;
	gpgme_set_locale(NULL, LC_CTYPE, setlocale(LC_CTYPE, NULL));
	/* No gpgme_engine_check_version here: it runs `gpg --version`, and every context that
	 * sets its own GNUPGHOME runs it again. A missing gpg shows at the first operation. */
	init_status = CW_OK;
}

cw_status cw_gpg_init(void)
{
	pthread_once(&init_once, do_init);
	return init_status;
}

cw_status cw_gpg_ctx(const char *home, gpgme_ctx_t *out)
{
	gpgme_ctx_t ctx = NULL;
	*out = NULL;
	cw_status st = cw_gpg_init();
	if (st != CW_OK)
		return st;
	if (gpgme_new(&ctx) != 0)
		return CW_ERR_CRYPTO;
	if (gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP) != 0)
		goto fail;
	if (home != NULL && gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL, home) != 0)
		goto fail;
	/* Never prompt: no tty in `docker exec -i`, and a prompt would hang a server. */
	if (gpgme_set_pinentry_mode(ctx, GPGME_PINENTRY_MODE_LOOPBACK) != 0)
		goto fail;
	gpgme_set_armor(ctx, 0);
	gpgme_set_offline(ctx, 1);
	*out = ctx;
	return CW_OK;
fail:
	gpgme_release(ctx);
	return CW_ERR_CRYPTO;
}

/* The throwaway home's gpg-agent.conf. gpg-agent's secure memory is a fixed area by
 * default, and gpg runs that decrypt at once each hold some of it: libwalletclient runs 2 per
 * CPU, dozens on a large host, and GnuPG documents decryptions failing then for want of secure
 * memory. auto-expand-secmem lets libgcrypt add (locked) areas as needed. */
static bool write_agent_conf(const char *home)
{
	static const char conf[] = "auto-expand-secmem\n";
	char p[4096];
	if (cw_path(p, sizeof p, "%s/gpg-agent.conf", home) != CW_OK)
		return false;
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return false;
	bool ok = write(fd, conf, sizeof conf - 1) == (ssize_t)(sizeof conf - 1);
	return close(fd) == 0 && ok;
}

cw_status cw_gpg_tmphome(const char *prefix, char *path, size_t pathsz)
{
	const char *cands[3];
	size_t n = 0;
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	if (xdg != NULL && xdg[0] == '/')
		cands[n++] = xdg;
	cands[n++] = "/dev/shm";
	cands[n++] = "/run";
	for (size_t i = 0; i < n; i++) {
		if (!cw_on_memory_fs(cands[i]) || access(cands[i], W_OK | X_OK) != 0)
			continue;
		if (cw_path(path, pathsz, "%s/%s-XXXXXX", cands[i], prefix ? prefix : "cwgpg") !=
		    CW_OK)
			return CW_ERR_NAME;
		if (mkdtemp(path) == NULL)
			continue;
		if (chmod(path, 0700) != 0 || !write_agent_conf(path)) {
			(void)cw_gpg_destroy_home(path);
			continue;
		}
		return CW_OK;
	}
	if (pathsz > 0)
		path[0] = '\0';
	errno = ENOENT;
	return CW_ERR_IO;
}

static gpgme_error_t pid_data_cb(void *opaque, const void *data, size_t len)
{
	long *pid = opaque;
	char buf[24];
	if (len >= sizeof buf)
		return 0;
	memcpy(buf, data, len);
	buf[len] = '\0';
	char *end;
	long v = strtol(buf, &end, 10);
	if (end != buf && v > 1)
		*pid = v;
	return 0;
}

/* Whether process pid is gone (or a zombie, which holds nothing any more). */
static bool process_gone(long pid)
{
	char p[64], st[512];
	snprintf(p, sizeof p, "/proc/%ld/stat", pid);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	ssize_t n = read(fd, st, sizeof st - 1);
	close(fd);
	if (n <= 0)
		return true;
	st[n] = '\0';
	const char *rp = strrchr(st, ')'); /* the state follows the command name in parentheses */
	return rp != NULL && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X');
}

/* In-process: KILLAGENT over the agent's Assuan socket (gpgme's Assuan protocol), no process
 * started; then waits (at most 2 s) until the agent process has ended, so that nothing of it
 * outlives its home. Returns whether the agent took the command. */
static bool kill_agent_assuan(const char *sock, const char *home)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_error_t err = 0, op_err = 0;
	long pid = 0;
	if (cw_gpg_init() != CW_OK || gpgme_new(&ctx) != 0)
		return false;
	err = gpgme_set_protocol(ctx, GPGME_PROTOCOL_ASSUAN);
	if (err == 0)
		err = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_ASSUAN, sock, home);
	if (err == 0)
		(void)gpgme_op_assuan_transact_ext(ctx, "GETINFO pid", pid_data_cb, &pid, NULL,
		                                   NULL, NULL, NULL, &op_err);
	if (err == 0)
		err = gpgme_op_assuan_transact_ext(ctx, "KILLAGENT", NULL, NULL, NULL, NULL, NULL,
		                                   NULL, &op_err);
	gpgme_release(ctx);
	if (err != 0 || op_err != 0)
		return false;
	for (int i = 0; pid > 0 && i < 200 && !process_gone(pid); i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return true;
}

/* `gpgconf --kill gpg-agent` finds the socket wherever gnupg put it (/run/user/UID/gnupg/d.*
 * included). posix_spawn is safe in a multithreaded process; gpgconf's output goes to
 * /dev/null (library code never prints). */
static void kill_agent_gpgconf(const char *home)
{
	posix_spawn_file_actions_t fa;
	if (posix_spawn_file_actions_init(&fa) != 0)
		return;
	(void)posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	(void)posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	(void)posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	char *argv[] = {"gpgconf", "--homedir", (char *)home, "--kill", "gpg-agent", NULL};
	pid_t pid;
	if (posix_spawnp(&pid, "gpgconf", &fa, NULL, argv, environ) == 0) {
		int status;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	posix_spawn_file_actions_destroy(&fa);
}

/* The agent's socket is in home for homes that gnupg does not map to /run/user (all of
 * cw_gpg_tmphome's): then one Assuan command stops it, a few ms instead of ~130 ms for
 * gpgconf and the gpg-connect-agent it runs. Otherwise, or if that fails, gpgconf. */
void cw_gpg_kill_agent(const char *home)
{
	char sock[4096];
	struct stat sb;
	if (cw_path(sock, sizeof sock, "%s/S.gpg-agent", home) != CW_OK)
		return;
	bool in_home = lstat(sock, &sb) == 0 && S_ISSOCK(sb.st_mode);
	if (!in_home || !kill_agent_assuan(sock, home))
		kill_agent_gpgconf(home);
	/* The agent removes its sockets as it exits: wait for that, at most 2 s. */
	for (int i = 0; i < 200 && lstat(sock, &sb) == 0; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

static int wipe_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)ftw;
	if (flag == FTW_F && S_ISREG(sb->st_mode) && sb->st_size > 0) {
		int fd = open(p, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			static const unsigned char zeros[4096];
			off_t left = sb->st_size;
			while (left > 0) {
				size_t n = left > (off_t)sizeof zeros ? sizeof zeros : (size_t)left;
				ssize_t w = write(fd, zeros, n);
				if (w <= 0)
					break;
				left -= w;
			}
			close(fd);
		}
	}
	return 0;
}

cw_status cw_gpg_destroy_home(const char *home)
{
	if (home == NULL || home[0] == '\0')
		return CW_OK;
	cw_gpg_kill_agent(home);
	(void)nftw(home, wipe_one, 16, FTW_PHYS);
	return cw_rm_rf(home);
}

int cw_fpr_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return 0;
	size_t la = strlen(a), lb = strlen(b);
	if (la != 40 || lb != 40)
		return 0;
	unsigned char d = 0;
	for (size_t i = 0; i < 40; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (x >= 'a' && x <= 'f')
			x = (unsigned char)(x - 'a' + 'A');
		if (y >= 'a' && y <= 'f')
			y = (unsigned char)(y - 'a' + 'A');
		d |= (unsigned char)(x ^ y);
	}
	return d == 0;
}

void cw_gpg_errstr(gpgme_error_t err, char *buf, size_t bufsz)
{
	char text[256];
	gpgme_strerror_r(err, text, sizeof text);
	snprintf(buf, bufsz, "gpgme: %s: %s", gpgme_strsource(err), text);
}

void cw_gpg_errfmt(char *buf, size_t bufsz, const char *what, gpgme_error_t ge)
{
	char text[256];
	if (ge == 0) {
		snprintf(buf, bufsz, "%s", what);
		return;
	}
	gpgme_strerror_r(ge, text, sizeof text);
	snprintf(buf, bufsz, "%s: gpgme: %s: %s", what, gpgme_strsource(ge), text);
}
