/* client/entry/template.c: parsing, rendering (raw secrets, JSON fields, escapes), errors
 * with their line, limits; client/entry/templates.c: the --template options of a run. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmocka_common.h"
#include "file_fixture.h"
#include "fsutil.h"
#include "json.h"
#include "template.h"
#include "templates.h"

/* The "wallet" the lookups answer from. */
struct fake {
	const char *name;
	const char *data;
	size_t len; /* 0: strlen(data) */
	uint64_t version;
};

static const struct fake wallet[] = {
    {"db_pass", "s3cret pass", 0, 3},
    {"app1/cfg",
     "{ \"db\": { \"user\": \"admin\", \"port\": 5432, \"tls\": true, \"opts\": { \"a\" : [1, 2] },"
     " \"nothing\": null },"
     "  \"a.b\": \"dotted\", \"q\\\"k\": \"quoted\", \"hosts\": [\"h0\", {\"name\": \"h1\"}],"
     "  \"esc\": \"line1\\nline2 \\u00e9\", \"dup\": 1, \"dup\": 2, \"7\": \"seven\" }",
     0, 1},
    {"list", "[1, 2]", 0, 1},
    {"bin", "a\0b", 3, 1},
    {"notjson", "{\"a\":", 0, 1},
};

static cw_status lookup(void *arg, const char *name, const unsigned char **data, size_t *len,
                        uint64_t *version)
{
	int *calls = arg;
	if (calls != NULL)
		(*calls)++;
	for (size_t i = 0; i < sizeof wallet / sizeof wallet[0]; i++) {
		if (strcmp(wallet[i].name, name) == 0) {
			*data = (const unsigned char *)wallet[i].data;
			*len = wallet[i].len ? wallet[i].len : strlen(wallet[i].data);
			*version = wallet[i].version;
			return CW_OK;
		}
	}
	return CW_ERR_NOTFOUND;
}

static struct ent_template *parse_ok(const char *text)
{
	struct ent_template *t = NULL;
	char err[512] = "";
	if (ent_template_parse("t.tmpl", text, strlen(text), &t, err, sizeof err) != CW_OK)
		fail_msg("refused: %s: %s", text, err);
	return t;
}

/* Renders text; checks the output and its terminating NUL. */
static void renders(const char *text, const char *want, size_t wantlen)
{
	struct ent_template *t = parse_ok(text);
	cw_sbuf out = {0};
	char err[512] = "";
	if (ent_template_render(t, lookup, NULL, &out, err, sizeof err) != CW_OK)
		fail_msg("render of %s: %s", text, err);
	assert_int_equal(out.len, wantlen);
	assert_memory_equal(out.data, want, wantlen);
	assert_int_equal(out.data[out.len], '\0');
	cw_sbuf_free(&out);
	ent_template_free(t);
}

/* A template that parses but does not render: the error, exactly. */
static void render_fails(const char *text, const char *want)
{
	struct ent_template *t = parse_ok(text);
	cw_sbuf out = {0};
	char err[512] = "";
	if (ent_template_render(t, lookup, NULL, &out, err, sizeof err) == CW_OK)
		fail_msg("rendered: %s", text);
	assert_string_equal(err, want);
	assert_null(out.data); /* wiped and freed */
	assert_int_equal(out.len, 0);
	ent_template_free(t);
}

static void parse_fails(const char *text, size_t len, const char *want)
{
	struct ent_template *t = NULL;
	char err[512] = "";
	assert_int_not_equal(ent_template_parse("t.tmpl", text, len, &t, err, sizeof err), CW_OK);
	assert_null(t);
	assert_string_equal(err, want);
}

#define R(text, want) renders(text, want, sizeof want - 1)

static void test_text(void **state)
{
	(void)state;
	R("", "");
	R("plain text, no action } }} {", "plain text, no action } }} {");
	R("a{{ \"{{\" }}b", "a{{b");
	R("{{\"}}\"}}", "}}");
	R("{{ \"q\\\"b\\\\\" }}", "q\"b\\");
	R("\xff\xfe latin-1 \xe9 bytes", "\xff\xfe latin-1 \xe9 bytes");
}

