/* Session-ticket keys of wallet serve: the rules in tktkeys.h. */
#include "tktkeys.h"

#include <openssl/rand.h>
#include <string.h>

#include "secmem.h"

static bool make_key(cw_tk_key *k, int64_t now)
{
	if (RAND_bytes(k->name, sizeof k->name) != 1 ||
	    RAND_priv_bytes(k->aes, sizeof k->aes) != 1 ||
	    RAND_priv_bytes(k->hmac, sizeof k->hmac) != 1) {
		cw_wipe(k, sizeof *k);
		return false;
	}
	k->born = now;
	k->set = true;
	return true;
}

bool cw_tk_reset(cw_tk_set *s, int64_t period, int64_t now)
{
	cw_tk_wipe(s);
	s->period = period > 0 ? period : 1;
	return make_key(&s->cur, now);
}

const cw_tk_key *cw_tk_seal_key(cw_tk_set *s, int64_t now)
{
	if (s->cur.set && now - s->cur.born < s->period && now >= s->cur.born)
		return &s->cur;
	/* The current key's period is over (or the clock went back, which a monotonic clock
	 * does not do: a new key is the safe answer either way). */
	cw_wipe(&s->prev, sizeof s->prev);
	if (s->cur.set) {
		s->prev = s->cur;
		cw_wipe(&s->cur, sizeof s->cur);
	}
	return make_key(&s->cur, now) ? &s->cur : NULL;
}

static bool opens(const cw_tk_key *k, const cw_tk_set *s, const unsigned char *name, int64_t now)
{
	return k->set && now >= k->born && now - k->born < 2 * s->period &&
	       cw_ct_equal(k->name, name, CW_TK_NAME_LEN);
}

const cw_tk_key *cw_tk_open_key(const cw_tk_set *s, const unsigned char name[CW_TK_NAME_LEN],
                                int64_t now, bool *renew)
{
	*renew = false;
	if (opens(&s->cur, s, name, now)) {
		*renew = now - s->cur.born >= s->period;
		return &s->cur;
	}
	if (opens(&s->prev, s, name, now)) {
		*renew = true;
		return &s->prev;
	}
	return NULL;
}

void cw_tk_wipe(cw_tk_set *s)
{
	cw_wipe(&s->cur, sizeof s->cur);
	cw_wipe(&s->prev, sizeof s->prev);
}
