/* cw-fleet: starts N copies of a command at the same instant, as a rolling deploy starts its
 * containers, and says how long until each of them had exec'd its program.
 *
 *   cw-fleet -n N -o STAMPS [--rotate VAR=A,B,C] -- COMMAND [ARG...]
 *   cw-fleet --stamp STAMPS
 *
 * The first form forks N children that wait behind one pipe, then releases them all at once
 * (closing the pipe) and waits for every child. Each child runs COMMAND, which ends by
 * exec'ing `cw-fleet --stamp STAMPS`: that appends the monotonic clock (ns) to STAMPS, one
 * line, in one O_APPEND write. --rotate gives child i the comma-separated list of VAR turned
 * by i places (child 1 gets B,C,A), so that a fleet spreads over several URLs as deployments
 * that order the list per container do. Prints one JSON line: n, ok (children that exited 0),
 * stamps, all_exec_ms (release to the last stamp), p50_exec_ms, p90_exec_ms, done_ms (release
 * to the last child's end), cpu_ms (user + system time of all children and their waited-for
 * descendants, from wait4). Exit 1 when a child failed or a stamp is missing. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_FLEET 10000

static int64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int stamp(const char *path)
{
	char line[32];
	int n = snprintf(line, sizeof line, "%" PRId64 "\n", now_ns());
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, line, (size_t)n) != n) {
		perror(path);
		return 1;
	}
	close(fd);
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: cw-fleet -n N -o STAMPS [--rotate VAR=A,B,...] -- COMMAND [ARG...]\n"
	             "       cw-fleet --stamp STAMPS\n");
}

/* VAR=A,B,C turned by k places, into out. */
static int rotate(const char *spec, size_t k, char *out, size_t size)
{
	const char *eq = strchr(spec, '=');
	if (eq == NULL || eq == spec)
		return -1;
	char *list = strdup(eq + 1), *items[64], *save = NULL;
	size_t n = 0;
	if (list == NULL)
		return -1;
	for (char *t = strtok_r(list, ",", &save); t != NULL && n < 64;
	     t = strtok_r(NULL, ",", &save))
		items[n++] = t;
	int len = snprintf(out, size, "%.*s=", (int)(eq - spec), spec);
	for (size_t i = 0; i < n && len > 0 && (size_t)len < size; i++)
		len += snprintf(out + len, size - (size_t)len, "%s%s", i ? "," : "",
		                items[(i + k) % n]);
	free(list);
	return n == 0 || len <= 0 || (size_t)len >= size ? -1 : 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The stamps written after t0, sorted; their count. */
static size_t read_stamps(const char *path, int64_t t0, int64_t *v, size_t max)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	long long x;
	while (f != NULL && n < max && fscanf(f, "%lld", &x) == 1)
		if (x >= t0)
			v[n++] = x - t0;
	if (f != NULL)
		fclose(f);
	qsort(v, n, sizeof *v, cmp_i64);
	return n;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"stamp", required_argument, NULL, 's'},
	                                     {"rotate", required_argument, NULL, 'r'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	long n = 0;
	const char *out = NULL, *rot = NULL;
	int o;
	while ((o = getopt_long(argc, argv, "+n:o:h", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			return stamp(optarg);
		case 'r':
			rot = optarg;
			break;
		case 'n':
			n = strtol(optarg, NULL, 10);
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (n < 1 || n > MAX_FLEET || out == NULL || optind >= argc) {
		usage(stderr);
		return 2;
	}
	int gate[2];
	if (pipe2(gate, O_CLOEXEC) != 0) {
		perror("pipe");
		return 1;
	}
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			char c, env[4096];
			close(gate[1]);
			if (rot != NULL &&
			    (rotate(rot, (size_t)i, env, sizeof env) != 0 || putenv(env) != 0))
				_exit(126);
			while (read(gate[0], &c, 1) < 0 && errno == EINTR)
				;
			execvp(argv[optind], argv + optind);
			_exit(127);
		}
	}
	close(gate[0]);
	int64_t t0 = now_ns();
	close(gate[1]); /* every child starts now */
	long ok = 0;
	struct rusage ru;
	for (long i = 0; i < n; i++) {
		int st;
		if (wait4(-1, &st, 0, &ru) > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			ok++;
	}
	int64_t done = now_ns() - t0;
	getrusage(RUSAGE_CHILDREN, &ru);
	double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	             (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	int64_t *v = calloc((size_t)n + 1, sizeof *v);
	size_t ns = v != NULL ? read_stamps(out, t0, v, (size_t)n) : 0;
	printf("{\"n\":%ld,\"ok\":%ld,\"stamps\":%zu,\"all_exec_ms\":%.1f,\"p50_exec_ms\":%.1f,"
	       "\"p90_exec_ms\":%.1f,\"done_ms\":%.1f,\"cpu_ms\":%.1f}\n",
	       n, ok, ns, ns ? (double)v[ns - 1] / 1e6 : 0.0, ns ? (double)v[ns / 2] / 1e6 : 0.0,
	       ns ? (double)v[ns * 9 / 10 < ns ? ns * 9 / 10 : ns - 1] / 1e6 : 0.0,
	       (double)done / 1e6, cpu);
	free(v);
	return ok == n && ns == (size_t)n ? 0 : 1;
}