static void test_secret(void **state)
{
	(void)state;
	R("pw={{ secret \"db_pass\" }};", "pw=s3cret pass;");
	R("{{secret\"db_pass\"}}", "s3cret pass");             /* no white space */
	R("{{\n\tsecret\n  \"db_pass\"\r\n}}", "s3cret pass"); /* any white space */
	R("{{ secret \"db_pass@3\" }}", "s3cret pass");        /* minimum met */
	R("[{{ secret \"bin\" }}]", "[a\0b]");                 /* bytes as they are */
	R("{{ secret \"db_pass\" }}{{ secret \"db_pass\" }}", "s3cret passs3cret pass");
}

static void test_json(void **state)
{
	(void)state;
	R("{{ secret \"app1/cfg\" \"db.user\" }}", "admin");
	R("{{ secret \"app1/cfg\" \"db.port\" }}", "5432");
	R("{{ secret \"app1/cfg\" \"db.tls\" }}", "true");
	R("{{ secret \"app1/cfg\" \"db.opts\" }}", "{\"a\":[1,2]}");
	R("{{ secret \"app1/cfg\" \"db.opts.a\" }}", "[1,2]");
	R("{{ secret \"app1/cfg\" \"db.opts.a.1\" }}", "2");
	R("{{ secret \"app1/cfg\" \"hosts.0\" }}", "h0");
	R("{{ secret \"app1/cfg\" \"hosts.1.name\" }}", "h1");
	R("{{ secret \"app1/cfg\" \"a\\.b\" }}", "dotted");
	R("{{ secret \"app1/cfg\" \"q\\\"k\" }}", "quoted");
	R("{{ secret \"app1/cfg\" \"7\" }}", "seven"); /* digits name a field in an object */
	R("{{ secret \"app1/cfg\" \"esc\" }}", "line1\nline2 \xc3\xa9");
}

static void test_render_errors(void **state)
{
	(void)state;
	render_fails("a\nb\n{{ secret \"nope\" }}", "t.tmpl:3: nope: not found");
	render_fails("{{ secret \"db_pass@4\" }}",
	             "t.tmpl:1: db_pass: version 3 is older than the required minimum 4");
	render_fails("\n{{ secret \"db_pass\" \"x\" }}",
	             "t.tmpl:2: db_pass: not a JSON object (KEY \"x\" needs one)");
	render_fails("{{ secret \"list\" \"0\" }}",
	             "t.tmpl:1: list: not a JSON object (KEY \"0\" needs one)");
	render_fails("{{ secret \"notjson\" \"a\" }}",
	             "t.tmpl:1: notjson: not a JSON object (KEY \"a\" needs one)");
	render_fails("{{ secret \"app1/cfg\" \"db.pass\" }}",
	             "t.tmpl:1: app1/cfg: KEY \"db.pass\": no field \"pass\"");
	render_fails("{{ secret \"app1/cfg\" \"hosts.2\" }}",
	             "t.tmpl:1: app1/cfg: KEY \"hosts.2\": no element \"2\"");
	render_fails("{{ secret \"app1/cfg\" \"hosts.x\" }}",
	             "t.tmpl:1: app1/cfg: KEY \"hosts.x\": \"hosts\" is an array, not an object");
	render_fails("{{ secret \"app1/cfg\" \"hosts.01\" }}",
	             "t.tmpl:1: app1/cfg: KEY \"hosts.01\": \"hosts\" is an array, not an object");
	render_fails("{{ secret \"app1/cfg\" \"db.user.x\" }}",
	             "t.tmpl:1: app1/cfg: KEY \"db.user.x\": \"user\" is a string, not an object");
	render_fails("{{ secret \"app1/cfg\" \"db.nothing\" }}",
	             "t.tmpl:1: app1/cfg: KEY \"db.nothing\": null");
	render_fails("{{ secret \"app1/cfg\" \"dup\" }}",
	             "t.tmpl:1: app1/cfg: KEY \"dup\": field \"dup\" is there twice");
	/* the first failure wins and nothing of what came before is kept (out is wiped) */
	render_fails("{{ secret \"db_pass\" }}\n{{ secret \"nope\" }}",
	             "t.tmpl:2: nope: not found");
}

static void test_no_secret_in_errors(void **state)
{
	(void)state;
	/* every failing use of a secret: the message never holds its content */
	static const char *t[] = {"{{ secret \"app1/cfg\" \"db.user.x\" }}",
	                          "{{ secret \"app1/cfg\" \"nope\" }}",
	                          "{{ secret \"db_pass\" \"k\" }}", "{{ secret \"db_pass@9\" }}"};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct ent_template *tp = parse_ok(t[i]);
		cw_sbuf out = {0};
		char err[512] = "";
		assert_int_not_equal(ent_template_render(tp, lookup, NULL, &out, err, sizeof err),
		                     CW_OK);
		assert_null(strstr(err, "admin"));
		assert_null(strstr(err, "s3cret"));
		ent_template_free(tp);
	}
}

