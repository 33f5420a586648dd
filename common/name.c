#include "name.h"

#include <string.h>

static bool seg_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

bool cw_name_valid(const char *name, size_t len)
{
	if (name == NULL || len == 0 || len > CW_NAME_MAX)
		return false;
	size_t seg_start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || name[i] == '/') {
			size_t seg_len = i - seg_start;
			if (seg_len == 0)
				return false;
			if (seg_len == 1 && name[seg_start] == '.')
				return false;
			if (seg_len == 2 && name[seg_start] == '.' && name[seg_start + 1] == '.')
				return false;
			seg_start = i + 1;
		} else if (!seg_char((unsigned char)name[i])) {
			return false;
		}
	}
	return true;
}

bool cw_group_valid(const char *prefix, size_t len)
{
	return prefix != NULL && len >= 2 && prefix[len - 1] == '/' &&
	       cw_name_valid(prefix, len - 1);
}

bool cw_client_name_valid(const char *name, size_t len)
{
	return len <= CW_CLIENT_NAME_MAX && cw_name_valid(name, len) &&
	       memchr(name, '/', len) == NULL;
}

bool cw_name_to_file(const char *name, char *out, size_t outsz)
{
	size_t len = name ? strlen(name) : 0;
	if (!cw_name_valid(name, len) || outsz <= len)
		return false;
	for (size_t i = 0; i < len; i++)
		out[i] = name[i] == '/' ? '@' : name[i];
	out[len] = '\0';
	return true;
}

bool cw_name_from_file(const char *file, char *out, size_t outsz)
{
	size_t len = file ? strlen(file) : 0;
	if (len == 0 || outsz <= len)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (file[i] == '/')
			return false;
		out[i] = file[i] == '@' ? '/' : file[i];
	}
	out[len] = '\0';
	return cw_name_valid(out, len);
}

bool cw_version_parse(const char *s, size_t len, uint64_t *out)
{
	if (s == NULL || len == 0 || s[0] < '1' || s[0] > '9')
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > (CW_VERSION_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

uint32_t cw_name_hash(const char *name)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}
