/*
 * stress.h - what the parts of shmring-stress share: the configuration,
 * the message format, the state in the shared mapping that survives a
 * SIGKILL (see "Accounting across kills" in shmring-stress.c), and the
 * child helpers. bcast.c holds the broadcast kind's subscriber and its
 * verifier; everything else is in shmring-stress.c.
 */
#ifndef SHMRING_STRESS_H
#define SHMRING_STRESS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "shmring.h"

#define EXIT_PASS 0
#define EXIT_VIOLATION 1
#define EXIT_HANG 2
#define EXIT_ERROR 3
#define EXIT_SKIP 77

/*
 * Each side; P + C must also leave the library's peer table a free entry
 * (a broadcast ring: 1 + C may fill it).
 */
#define MAX_SIDE 32

#define NSEC_PER_SEC INT64_C(1000000000)
#define NSEC_PER_MSEC INT64_C(1000000)

struct config {
	enum shmring_kind kind;
	unsigned producers;
	unsigned consumers;
	uint64_t messages;
	uint32_t min_size;
	uint32_t max_size;
	double duration;   /* seconds; 0 = until the messages are sent */
	bool spin;
	uint64_t kill_every_ms;
	uint64_t seed;
	uint64_t capacity; /* 0 = the harness's default for the kind */
	double timeout;    /* seconds without progress = hang */
	double time_limit; /* seconds in all = hang; 0 = derived */
	bool quiet;
	int inject;        /* a deliberate fault, to test the verifier */
	bool overwrite;    /* bcast: SHMRING_OVERWRITE instead of back-pressure */
};

extern struct config cfg;

/*
 * Faults the harness can inject into its own producer 0 at the middle of
 * its stream, to show that the verifier catches each kind of violation:
 * a message counted as sent but never sent, one sent twice, two swapped,
 * one with a byte flipped after its checksum was computed; and a producer
 * that stops dead, ring still open, for the watchdog to catch.
 */
enum { INJ_NONE, INJ_DROP, INJ_DUP, INJ_REORDER, INJ_TEAR, INJ_STALL };

/*
 * A message: this header, then len - sizeof(header) payload bytes. The
 * length and the payload follow from (seed, producer, seq) alone, so a
 * consumer checks every byte, not only the checksum, and a replacement
 * producer sends exactly what its predecessor would have.
 */
struct msg_hdr {
	uint32_t producer;
	uint32_t len; /* whole message, header included */
	uint64_t seq;
	uint64_t sum; /* over producer, len, seq and the payload */
};
#define MSG_HDR ((uint32_t)sizeof(struct msg_hdr))

#define GOLDEN UINT64_C(0x9e3779b97f4a7c15)

/* splitmix64's finaliser: every input bit reaches every output bit. */
static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

int msg_check(const unsigned char *buf, size_t n, const uint64_t *limit,
	      uint32_t *p, uint64_t *seq);

#define SEQ_NONE UINT64_MAX

struct prod_state {
	_Alignas(128) _Atomic uint64_t next; /* next seq to send */
	_Atomic uint64_t inflight;           /* seq being sent, or SEQ_NONE */
	_Atomic uint32_t done;               /* share sent, about to close */
	_Atomic int32_t pid;                 /* attached holder of the role */
};

struct cons_state {
	_Alignas(128) _Atomic uint32_t phase;
	_Atomic uint32_t cur_p;
	_Atomic uint64_t cur_seq;
	_Atomic uint64_t received; /* recorded, for progress and rate */
	_Atomic uint32_t finished; /* saw the final end of stream */
	_Atomic int32_t pid;       /* attached holder of the role */
	/* last seq + 1 received from each producer, 0 = none: the FIFO check. */
	uint64_t last[MAX_SIDE];
};

/*
 * Broadcast rings (bcast.c): what the subscribers' checks add up. lost:
 * messages a subscriber should have had and did not, not counted by
 * shmring_lost() (a violation); miscounted: an -EOVERFLOW or a
 * shmring_lost() count that does not match the gaps seen (a violation);
 * overwritten: what shmring_lost() counted and the gaps confirm;
 * overflows: -EOVERFLOW returns.
 */
struct bcast_tally {
	_Atomic uint64_t lost;
	_Atomic uint64_t miscounted;
	_Atomic uint64_t overwritten;
	_Atomic uint64_t overflows;
};

struct ctl {
	_Atomic uint64_t torn;
	_Atomic uint64_t duplicated;
	_Atomic uint64_t reordered;
	_Atomic uint64_t open_retries;
	/* Bumped (and woken) by each child once attached, and by the parent. */
	_Alignas(128) _Atomic uint32_t gen;
	_Atomic uint32_t stop;  /* duration over: producers finish up */
	_Atomic uint32_t abort; /* the run is being torn down */
	struct bcast_tally bc;
	uint64_t limit[MAX_SIDE]; /* seqs producer p may use; read-only */
	struct prod_state prod[MAX_SIDE];
	struct cons_state cons[MAX_SIDE];
};

extern struct ctl *ctl;
extern _Atomic uint64_t *allow_map; /* P bitmaps: seq may be missing */
extern uint64_t bitmap_words;       /* words per producer bitmap */

static inline _Atomic uint64_t *bit_word(_Atomic uint64_t *map, uint32_t p,
					 uint64_t seq)
{
	return &map[p * bitmap_words + seq / 64];
}

static inline uint64_t bit_mask(uint64_t seq)
{
	return UINT64_C(1) << (seq % 64);
}

int64_t now_ns(void);
void futex_wait_u32(_Atomic uint32_t *w, uint32_t val, int64_t ns);
void gen_bump(void);
_Noreturn void die_child(const char *what, long err);
struct shmring *child_open(int role, _Atomic int32_t *attached);
bool all_producers_done(void);
void wait_replacement(uint32_t gen_seen);
bool eos_final(bool *done_seen, uint32_t gen_seen);
ssize_t recv_one(struct shmring *r, unsigned char *buf, size_t cap);

/* bcast.c: the broadcast kind. */
void bcast_wait_subscribers(void);
int run_subscriber(uint32_t c);
uint64_t bcast_allowed(uint64_t from, uint64_t to);

#endif