static void test_parse_errors(void **state)
{
	(void)state;
#define PF(text, want) parse_fails(text, sizeof text - 1, want)
	PF("a\n{{ secret \"db\" ", "t.tmpl:2: '{{' without '}}'");
	PF("{{", "t.tmpl:1: '{{' without '}}'");
	PF("\n\n{{ }}", "t.tmpl:3: an empty action");
	PF("{{ secrets \"db\" }}", "t.tmpl:1: unknown action 'secrets' (secret, or a \"string\")");
	PF("{{ + }}", "t.tmpl:1: unexpected character in an action");
	PF("{{ secret }}", "t.tmpl:1: secret takes \"NAME\" and maybe \"KEY\"");
	PF("{{ secret db }}", "t.tmpl:1: secret takes \"NAME\" and maybe \"KEY\"");
	PF("{{ secret \"db }}\n\"}}", "t.tmpl:1: a string without its closing '\"' on its line");
	PF("{{ secret \"db\" \"k\" \"x\" }}", "t.tmpl:1: '}}' expected");
	PF("{{ secret \"db\"\n\n x }}", "t.tmpl:3: '}}' expected");
	PF("{{ secret \"../x\" }}", "t.tmpl:1: '../x' is not a valid object name or group");
	PF("{{ secret \"db=env:X\" }}", "t.tmpl:1: 'db=env:X' is not a valid object name");
	PF("{{ secret \"db@0\" }}", "t.tmpl:1: db: the minimum version must be a number from 1");
	PF("{{ secret \"app1/\" }}", "t.tmpl:1: app1/: a group cannot be used in a template");
	PF("{{ secret \"db\" \"a..b\" }}", "t.tmpl:1: KEY \"a..b\": an empty field name");
	PF("{{ secret \"db\" \"\" }}", "t.tmpl:1: KEY \"\": an empty field name");
	PF("{{ secret \"db\" \"a.\" }}", "t.tmpl:1: KEY \"a.\": an empty field name");
	PF("{{ secret \"db\" \"a\\n\" }}",
	   "t.tmpl:1: unknown escape in a string (only \\\" \\\\ and, in a KEY, \\.)");
	PF("{{ \"a\\.b\" }}", "t.tmpl:1: \\. is only for a KEY (a dot inside a field name)");
	PF("{{ secret \"d\\.b\" }}", "t.tmpl:1: \\. is only for a KEY (a dot inside a field name)");
	PF("ok\n\nthen\0 a NUL", "t.tmpl:3: a NUL byte (a template is text)");
	/* a control character in what is echoed is shown as '?': the message stays one line */
	PF("{{ secret \"a\rb\" }}", "t.tmpl:1: 'a?b' is not a valid object name or group");
#undef PF
}

static void test_uses(void **state)
{
	(void)state;
	struct ent_template *t =
	    parse_ok("x\n{{ secret \"b\" }}\n{{ secret \"a@2\" \"k\" }}{{ secret \"b@5\" }}\n"
	             "{{ secret \"a\" }}{{ \"lit\" }}");
	assert_int_equal(ent_template_nuses(t), 2);
	const struct ent_template_use *u = ent_template_use(t, 0);
	assert_string_equal(u->name, "b");
	assert_int_equal(u->min_version, 5); /* the highest asked for */
	assert_int_equal(u->line, 2);        /* the first use */
	u = ent_template_use(t, 1);
	assert_string_equal(u->name, "a");
	assert_int_equal(u->min_version, 2);
	assert_int_equal(u->line, 3);
	assert_null(ent_template_use(t, 2));
	assert_string_equal(ent_template_label(t), "t.tmpl");
	ent_template_free(t);
	ent_template_free(NULL);
}

