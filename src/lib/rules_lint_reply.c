/*
 * Return traffic through a stateless NACL (doc/aws-semantics.md 1.6, 4.2 #1-3).
 * A TCP/UDP service allowed one way needs its replies, addressed to the
 * client's ephemeral ports, allowed the other way. Exactly: take the peers
 * the service rule really decides for (its box minus every earlier rule),
 * then run first match over the other direction for the replies to those
 * peers on an ephemeral range; whatever an explicit deny or the '*' deny
 * gets is dropped. One exception: a deny of every port for part of the
 * service's peers (a blocklist entry, "deny all from 198.51.100.0/24")
 * blocks those peers on purpose; their lost replies are not an
 * ephemeral-port mistake, and opening the range around it would undo it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_lint_int.h"

enum reply_status { RS_PASS, RS_PARTLY, RS_DROP, RS_CUT };

/* 1 when the reply checks have used up their budget. */
static bool over_budget(const struct lint *l)
{
	return l->steps + (lint_cidr_tests - l->tests0) > l->reply_budget;
}

struct reply_walk {
	bool allowed, dropped;
	const struct nacl_entry *deny;	/* first explicit deny that drops some; NULL: the '*' */
};

/*
 * The peers rule i of own is the first match for, each with ports lo-hi.
 * Only the rules near its prefix (containing it or inside it) can take
 * any of its packets: the others are not looked at. 1: over budget.
 */
static int decided_peers(struct lint *l, const struct nacl_dir *own, size_t i,
			 uint16_t lo, uint16_t hi, struct lint_region *peers)
{
	const struct nacl_entry *e = own->v[i];
	struct lint_region r;
	struct lint_box b;
	size_t j, k, n;
	int rc = -1;

	region_init(&r);
	if (!lint_nacl_box(e, e->proto, &b))
		return 0;	/* matches nothing: no peers */
	if (region_add(&r, &b.c, b.lo, b.hi) < 0)
		goto out;
	n = lint_nacl_near(l, own, &e->cidr);
	for (k = 0; k < n && (j = own->near[k]) < i && r.n; k++) {
		l->steps += r.n;
		if (over_budget(l)) {
			rc = 1;
			goto out;
		}
		if (own->v[j]->number >= e->number ||
		    !lint_nacl_box(own->v[j], e->proto, &b))
			continue;
		if (region_subtract(&r, &b) < 0)
			goto out;
	}
	rc = region_project(&r, lo, hi, peers);
out:
	region_free(&r);
	return rc;
}

/* A deny of every port for peers strictly inside the service's CIDR. */
static bool blocklist(const struct nacl_entry *f, const struct lint_box *b,
		      const struct cidr *svc)
{
	return !f->allow && b->lo == 0 && b->hi == 65535 &&
	       f->cidr.plen > svc->plen && lint_cidr_has(svc, &f->cidr);
}

/*
 * First match over `other` for the replies in r (consumed) to peers of svc.
 * The peers lie inside svc's prefix: only the rules near it can match.
 * 1: over budget, w undecided.
 */
static int walk(struct lint *l, const struct nacl_dir *other, const struct nacl_entry *svc,
		struct lint_region *r, struct reply_walk *w)
{
	struct lint_box b;
	size_t k, n = lint_nacl_near(l, other, &svc->cidr);

	memset(w, 0, sizeof(*w));
	for (k = 0; k < n && r->n; k++) {
		const struct nacl_entry *f = other->v[other->near[k]];

		l->steps += r->n;
		if (over_budget(l))
			return 1;
		if (!lint_nacl_box(f, svc->proto, &b) || !region_overlaps(r, &b))
			continue;
		if (f->allow) {
			w->allowed = true;
		} else if (!blocklist(f, &b, &svc->cidr)) {
			w->dropped = true;
			if (!w->deny)
				w->deny = f;
		}
		if (region_subtract(r, &b) < 0)
			return -1;
	}
	if (r->n)
		w->dropped = true;	/* the '*' deny */
	return 0;
}

/* ---- walks already made ---------------------------------------------------
 * A walk depends only on the other direction, the service's protocol and
 * prefix (blocklists are judged against it), the ports and the peers. Many
 * services share all of these (every "allow tcp N from 0.0.0.0/0" decides
 * for the whole /0), so each distinct walk is made once.
 */

struct reply_memo_entry {
	uint64_t hash;
	struct cidr *key;		/* service prefix, then the peers sorted */
	size_t n_key;
	int proto;
	uint16_t lo, hi;
	bool egress;			/* of the other direction */
	struct reply_walk w;
};

struct reply_memo {
	struct reply_memo_entry *e;
	size_t cap, n;
};

void lint_reply_memo_free(struct lint *l)
{
	size_t i;

	if (!l->memo)
		return;
	for (i = 0; i < l->memo->cap; i++)
		free(l->memo->e[i].key);
	free(l->memo->e);
	free(l->memo);
	l->memo = NULL;
}

static int cmp_cidr(const void *x, const void *y)
{
	return memcmp(x, y, sizeof(struct cidr));
}

