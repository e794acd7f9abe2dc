/*
 * internal.h - the process-local handle and the functions lib/ files share.
 *
 * Internal header; do not include from applications. Nothing here is
 * exported: the library is built with -fvisibility=hidden and a version
 * script, and only SHMRING_API functions escape.
 */
#ifndef SHMRING_INTERNAL_H
#define SHMRING_INTERNAL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "shmring.h"
#include "atomics.h"
#include "hooks.h"
#include "layout.h"
#include "region.h"

#define NSEC_PER_SEC INT64_C(1000000000)
#define NSEC_PER_MSEC INT64_C(1000000)

/*
 * How often a polling side checks that its peer is still alive (a poll of
 * a pidfd, or a /proc read, per attached peer). A sleeping side is woken
 * by the kernel when a watched peer exits (wait_uring.c) and sleeps at most
 * WATCH_SLICE_NS, a safety net; where that cannot be had it sleeps in
 * SLEEP_SLICE_NS slices, so that a peer killed with SIGKILL, which wakes
 * nobody, is still noticed within about 100 ms.
 */
#define LIVENESS_PERIOD_NS (20 * NSEC_PER_MSEC)
#define SLEEP_SLICE_NS (100 * NSEC_PER_MSEC)
#define WATCH_SLICE_NS (1000 * NSEC_PER_MSEC)

/*
 * An SPSC consumer that finds the ring empty after taking this many
 * messages or more since it last found it empty slips (wait_slip()).
 */
#define SLIP_STREAK 16

/*
 * The handle: everything a process keeps about one attachment. Copies of
 * the geometry are taken once, after validation, and never re-read from
 * the region: a peer that scribbles on the header later cannot make this
 * process index outside its mapping.
 */
struct shmring {
	struct region reg;
	struct shmring_hdr *hdr;
	unsigned char *data; /* start of the data area */
	uint32_t kind;
	int role;
	uint64_t cap;  /* data bytes (SPSC) or slots (MPMC) */
	uint64_t mask; /* cap - 1 */
	uint64_t max_msg;
	uint64_t slot_size; /* MPMC: bytes per slot */
	uint64_t spin_ns;
	uint64_t slip_ns; /* shmring_set_slip() */
	uint32_t sends; /* counts sends between looks for a dead consumer */
	bool light_fence; /* registered for membarrier: see wait.c */
	bool spun;       /* this wait's spin is done: wait_for() skips its own */

	/* Producer side: only this handle writes hdr->prod_pos. */
	uint64_t ppos;        /* next record goes here (== hdr->prod_pos) */
	uint64_t cached_cons; /* hdr->cons_pos as last read */
	uint64_t rsv_pos;     /* open reservation: its record's position */
	uint64_t rsv_len;     /* open reservation: bytes reserved */
	bool rsv_open;

	/* Consumer side: only this handle writes hdr->cons_pos. */
	uint64_t cpos;        /* next record read from here */
	uint64_t cached_prod; /* hdr->prod_pos as last read */
	uint64_t peek_next;   /* position after the peeked record */
	uint64_t peek_len;    /* length of the peeked message */
	bool peeked;
	uint64_t taken;       /* messages taken through this handle */
	uint64_t taken_empty; /* taken when the ring was last found empty */

	/* MPMC: the slot held by the open reservation or peek. */
	uint64_t peek_pos;
	uint64_t peek_seq;

	/*
	 * BCAST (bcast.c). The publisher uses ppos, cached_cons (its bound:
	 * no live subscriber's cursor was below it when last looked at)
	 * and the reservation above; a subscriber cpos, cached_prod and the
	 * peek above (peek_pos: the peeked record).
	 */
	struct bcast_sub *subs; /* the subscriber table, after the data */
	bool overwrite;         /* SHMRING_OVERWRITE */
	bool fresh;             /* subscriber: count no gap before the next */
	uint64_t ptail;         /* publisher: the oldest record intact */
	uint64_t pseq;          /* publisher: number of the next message */
	uint64_t intent_floor;  /* publisher: a dead predecessor's intent */
	uint64_t rseq;          /* subscriber: number of the next message */
	uint64_t lost;          /* subscriber: messages missed */

	/*
	 * Counters: the line of the entry held for each role, or a private
	 * scratch line when the handle does not hold that role.
	 */
	struct peer_line *line[2];
	struct peer_line scratch;

