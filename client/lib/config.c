/* libwalletclient: configuration objects, status texts, shared helpers. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sealfmt.h"
#include "wc_internal.h"

/* The same switch as cw_strerror's, over the public enum, built from the same list: without
 * default, so -Wswitch flags a value that has no case. */
WALLET_API const char *wallet_strerror(wallet_status st)
{
	switch (st) {
#define CW_STATUS(name, number, message, comment) \
	case WALLET_##name:                       \
		return message;
#include "status.def"
#undef CW_STATUS
	case WALLET_STATUS_END:
		break;
	}
	return "unknown status";
}

WALLET_API const char *wallet_version(void)
{
	return WALLET_CLIENT_VERSION_STRING;
}

WALLET_API wallet_status wallet_config_new(wallet_config **out)
{
	if (out == NULL)
		return WALLET_ERR_USAGE;
	*out = calloc(1, sizeof **out);
	if (*out == NULL)
		return WALLET_ERR_NOMEM;
	(*out)->connect_ms = 5000;
	(*out)->request_ms = 30000;
	return WALLET_OK;
}

void wc_config_clear(struct wallet_config *cfg)
{
	if (cfg->urls != NULL)
		for (size_t i = 0; i < cfg->nurls; i++)
			free(cfg->urls[i]);
	free(cfg->urls);
	free(cfg->ca);
	free(cfg->cert);
	free(cfg->key);
	free(cfg->key_pass_file);
	free(cfg->gpg_key_file);
	free(cfg->gnupghome);
	free(cfg->signer);
	free(cfg->signer_key_file);
}

WALLET_API void wallet_config_free(wallet_config *cfg)
{
	if (cfg == NULL)
		return;
	wc_config_clear(cfg);
	free(cfg);
}

static wallet_status set_str(char **dst, const char *src)
{
	char *s = NULL;
	if (src != NULL && src[0] == '\0')
		return WALLET_ERR_USAGE;
	if (src != NULL && (s = strdup(src)) == NULL)
		return WALLET_ERR_NOMEM;
	free(*dst);
	*dst = s;
	return WALLET_OK;
}

WALLET_API wallet_status wallet_config_add_url(wallet_config *cfg, const char *url)
{
	if (cfg == NULL || url == NULL || strncmp(url, "https://", 8) != 0 || url[8] == '\0' ||
	    strlen(url) > 2048)
		return WALLET_ERR_USAGE;
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '?' || *p == '#' || *p == 0x7f)
			return WALLET_ERR_USAGE;
	size_t n = strlen(url);
	while (n > 8 && url[n - 1] == '/')
		n--; /* paths are appended with their own '/' */
	char **v = realloc(cfg->urls, (cfg->nurls + 1) * sizeof *v);
	if (v == NULL)
		return WALLET_ERR_NOMEM;
	cfg->urls = v;
	if ((v[cfg->nurls] = strndup(url, n)) == NULL)
		return WALLET_ERR_NOMEM;
	cfg->nurls++;
	return WALLET_OK;
}

WALLET_API wallet_status wallet_config_add_urls(wallet_config *cfg, const char *list)
{
	if (cfg == NULL || list == NULL)
		return WALLET_ERR_USAGE;
	char *copy = strdup(list), *save = NULL;
	if (copy == NULL)
		return WALLET_ERR_NOMEM;
	wallet_status st = WALLET_ERR_USAGE; /* an empty list is an error */
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		size_t n = strlen(tok);
		while (n > 0 && tok[n - 1] == ' ')
			tok[--n] = '\0';
		st = wallet_config_add_url(cfg, tok);
		if (st != WALLET_OK)
			break;
	}
	free(copy);
	return st;
}

WALLET_API wallet_status wallet_config_set_ca(wallet_config *cfg, const char *path)
{
	return cfg ? set_str(&cfg->ca, path) : WALLET_ERR_USAGE;
}

WALLET_API wallet_status wallet_config_set_cert(wallet_config *cfg, const char *cert,
                                                const char *key)
{
	if (cfg == NULL)
		return WALLET_ERR_USAGE;
	wallet_status st = set_str(&cfg->cert, cert);
	return st != WALLET_OK ? st : set_str(&cfg->key, key);
}

WALLET_API wallet_status wallet_config_set_key_passphrase_file(wallet_config *cfg, const char *path)
{
	return cfg ? set_str(&cfg->key_pass_file, path) : WALLET_ERR_USAGE;
}

