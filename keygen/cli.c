#include "cli.h"

#include <getopt.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define OPTS_MAX 16

int kg_fail(const char *cmd, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cw_cli_vfail(KG_PROG, cmd, NULL, fmt, ap);
	va_end(ap);
	return code;
}

int kg_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = cw_cli_vusage(KG_PROG, cmd, fmt, ap);
	va_end(ap);
	return rc;
}

int kg_exit_code(cw_status st)
{
	return (st == CW_ERR_USAGE || st == CW_ERR_NAME) ? KG_EXIT_USAGE : KG_EXIT_FAIL;
}

int kg_getopt(const char *cmd, int argc, char **argv, const kg_opt *opts, cw_usage_fn usage)
{
	struct option lo[OPTS_MAX + 2];
	size_t n = 0;
	int c;

	for (; n < OPTS_MAX && opts[n].name; n++)
		lo[n] = (struct option){opts[n].name, opts[n].val ? required_argument : no_argument,
		                        NULL, (int)n + 1000};
	lo[n] = (struct option){"help", no_argument, NULL, 'h'};
	lo[n + 1] = (struct option){NULL, 0, NULL, 0};

	optind = 0; /* glibc: full re-initialisation */
	opterr = 0; /* we print our own single line */
	while ((c = getopt_long(argc, argv, "+:h", lo, NULL)) != -1) {
		const kg_opt *o;
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c == '?') {
			return kg_usage_error(cmd, "unknown option '%s'",
			                      optopt ? (char[]){'-', (char)optopt, '\0'}
			                             : argv[optind - 1]);
		}
		if (c == ':')
			return kg_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
		o = &opts[c - 1000];
		if (o->flag) {
			*o->flag = true;
			continue;
		}
		if (*o->val)
			return kg_usage_error(cmd, "option --%s given twice", o->name);
		if (optarg[0] == '\0')
			return kg_usage_error(cmd, "option --%s needs a non-empty value", o->name);
		*o->val = optarg;
	}
	if (optind < argc)
		return kg_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	return -1;
}

int kg_publish(const char *cmd, const kg_files *fs, const char *outdir, bool force)
{
	char err[512];
	cw_status st = kg_files_publish(fs, outdir, force, err, sizeof err);

	if (st != CW_OK)
		return kg_fail(cmd, KG_EXIT_FAIL, "%s", err);
	for (size_t i = 0; i < fs->n; i++)
		printf("created %s/%s\n", outdir, fs->f[i].rel);
	return 0;
}

int kg_publish_file(const char *cmd, const char *path, const void *data, size_t len, mode_t mode,
                    bool force, const char *verb)
{
	char *d = strdup(path), *b = strdup(path), err[512];
	kg_files *fs = calloc(1, sizeof *fs);
	cw_status st = CW_ERR_NOMEM;
	int rc;

	if (d && b && fs) {
		/* dirname and basename may modify their argument: one copy each */
		const char *base = basename(b);
		kg_files_init(fs);
		st = path[strlen(path) - 1] == '/' || !strcmp(base, ".") || !strcmp(base, "..")
		         ? CW_ERR_NAME
		         : kg_files_add(fs, base, data, len, mode, false);
		if (st == CW_OK)
			st = kg_files_publish(fs, dirname(d), force, err, sizeof err);
		else
			snprintf(err, sizeof err, "bad output file name %.300s", path);
	} else {
		snprintf(err, sizeof err, "out of memory");
	}
	if (st == CW_OK) {
		printf("%s %s\n", verb, path);
		rc = 0;
	} else {
		rc = kg_fail(cmd, KG_EXIT_FAIL, "%s", err);
	}
	if (fs)
		kg_files_free(fs);
	free(fs);
	free(b);
	free(d);
	return rc;
}