	/* Attachment. */
	uint64_t self_id;   /* packed peer id, role bits cleared */
	int entry[2];       /* peer entries held: [0] producer, [1] consumer */
	int64_t next_live_check; /* monotonic ns */
	/* Liveness cache: a pidfd per peer entry, for the id it was opened on. */
	int pidfd[PEER_SLOTS];
	uint64_t pidfd_id[PEER_SLOTS];
	/* Entries of dead peers marked by peer.c, for ring.c to reap. */
	uint32_t dead;
	uint64_t dead_id[PEER_SLOTS]; /* the dead one's id, to put it back */
	/* wait_for(): the time left when a dead peer cut the wait short. */
	int64_t wait_left;
	/* Sleeping on the futex and the peers' pidfds at once (wait_uring.c). */
	struct uring *ur;
	bool ur_none; /* io_uring cannot do it here: sleep in slices */
	/* Pollable descriptors (poll.c): [0] POLLOUT, [1] POLLIN. */
	struct poll_dir *pd[2];
	/*
	 * Cache of "every holder of the role closed", valid for peers_gen ==
	 * closed_gen. open_gen is closed_gen where the answer is "no", else
	 * a value no uint32_t is: the fast path's whole test in one compare.
	 */
	uint32_t closed_gen[2];
	uint64_t open_gen[2];
};

/*
 * A payload of at most 64 bytes, copied in line: for those sizes the call
 * to memcpy(), and the registers a caller saves around it, cost more than
 * the copy. Two or four overlapping moves of 16 bytes (8 or 4 for the
 * smallest), from the front and from the back, so that it reads only
 * [src, src + len) and writes only [dst, dst + len); the two must not
 * overlap each other.
 */
static inline __attribute__((always_inline)) void
copy_small(void *dst, const void *src, size_t len)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	if (len > 32) {
		memcpy(d, s, 16);
		memcpy(d + 16, s + 16, 16);
		memcpy(d + len - 32, s + len - 32, 16);
		memcpy(d + len - 16, s + len - 16, 16);
	} else if (len >= 16) {
		memcpy(d, s, 16);
		memcpy(d + len - 16, s + len - 16, 16);
	} else if (len >= 8) {
		memcpy(d, s, 8);
		memcpy(d + len - 8, s + len - 8, 8);
	} else if (len >= 4) {
		memcpy(d, s, 4);
		memcpy(d + len - 4, s + len - 4, 4);
	} else if (len) {
		d[0] = s[0];
		d[len / 2] = s[len / 2];
		d[len - 1] = s[len - 1];
	}
}

/* A message's payload: in line up to 64 bytes, memcpy() above. */
static inline __attribute__((always_inline)) void
copy_payload(void *dst, const void *src, size_t len)
{
	if (len > 64)
		memcpy(dst, src, len);
	else
		copy_small(dst, src, len);
}

/*
 * Add to a counter of our own line: we are its only writer.
 * SHMRING_NO_COUNTERS leaves every count out: only the benchmark's second
 * copy of the library is built so (bench/local.mk), to measure what the
 * counters cost against the copy that keeps them.
 */
#ifdef SHMRING_NO_COUNTERS
static inline void count(_Atomic uint64_t *c, uint64_t n)
{
	(void)c;
	(void)n;
}
#else
static inline void count(_Atomic uint64_t *c, uint64_t n)
{
	store_relaxed(c, load_relaxed(c) + n);
}
#endif

/*
 * A dead peer found below the ring layer: returned up to ring.c, which
 * reaps it (the ring kind recovers its claim, peer.c frees its entry, the
 * wait layer wakes the sleepers) and calls again. Never escapes ring.c.
 */
#define PEER_DEAD (-EOWNERDEAD)

/* CLOCK_MONOTONIC in nanoseconds: timeouts and deadlines. */
static inline int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* wait.c */
/*
 * A wait_for() condition, run before the wait, while spinning and after
 * each wake-up: > 0 the wait is over (wait_for() returns 0), < 0 an error
 * to return as is (PEER_DEAD included: r->wait_left then says how much
 * of the timeout is left), 0 keep waiting. wait_for() returns 0 once the
 * condition said done, its error, -EAGAIN for a timeout of 0 (a try) or
 * -ETIMEDOUT; a timeout below 0 waits for ever.
 */
typedef int (*wait_cond_fn)(struct shmring *r, void *arg);
int wait_for(struct shmring *r, struct wait_line *w, wait_cond_fn cond,
	     void *arg, int64_t timeout_ns);