static uint64_t key_hash(const struct cidr *k, size_t n, int proto, uint16_t lo, uint16_t hi)
{
	const uint8_t *b = (const uint8_t *)k;
	uint64_t h = 1469598103934665603ull ^ (uint64_t)(proto + 1) ^ (uint64_t)lo << 16 ^
		     (uint64_t)hi << 32;
	size_t i;

	for (i = 0; i < n * sizeof(*k); i++)
		h = (h ^ b[i]) * 1099511628211ull;	/* FNV-1a */
	return h | 1;	/* 0: an empty slot */
}

static struct reply_memo_entry *memo_slot(struct reply_memo *m, const struct reply_memo_entry *q)
{
	size_t i = q->hash & (m->cap - 1);

	for (;; i = (i + 1) & (m->cap - 1)) {
		struct reply_memo_entry *e = &m->e[i];

		if (!e->hash || (e->hash == q->hash && e->n_key == q->n_key &&
				 e->proto == q->proto && e->lo == q->lo && e->hi == q->hi &&
				 e->egress == q->egress &&
				 !memcmp(e->key, q->key, q->n_key * sizeof(*q->key))))
			return e;
	}
}

static int memo_grow(struct reply_memo *m)
{
	struct reply_memo old = *m;
	size_t i;

	m->cap = old.cap ? old.cap * 2 : 64;
	m->e = calloc(m->cap, sizeof(*m->e));
	if (!m->e) {
		*m = old;
		return -1;
	}
	for (i = 0; i < old.cap; i++)
		if (old.e[i].hash)
			*memo_slot(m, &old.e[i]) = old.e[i];
	free(old.e);
	return 0;
}

/* The memo's key for a walk: the service's prefix, then the peers in order. NULL: ENOMEM. */
static struct cidr *walk_key(const struct nacl_entry *svc, const struct lint_region *peers,
			     size_t *n)
{
	struct cidr *k = calloc(peers->n + 1, sizeof(*k));
	size_t i;

	if (!k)
		return NULL;
	k[0] = svc->cidr;
	for (i = 0; i < peers->n; i++)
		k[i + 1] = peers->b[i].c;
	qsort(k + 1, peers->n, sizeof(*k), cmp_cidr);
	*n = peers->n + 1;
	return k;
}

/* walk(), or its answer from an earlier walk of the same replies. */
static int walk_once(struct lint *l, const struct nacl_dir *other, const struct nacl_entry *svc,
		     struct lint_region *peers, uint16_t lo, uint16_t hi, struct reply_walk *w)
{
	struct reply_memo_entry q = { .proto = svc->proto, .lo = lo, .hi = hi,
				      .egress = !svc->egress }, *e;
	int rc;

	if ((!l->memo && !(l->memo = calloc(1, sizeof(*l->memo)))) ||
	    (l->memo->n * 2 >= l->memo->cap && memo_grow(l->memo) < 0) ||
	    !(q.key = walk_key(svc, peers, &q.n_key)))
		return -1;
	q.hash = key_hash(q.key, q.n_key, q.proto, lo, hi);
	e = memo_slot(l->memo, &q);
	if (e->hash) {
		free(q.key);
		*w = e->w;
		return 0;
	}
	rc = walk(l, other, svc, peers, w);
	if (rc) {
		free(q.key);	/* a walk cut short is not an answer to keep */
		return rc;
	}
	q.w = *w;
	*e = q;
	l->memo->n++;
	return 0;
}

/* How the replies of rule i to the peers' ports lo-hi fare (RS_CUT: over budget); -1 on ENOMEM. */
static int reply_status(struct lint *l, const struct nacl_dir *own, size_t i,
			const struct nacl_dir *other, uint16_t lo, uint16_t hi,
			struct reply_walk *w)
{
	struct lint_region peers;
	int rc;

	region_init(&peers);
	rc = decided_peers(l, own, i, lo, hi, &peers);
	if (rc == 0)
		rc = walk_once(l, other, own->v[i], &peers, lo, hi, w);
	region_free(&peers);
	if (rc < 0)
		return -1;
	if (rc > 0)
		return RS_CUT;
	if (!w->dropped)
		return RS_PASS;
	return w->allowed ? RS_PARTLY : RS_DROP;
}

static const char *status_text(int st)
{
	return st == RS_PASS ? "pass" : st == RS_PARTLY ? "are partly dropped" : "are dropped";
}

static void clients_text(int lin, int win, char *buf, size_t len)
{
	if (lin == win)
		snprintf(buf, len, "replies to Linux (%d-%d) and Windows (%d-%d) clients %s",
			 EPH_LINUX_LO, EPH_LINUX_HI, EPH_WIN_LO, EPH_WIN_HI,
			 status_text(lin));
	else if (win == RS_PASS)
		snprintf(buf, len, "replies to Windows clients (%d-%d) pass, replies to Linux clients (%d-%d) %s",
			 EPH_WIN_LO, EPH_WIN_HI, EPH_LINUX_LO, EPH_LINUX_HI,
			 status_text(lin));
	else
		snprintf(buf, len, "replies to Linux clients (%d-%d) %s, replies to Windows clients (%d-%d) %s",
			 EPH_LINUX_LO, EPH_LINUX_HI, status_text(lin),
			 EPH_WIN_LO, EPH_WIN_HI, status_text(win));
}