static void test_limits(void **state)
{
	(void)state;
	/* the template: ENT_TEMPLATE_MAX bytes at most */
	size_t n = ENT_TEMPLATE_MAX + 1;
	char *big = malloc(n);
	assert_non_null(big);
	memset(big, 'x', n);
	struct ent_template *t = NULL;
	char err[512];
	assert_int_equal(ent_template_parse("big", big, n, &t, err, sizeof err), CW_ERR_TOOBIG);
	assert_int_equal(ent_template_parse("big", big, n - 1, &t, err, sizeof err), CW_OK);
	ent_template_free(t);
	free(big);
	/* a KEY of ENT_JSON_MAX_DEPTH field names, and one more */
	char key[4 * ENT_JSON_MAX_DEPTH + 64] = "{{ secret \"db\" \"a";
	for (int i = 1; i < ENT_JSON_MAX_DEPTH; i++)
		strcat(key, ".a");
	strcat(key, "\" }}");
	t = parse_ok(key);
	ent_template_free(t);
	strcpy(strstr(key, "\" }}"), ".a\" }}");
	assert_int_equal(ent_template_parse("t", key, strlen(key), &t, err, sizeof err),
	                 CW_ERR_USAGE);
	assert_string_equal(err, "t:1: KEY: more than 64 field names");
}

/* A secret of half the rendering limit, used three times: over the limit. */
static const unsigned char *huge;

static cw_status huge_lookup(void *arg, const char *name, const unsigned char **data, size_t *len,
                             uint64_t *version)
{
	(void)arg;
	(void)name;
	*data = huge;
	*len = ENT_TEMPLATE_OUT_MAX / 2;
	*version = 1;
	return CW_OK;
}

static void test_output_limit(void **state)
{
	(void)state;
	unsigned char *h = calloc(1, ENT_TEMPLATE_OUT_MAX / 2);
	assert_non_null(h);
	huge = h;
	struct ent_template *t =
	    parse_ok("{{ secret \"h\" }}\n{{ secret \"h\" }}{{ secret \"h\" }}");
	cw_sbuf out = {0};
	char err[512];
	assert_int_equal(ent_template_render(t, huge_lookup, NULL, &out, err, sizeof err),
	                 CW_ERR_TOOBIG);
	assert_string_equal(err, "t.tmpl:2: the rendering is larger than 67108864 bytes");
	assert_null(out.data);
	ent_template_free(t);
	t = parse_ok("{{ secret \"h\" }}{{ secret \"h\" }}");
	assert_int_equal(ent_template_render(t, huge_lookup, NULL, &out, err, sizeof err), CW_OK);
	assert_int_equal(out.len, ENT_TEMPLATE_OUT_MAX);
	cw_sbuf_free(&out);
	ent_template_free(t);
	free(h);
}

static void test_rerender(void **state)
{
	(void)state;
	/* the watch mode renders the same parsed template again: same result, lookups again */
	struct ent_template *t =
	    parse_ok("{{ secret \"db_pass\" }}/{{ secret \"app1/cfg\" \"db.user\" }}");
	cw_sbuf out = {0};
	char err[512];
	int calls = 0;
	for (int round = 0; round < 3; round++) {
		assert_int_equal(ent_template_render(t, lookup, &calls, &out, err, sizeof err),
		                 CW_OK);
		assert_int_equal(out.len, 17);
		assert_memory_equal(out.data, "s3cret pass/admin", 17);
	}
	assert_int_equal(calls, 6);
	cw_sbuf_free(&out);
	ent_template_free(t);
}

/* ---- files and the --template options of a run ---- */

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/dev/shm/cwtplXXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	cw_rm_rf(dir);
	return 0;
}

static void write_file(const char *name, const char *text)
{
	fx_put_file(dir, name, text);
}

static void test_load(void **state)
{
	(void)state;
	char p[256], link[256], err[512];
	struct ent_template *t = NULL;
	write_file("a.tmpl", "x {{ secret \"db_pass\" }}");
	snprintf(p, sizeof p, "%s/a.tmpl", dir);
	snprintf(link, sizeof link, "%s/link", dir);
	assert_int_equal(symlink(p, link), 0);
	/* a ConfigMap's files are symbolic links: followed */
	assert_int_equal(ent_template_load(link, &t, err, sizeof err), CW_OK);
	assert_int_equal(ent_template_nuses(t), 1);
	assert_string_equal(ent_template_label(t), link);
	ent_template_free(t);
	snprintf(p, sizeof p, "%s/missing", dir);
	assert_int_equal(ent_template_load(p, &t, err, sizeof err), CW_ERR_USAGE);
	assert_non_null(strstr(err, "No such file"));
	/* a FIFO neither hangs nor is read */
	snprintf(p, sizeof p, "%s/fifo", dir);
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(ent_template_load(p, &t, err, sizeof err), CW_ERR_USAGE);
	assert_non_null(strstr(err, "not a regular file"));
	assert_int_equal(ent_template_load(dir, &t, err, sizeof err), CW_ERR_USAGE);
	write_file("bad.tmpl", "line 1\n{{ secret \"x\" \"\" }}\n");
	snprintf(p, sizeof p, "%s/bad.tmpl", dir);
	assert_int_equal(ent_template_load(p, &t, err, sizeof err), CW_ERR_USAGE);
	char want[600];
	snprintf(want, sizeof want, "%s:2: KEY \"\": an empty field name", p);
	assert_string_equal(err, want);
}