void wait_wake_slow(struct shmring *r, struct wait_line *w, int n);
void wait_wake_all(struct shmring *r);
void wait_fini(struct shmring *r);
void wait_forget(struct shmring *r, int entry);
int64_t wait_slip(struct shmring *r, int64_t timeout_ns);
bool wait_register(void);
void wait_mark(struct wait_line *w, uint32_t bit);
int64_t wait_fence(struct shmring *r);
int64_t wait_announce(struct shmring *r, struct wait_line *w, uint32_t bit);
void wait_withdraw(struct wait_line *w, uint32_t bit);
void wait_asleep(struct wait_line *w, uint32_t bit);
void wait_sleep(_Atomic uint32_t *word, uint32_t val, int64_t rel_ns);
void wait_kick(_Atomic uint32_t *word);
void wait_private(_Atomic uint32_t *word, uint32_t val);
void wake_private(_Atomic uint32_t *word);
int wait_many(_Atomic uint32_t *const *words, const uint32_t *vals, unsigned n,
	      int64_t rel_ns, bool fallback);

/*
 * A descriptor that polls readable when a peer process exits (its
 * pidfd), and a tag naming that process: what peer.c hands the wait
 * layer to watch while it sleeps.
 */
struct peer_fd {
	int fd;
	uint64_t tag;
};

/* wait_uring.c: the wait layer's io_uring backend. */
int wait_uring_sleep(struct shmring *r, _Atomic uint32_t *word, uint32_t val,
		     const struct peer_fd *fds, int n, int64_t rel_ns);
void wait_uring_fini(struct shmring *r);
/* A ring of its own for a pollable descriptor (poll.c). */
struct uring *wait_uring_open(void);
int wait_uring_fd(const struct uring *u);
void wait_uring_close(struct uring *u);
int wait_uring_drain(struct uring *u, bool *fired);
int wait_uring_post(struct uring *u);
int wait_uring_arm(struct uring *u, _Atomic uint32_t *word, uint32_t val,
		   const struct peer_fd *fds, int n);

/* poll.c; @ready is ring.c's readiness of a handle, arg an int dir. */
#define POLL_MAX_WORDS 256 /* two per item: SHMRING_POLL_MAX items */
int poll_fd(struct shmring *r, int dir, wait_cond_fn ready);
void poll_rearm(struct shmring *r, int dir, wait_cond_fn ready);
void poll_fini(struct shmring *r);
int poll_rings(struct shmring_pollitem *it, unsigned n, int64_t timeout_ns,
	       wait_cond_fn ready);

/* peer.c */
int peer_watch(struct shmring *r, int role, struct peer_fd *fds);
void peer_look_soon(struct shmring *r);
void peer_init(struct shmring *r);
int peer_self_id(uint64_t *id);
int peer_attach(struct shmring *r, int role);
void peer_detach(struct shmring *r);
int peer_side_gone(struct shmring *r, int role);
bool peer_side_closed_slow(struct shmring *r, int role, uint32_t gen);
bool peer_claim_held(struct shmring *r, uint64_t claim, int except);
uint32_t peer_find_dead(struct shmring *r);
uint32_t peer_dead(const struct shmring *r);
uint64_t peer_dead_claim(struct shmring *r, int i);
void peer_dead_keep(struct shmring *r, int i);
void peer_dead_free(struct shmring *r, int i);
bool peer_owns(const struct shmring *r);
int peer_self_start(uint64_t *start);
unsigned peer_count(struct shmring *r, int role);
int peer_list(struct shmring *r, struct shmring_peer *out, size_t n);
int peer_pid_alive(uint32_t pid, uint64_t start);
void peer_fini(struct shmring *r);

/*
 * After publishing: does anyone sleep on @w? Inline: this runs on every
 * send and receive, and the usual answer, nobody, costs one load. The
 * protocol is in wait.c.
 */
static inline bool wait_wanted(struct shmring *r, struct wait_line *w)
{
	/*
	 * P2: full fence, pairs with W2; or, in a process registered for
	 * membarrier, a compiler barrier that pairs with W2'.
	 */
	if (r->light_fence)
		fence_compiler();
	else
		fence_full();
	/* P3: relaxed is enough after the fence; pairs with W1. */
	return load_relaxed(&w->waiters) != 0;
}

/* After publishing: wake up to @n sleepers on @w, if any announced
 * themselves. */
static inline void wait_wake(struct shmring *r, struct wait_line *w, int n)
{
	if (wait_wanted(r, w))
		wait_wake_slow(r, w, n);
}

/*
 * The cheap end-of-stream test for the fast path: has every process that
 * ever held @role closed? Recomputed by peer_side_closed_slow() only when
 * peers_gen moved, so a send costs one load of a line written at attach
 * and detach only.
 */