/* " numbered below rule 120 (line 9)" when an explicit deny drops them. */
static void below_text(const struct reply_walk *w, const struct nacl_entry *e,
		       char *buf, size_t len)
{
	char ref[300];

	if (!w->deny) {
		buf[0] = '\0';
		return;
	}
	snprintf(buf, len, " numbered below rule %u (%s)", w->deny->number,
		 lint_ref(&w->deny->origin, &e->origin, ref, sizeof(ref)));
}

/* Inbound service: the server's outbound rules must pass replies to any client. */
static int check_inbound(struct lint *l, const struct nacl_dir *own, size_t i,
			 const struct nacl_dir *other)
{
	const struct nacl_entry *e = own->v[i];
	char self[32], what[64], cidr[CIDR_STRLEN], clients[200], below[340];
	struct reply_walk wl, ww;
	int lin, win;

	lin = reply_status(l, own, i, other, EPH_LINUX_LO, EPH_LINUX_HI, &wl);
	if (lin == RS_PASS || lin < 0 || lin == RS_CUT)
		return lin;
	win = reply_status(l, own, i, other, EPH_WIN_LO, EPH_WIN_HI, &ww);
	if (win < 0 || win == RS_CUT)
		return win;
	clients_text(lin, win, clients, sizeof(clients));
	below_text(&wl, e, below, sizeof(below));
	cidr_format(&e->cidr, cidr, sizeof(cidr));
	lint_warn(l, &e->origin,
		  "inbound rule %u%s allows %s from %s but not all its replies leave: %s; add an outbound allow of %s %d-%d to %s%s; ELB and NAT gateways use %d-%d too",
		  e->number, lint_self(&e->origin, self, sizeof(self)),
		  lint_what(e->proto, LK_PORTS, e->port_from, e->port_to, what, sizeof(what)),
		  cidr, clients, proto_name(e->proto), EPH_ANY_LO, EPH_ANY_HI,
		  cidr, below, EPH_ANY_LO, EPH_ANY_HI);
	return 0;
}

/* Outbound service: this host's inbound rules must pass replies to its own ephemeral ports. */
static int check_outbound(struct lint *l, const struct nacl_dir *own, size_t i,
			  const struct nacl_dir *other)
{
	const struct nacl_entry *e = own->v[i];
	char self[32], what[64], cidr[CIDR_STRLEN], below[340];
	struct reply_walk w;
	int st;

	st = reply_status(l, own, i, other, EPH_LINUX_LO, EPH_LINUX_HI, &w);
	if (st == RS_PASS || st < 0 || st == RS_CUT)
		return st;
	below_text(&w, e, below, sizeof(below));
	cidr_format(&e->cidr, cidr, sizeof(cidr));
	lint_warn(l, &e->origin,
		  "outbound rule %u%s allows %s to %s but the inbound rules drop %sits replies to this host's ephemeral ports (Linux %d-%d); add an inbound allow of %s %d-%d from %s%s",
		  e->number, lint_self(&e->origin, self, sizeof(self)),
		  lint_what(e->proto, LK_PORTS, e->port_from, e->port_to, what, sizeof(what)),
		  cidr, st == RS_PARTLY ? "some of " : "", EPH_LINUX_LO, EPH_LINUX_HI,
		  proto_name(e->proto), EPH_ANY_LO, EPH_ANY_HI, cidr, below);
	return 0;
}

void lint_nacl_replies(struct lint *l, const struct nacl_dir *own, size_t i,
		       const struct nacl_dir *other)
{
	int rc = RS_CUT;

	if (!lint_nacl_is_service(own->v[i]))
		return;
	l->services++;
	if (!over_budget(l))
		rc = own->v[i]->egress ? check_outbound(l, own, i, other) :
					 check_inbound(l, own, i, other);
	if (rc < 0) {
		lint_oom(l);
	} else if (rc == RS_CUT) {
		if (!l->replies_cut++)
			l->cut_at = own->v[i];
	}
}

void lint_nacl_replies_done(struct lint *l)
{
	const struct nacl_entry *e = l->cut_at;
	char self[32];

	if (!l->replies_cut)
		return;
	diag_add(l->d, DIAG_NOTE, e->origin.file, e->origin.line, 0, NULL,
		 "return-traffic checks stopped at %s rule %u%s: %zu of %zu service rules were not checked for replies their ACL drops, since the exact check of an ACL this large (%zu entries) would take far longer than loading it; AWS allows at most %d rules per direction",
		 e->egress ? "outbound" : "inbound", e->number,
		 lint_self(&e->origin, self, sizeof(self)),
		 l->replies_cut, l->services, l->rs->n_nacl, NACL_QUOTA_MAX);
}
