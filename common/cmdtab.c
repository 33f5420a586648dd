#include "cmdtab.h"

#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cliout.h"
#include "cw_version.h"
#include "secmem.h"

static int usage_error(const struct cw_prog *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int usage_error(const struct cw_prog *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = cw_cli_vusage(p->name, NULL, fmt, ap);
	va_end(ap);
	return rc;
}

static void print_usage(const struct cw_prog *p, FILE *out)
{
	int width = 0;
	for (size_t i = 0; i < p->ncmds; i++)
		if ((int)strlen(p->cmds[i].name) > width)
			width = (int)strlen(p->cmds[i].name);
	fputs(p->usage_head, out);
	for (size_t i = 0; i < p->ncmds; i++)
		fprintf(out, "  %-*s  %s\n", width, p->cmds[i].name, p->cmds[i].summary);
	fprintf(out,
	        "\nRun '%s COMMAND --help' for a command's options.\n"
	        "Exit status: 0 success, 1 failure, 2 usage error.\n",
	        p->name);
}

static const struct cw_cmd *find(const struct cw_prog *p, const char *name)
{
	for (size_t i = 0; i < p->ncmds; i++)
		if (strcmp(p->cmds[i].name, name) == 0)
			return &p->cmds[i];
	return NULL;
}

/* One global value option at argv[*i]; advances *i past its value. Returns 0, or the exit
 * status of a usage error. */
static int global_opt(const struct cw_prog *p, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	for (const struct cw_global_opt *o = p->opts; o != NULL && o->name != NULL; o++) {
		size_t n = strlen(o->name);
		if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, o->name, n) != 0)
			continue;
		const char *v = NULL;
		if (a[2 + n] == '=')
			v = a + 3 + n;
		else if (a[2 + n] == '\0' && *i + 1 < argc)
			v = argv[++*i];
		else if (a[2 + n] != '\0')
			continue; /* a longer name */
		if (v == NULL || v[0] == '\0')
			return usage_error(p, "option '--%s' needs a value", o->name);
		*o->val = v;
		return 0;
	}
	return usage_error(p, "unknown option '%s'", a);
}

/* `PROG help [CMD]`: the program's usage, or the command's. */
static int help(const struct cw_prog *p, int argc, char **argv)
{
	if (argc < 2) {
		print_usage(p, stdout);
		return 0;
	}
	const struct cw_cmd *c = find(p, argv[1]);
	if (c == NULL)
		return usage_error(p, "unknown command '%s'", argv[1]);
	c->usage(stdout);
	return 0;
}

static int run(const struct cw_prog *p, int argc, char **argv, const void *ctx)
{
	int i = 1, rc;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			print_usage(p, stdout);
			return 0;
		}
		if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
			printf("%s %s\n", p->name, CW_VERSION);
			return 0;
		}
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if ((rc = global_opt(p, argc, argv, &i)) != 0)
			return rc;
	}
	if (i >= argc)
		return usage_error(p, "no command given");
	if (strcmp(argv[i], "help") == 0)
		return help(p, argc - i, argv + i);
	const struct cw_cmd *c = find(p, argv[i]);
	if (c == NULL)
		return usage_error(p, "unknown command '%s'", argv[i]);
	/* This process is about to hold secrets: no core dump, no ptrace by peers. */
	if ((c->flags & CW_CMD_NODUMP) && cw_nodump() != CW_OK) {
		fprintf(stderr, "%s %s: cannot disable core dumps\n", p->name, c->name);
		return CW_EXIT_FAIL;
	}
	optind = 0; /* glibc: full re-initialisation of getopt for the command */
	return c->fn(argc - i, argv + i, ctx);
}

int cw_cmd_run(const struct cw_prog *p, int argc, char **argv, const void *ctx)
{
	umask(077);
	return cw_cli_finish(p->name, run(p, argc, argv, ctx));
}