static inline bool peer_side_closed(struct shmring *r, int role)
{
	int k = role == SHMRING_PRODUCER ? 0 : 1;
	/* A6': acquire pairs with A5: the table as of that generation. */
	uint32_t gen = load_acquire(&r->hdr->peers_gen);
	if (gen == r->closed_gen[k])
		return r->open_gen[k] != gen;
	return peer_side_closed_slow(r, role, gen);
}

/*
 * The fast path's half of peer_side_closed(): true when the cached answer
 * is current and says some holder of @role is still open. False sends the
 * caller to its general path, which recomputes it.
 */
static inline bool peer_side_open_cached(struct shmring *r, int role)
{
	int k = role == SHMRING_PRODUCER ? 0 : 1;
	/* A6'': acquire pairs with A5, as A6' in peer_side_closed(). */
	uint32_t gen = load_acquire(&r->hdr->peers_gen);
	return gen == r->open_gen[k];
}

/*
 * Before a send: is there still a consumer? A closed one is seen at once
 * (peers_gen moved); one killed without closing is looked for on one send
 * in 256, and then at most every LIVENESS_PERIOD_NS, so that a producer
 * writing into a ring nobody reads hears -EPIPE soon, not only when the
 * ring fills. Returns 0, -EPIPE or PEER_DEAD (see peer_side_gone()).
 */
static inline int consumers_gone(struct shmring *r)
{
	if (peer_side_closed(r, SHMRING_CONSUMER))
		return -EPIPE;
	if (++r->sends & 255)
		return 0;
	int ret = peer_side_gone(r, SHMRING_CONSUMER);
	return ret > 0 ? -EPIPE : ret;
}

/* spsc.c */
void spsc_init(struct shmring *r);
int spsc_send_burst(struct shmring *r, const struct iovec *msgs, size_t n,
		    int64_t timeout_ns);
int spsc_recv_burst(struct shmring *r, struct iovec *bufs, size_t n,
		    int64_t timeout_ns);
int spsc_reserve(struct shmring *r, size_t len, void **buf,
		 int64_t timeout_ns);
int spsc_commit(struct shmring *r, size_t len);
ssize_t spsc_peek(struct shmring *r, const void **msg, int64_t timeout_ns);
int spsc_release(struct shmring *r);
size_t spsc_used(struct shmring *r);
int spsc_ready(struct shmring *r, bool in);

/* mpmc.c */
void mpmc_format(struct shmring_hdr *h, unsigned char *data);
bool mpmc_recover(struct shmring *r, uint64_t claim, int owner);
void mpmc_close(struct shmring *r);
int mpmc_send_burst(struct shmring *r, const struct iovec *msgs, size_t n,
		    int64_t timeout_ns);
int mpmc_recv_burst(struct shmring *r, struct iovec *bufs, size_t n,
		    int64_t timeout_ns);
int mpmc_reserve(struct shmring *r, size_t len, void **buf,
		 int64_t timeout_ns);
int mpmc_commit(struct shmring *r, size_t len);
ssize_t mpmc_peek(struct shmring *r, const void **msg, int64_t timeout_ns);
int mpmc_release(struct shmring *r);
size_t mpmc_used(struct shmring *r);
int mpmc_ready(struct shmring *r, bool in);

/* bcast.c */
int bcast_init(struct shmring *r);
int bcast_send_burst(struct shmring *r, const struct iovec *msgs, size_t n,
		     int64_t timeout_ns);
int bcast_recv_burst(struct shmring *r, struct iovec *bufs, size_t n,
		     int64_t timeout_ns);
int bcast_reserve(struct shmring *r, size_t len, void **buf,
		  int64_t timeout_ns);
int bcast_commit(struct shmring *r, size_t len);
ssize_t bcast_peek(struct shmring *r, const void **msg, int64_t timeout_ns);
int bcast_release(struct shmring *r);
int bcast_seek(struct shmring *r, int whence);
size_t bcast_used(struct shmring *r);
uint64_t bcast_oldest(struct shmring *r);
uint64_t bcast_lost_sum(struct shmring *r);
int bcast_list(struct shmring *r, struct shmring_subscriber *out, size_t n);
int bcast_can_recv(struct shmring *r);
int bcast_can_send(struct shmring *r);

/* ring.c, for tests and fuzzers: a handle over caller-owned memory. */
int ring_adopt_memory(void *base, size_t size, int role, struct shmring **out);

#endif /* SHMRING_INTERNAL_H */
