/* wallet serve's TLS session cache: the sessions that clients may resume, kept in this
 * process's memory and nowhere else (docs/DESIGN.md, "Sessions").
 *
 * A TLS 1.3 client resumes with a ticket that is only a session id; the session itself, with
 * the client certificate the full handshake verified (already decoded), stays here. That is
 * what makes a resumption cheap on OpenSSL 3.0: a ticket that carries the session would have
 * its certificate decoded again at each resumption, which costs as much as most of a full
 * handshake (docs/BENCHMARKS.md, "Watchers").
 *
 * Each session is resumed once: taking it out for a resumption removes it, and the resumed
 * connection's new ticket stores its successor. A client thus holds one entry, and a ticket
 * seen twice (replayed) gets a full handshake. Bounded: at most capacity sessions (each holds
 * a decoded certificate, about 6.5 KiB); the oldest stored goes first. Thread-safe. */
#ifndef CW_SESSCACHE_H
#define CW_SESSCACHE_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct cw_sc cw_sc;

/* NULL when out of memory; capacity > 0. */
cw_sc *cw_sc_new(size_t capacity);
/* Releases every session. */
void cw_sc_free(cw_sc *c);

/* Stores sess under its id, taking over the caller's reference (also when it is refused:
 * false for a session without an id or when out of memory, and the reference is released).
 * A session stored under the same id before is replaced. */
bool cw_sc_put(cw_sc *c, SSL_SESSION *sess);

/* Removes the session stored under id and hands it over (the cache's reference becomes the
 * caller's) when usable(sess, arg) says so (usable NULL: always); otherwise, or when there is
 * none, NULL, and an unusable session is released. usable runs under the cache's lock: it must
 * not call back into the cache. */
SSL_SESSION *cw_sc_take(cw_sc *c, const unsigned char *id, size_t idlen,
                        bool (*usable)(SSL_SESSION *sess, void *arg), void *arg);

/* Forgets the session stored under id, if any. */
void cw_sc_remove(cw_sc *c, const unsigned char *id, size_t idlen);

/* Forgets every session. */
void cw_sc_clear(cw_sc *c);

/* Sessions stored now. */
size_t cw_sc_count(cw_sc *c);

#endif