/* pattern with its one "%s" replaced by dir (the patterns are data: no printf format) */
static void subst(char *out, size_t outsz, const char *pattern)
{
	const char *at = strstr(pattern, "%s");
	if (at == NULL)
		snprintf(out, outsz, "%s", pattern);
	else
		snprintf(out, outsz, "%.*s%s%s", (int)(at - pattern), pattern, dir, at + 2);
}

static void test_templates_add(void **state)
{
	(void)state;
	struct ent_templates ts = {0};
	char arg[512], err[512];
	write_file("t", "{{ secret \"db\" }}");
	snprintf(arg, sizeof arg, "%s/t=fd:CONF", dir);
	assert_int_equal(ent_templates_add(&ts, arg, err, sizeof err), CW_OK);
	snprintf(arg, sizeof arg, "%s/t=env:CONF", dir);
	assert_int_equal(ent_templates_add(&ts, arg, err, sizeof err), CW_OK);
	snprintf(arg, sizeof arg, "%s/t=file:%s/out", dir, dir);
	assert_int_equal(ent_templates_add(&ts, arg, err, sizeof err), CW_OK);
	assert_int_equal(ts.n, 3);
	assert_int_equal(ts.v[0].dest.kind, ENT_FD);
	assert_string_equal(ts.v[0].dest.target, "CONF");
	assert_int_equal(ts.v[1].dest.kind, ENT_ENV);
	assert_int_equal(ts.v[2].dest.kind, ENT_FILE);
	char name[300];
	snprintf(name, sizeof name, "--template %s/t", dir);
	assert_string_equal(ts.v[2].dest.name, name);
	static const char *bad[][2] = {
	    {"", "--template: SRC=DEST expected"},
	    {"=fd:X", "--template: SRC=DEST expected"},
	    {"%s/t", "--template: SRC=DEST expected"},
	    {"%s/t=", "--template %s/t: destination must be fd:VAR, file:PATH or env:VAR"},
	    {"%s/t=env-json:P_", "--template %s/t: DEST must be fd:VAR, file:PATH or env:VAR"},
	    {"%s/t=fd", "--template %s/t: fd: and env: need a variable (fd:VAR)"},
	    {"%s/t=env:", "--template %s/t: fd: and env: need a variable (fd:VAR)"},
	    {"%s/t=env:1X", "--template %s/t: invalid variable name or prefix"},
	    {"%s/t=file:rel", "--template %s/t: file: needs an absolute path"},
	    {"%s/nope=fd:X", "%s/nope: No such file or directory"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char want[512];
		subst(arg, sizeof arg, bad[i][0]);
		subst(want, sizeof want, bad[i][1]);
		assert_int_equal(ent_templates_add(&ts, arg, err, sizeof err), CW_ERR_USAGE);
		assert_string_equal(err, want);
	}
	assert_int_equal(ts.n, 3);
	ent_templates_free(&ts);
	assert_int_equal(ts.n, 0);
}

static void test_add_specs(void **state)
{
	(void)state;
	struct ent_templates ts = {0};
	char arg[512], err[512];
	write_file("s1", "{{ secret \"db\" }}{{ secret \"app1/x@4\" }}\n{{ secret \"only@2\" }}");
	write_file("s2", "\n\n{{ secret \"only@7\" \"k\" }}{{ secret \"other\" }}");
	snprintf(arg, sizeof arg, "%s/s1=fd:A", dir);
	assert_int_equal(ent_templates_add(&ts, arg, err, sizeof err), CW_OK);
	snprintf(arg, sizeof arg, "%s/s2=fd:B", dir);
	assert_int_equal(ent_templates_add(&ts, arg, err, sizeof err), CW_OK);
	struct ent_spec *specs = calloc(2, sizeof *specs);
	assert_non_null(specs);
	assert_int_equal(ent_parse_spec("db=env:DB", &specs[0], err, sizeof err), CW_OK);
	assert_int_equal(ent_parse_spec("app1/", &specs[1], err, sizeof err), CW_OK);
	size_t n = 2;
	assert_int_equal(ent_templates_add_specs(&ts, &specs, &n, err, sizeof err), CW_OK);
	/* db has a --fetch, app1/x is in a group: only "only" and "other" are added */
	assert_int_equal(n, 4);
	assert_string_equal(specs[2].name, "only");
	assert_int_equal(specs[2].kind, ENT_NONE);
	assert_int_equal(specs[2].min_version, 7);
	assert_false(specs[2].group);
	assert_string_equal(specs[3].name, "other");
	assert_int_equal(specs[3].min_version, 0);
	/* a second call adds nothing */
	assert_int_equal(ent_templates_add_specs(&ts, &specs, &n, err, sizeof err), CW_OK);
	assert_int_equal(n, 4);
	char where[512], want[512];
	assert_true(ent_templates_where(&ts, "only", where, sizeof where));
	snprintf(want, sizeof want, "%s/s1:2", dir);
	assert_string_equal(where, want);
	assert_true(ent_templates_where(&ts, "other", where, sizeof where));
	snprintf(want, sizeof want, "%s/s2:3", dir);
	assert_string_equal(where, want);
	assert_false(ent_templates_where(&ts, "nope", where, sizeof where));
	free(specs);
	ent_templates_free(&ts);
}

static void test_render_deliver(void **state)
{
	(void)state;
	struct ent_templates ts = {0};
	struct ent_files files = {0};
	struct ent_opts o = {0};
	char arg[512], err[512], path[256];
	write_file("r1", "user={{ secret \"app1/cfg\" \"db.user\" }}\n");
	write_file("r2", "{{ secret \"nope\" }}");
	snprintf(path, sizeof path, "%s/out", dir);
	snprintf(arg, sizeof arg, "%s/r1=file:%s", dir, path);
	assert_int_equal(ent_templates_add(&ts, arg, err, sizeof err), CW_OK);
	snprintf(arg, sizeof arg, "%s/r1=env:CW_TPL_TEST", dir);
	assert_int_equal(ent_templates_add(&ts, arg, err, sizeof err), CW_OK);
	cw_sbuf *out = calloc(ts.n, sizeof *out);
	assert_non_null(out);
	assert_int_equal(ent_templates_render(&ts, lookup, NULL, out, err, sizeof err), CW_OK);
	assert_int_equal(ent_templates_deliver(&ts, out, &o, &files, err, sizeof err), CW_OK);
	ent_templates_wipe(out, ts.n);
	unsigned char *got;
	size_t len;
	assert_int_equal(cw_read_file(path, 100, &got, &len), CW_OK);
	assert_int_equal(len, 11);
	assert_memory_equal(got, "user=admin\n", 11);
	free(got);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0400);
	assert_string_equal(getenv("CW_TPL_TEST"), "user=admin\n");
	ent_files_forget_env(&files);
	assert_null(getenv("CW_TPL_TEST"));
	ent_files_remove(&files);
	assert_int_not_equal(access(path, F_OK), 0);
	ent_files_free(&files);
	/* a failing template among others: every rendering is wiped */
	snprintf(arg, sizeof arg, "%s/r2=fd:X", dir);
	assert_int_equal(ent_templates_add(&ts, arg, err, sizeof err), CW_OK);
	out = calloc(ts.n, sizeof *out);
	assert_non_null(out);
	assert_int_not_equal(ent_templates_render(&ts, lookup, NULL, out, err, sizeof err), CW_OK);
	char want[512];
	snprintf(want, sizeof want, "%s/r2:1: nope: not found", dir);
	assert_string_equal(err, want);
	for (size_t i = 0; i < ts.n; i++)
		assert_null(out[i].data);
	ent_templates_wipe(out, ts.n);
	ent_templates_wipe(NULL, 0);
	ent_templates_free(&ts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text),
	    cmocka_unit_test(test_secret),
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_render_errors),
	    cmocka_unit_test(test_no_secret_in_errors),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_uses),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_output_limit),
	    cmocka_unit_test(test_rerender),
	    cmocka_unit_test_setup_teardown(test_load, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_templates_add, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_add_specs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_render_deliver, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