/* Sets one of two settings that exclude each other, clearing the other one. */
static wallet_status set_one_of(char **chosen, char **other, const char *path)
{
	wallet_status st = set_str(chosen, path);
	if (st == WALLET_OK && path != NULL)
		st = set_str(other, NULL);
	return st;
}

WALLET_API wallet_status wallet_config_set_gpg_key_file(wallet_config *cfg, const char *path)
{
	return cfg ? set_one_of(&cfg->gpg_key_file, &cfg->gnupghome, path) : WALLET_ERR_USAGE;
}

WALLET_API wallet_status wallet_config_set_gnupghome(wallet_config *cfg, const char *path)
{
	return cfg ? set_one_of(&cfg->gnupghome, &cfg->gpg_key_file, path) : WALLET_ERR_USAGE;
}

WALLET_API wallet_status wallet_config_set_openpgp(wallet_config *cfg, wallet_openpgp engine)
{
	if (cfg == NULL || (engine != WALLET_OPENPGP_AUTO && engine != WALLET_OPENPGP_RNP &&
	                    engine != WALLET_OPENPGP_GNUPG))
		return WALLET_ERR_USAGE;
	cfg->openpgp = engine;
	return WALLET_OK;
}

WALLET_API wallet_status wallet_config_set_signer(wallet_config *cfg, const char *fpr)
{
	if (cfg == NULL || fpr == NULL || strlen(fpr) != 40 ||
	    strspn(fpr, "0123456789abcdefABCDEF") != 40)
		return WALLET_ERR_USAGE;
	wallet_status st = set_str(&cfg->signer, fpr);
	if (st == WALLET_OK)
		for (char *p = cfg->signer; *p; p++)
			if (*p >= 'a' && *p <= 'f')
				*p = (char)(*p - 'a' + 'A');
	return st;
}

WALLET_API wallet_status wallet_config_set_signer_key_file(wallet_config *cfg, const char *path)
{
	return cfg ? set_str(&cfg->signer_key_file, path) : WALLET_ERR_USAGE;
}

WALLET_API wallet_status wallet_config_set_timeouts(wallet_config *cfg, long connect_ms,
                                                    long request_ms)
{
	if (cfg == NULL || connect_ms <= 0 || request_ms <= 0)
		return WALLET_ERR_USAGE;
	cfg->connect_ms = connect_ms;
	cfg->request_ms = request_ms;
	return WALLET_OK;
}

WALLET_API wallet_status wallet_config_set_wait(wallet_config *cfg, long wait_ms)
{
	if (cfg == NULL || wait_ms < 0)
		return WALLET_ERR_USAGE;
	cfg->wait_ms = wait_ms;
	return WALLET_OK;
}

WALLET_API wallet_status wallet_config_set_log(wallet_config *cfg, wallet_log_fn fn, void *arg)
{
	if (cfg == NULL)
		return WALLET_ERR_USAGE;
	cfg->log = fn;
	cfg->log_arg = arg;
	return WALLET_OK;
}

WALLET_API wallet_status wallet_config_set_cancel(wallet_config *cfg, wallet_cancel_fn fn,
                                                  void *arg)
{
	if (cfg == NULL)
		return WALLET_ERR_USAGE;
	cfg->cancel = fn;
	cfg->cancel_arg = arg;
	return WALLET_OK;
}

bool wc_canceled(const wallet_client *c)
{
	return c->cfg.cancel != NULL && c->cfg.cancel(c->cfg.cancel_arg) != 0;
}

/* A thread that works for a client beside the caller's (keys.c) writes its errors here. */
static _Thread_local char *err_buf;
static _Thread_local size_t err_size;

void wc_err_redirect(char *buf, size_t size)
{
	err_buf = buf;
	err_size = size;
}

char *wc_err_line(wallet_client *c, size_t *size)
{
	*size = err_buf != NULL ? err_size : sizeof c->err;
	return err_buf != NULL ? err_buf : c->err;
}

void wc_err(wallet_client *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (err_buf != NULL)
		vsnprintf(err_buf, err_size, fmt, ap);
	else
		vsnprintf(c->err, sizeof c->err, fmt, ap);
	va_end(ap);
}

void wc_log(wallet_client *c, const char *fmt, ...)
{
	if (c->cfg.log == NULL)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	c->cfg.log(c->cfg.log_arg, msg);
}
