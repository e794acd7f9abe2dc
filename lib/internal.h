/*
 * internal.h - the process-local handle and the functions lib/ files share.
 *
 * Internal header; do not include from applications. Nothing here is
 * exported: the library is built with -fvisibility=hidden and a version
 * script, and only SHMRING_API functions escape.
 */
#ifndef SHMRING_INTERNAL_H
#define SHMRING_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "shmring.h"
#include "layout.h"
#include "region.h"

#define NSEC_PER_SEC INT64_C(1000000000)
#define NSEC_PER_MSEC INT64_C(1000000)

/*
 * How often a blocked or polling side checks that its peer is still alive
 * (a /proc read per attached peer), and how long one futex sleep lasts at
 * most, so that a peer killed with SIGKILL, which wakes nobody, is noticed
 * within about 100 ms.
 */
#define LIVENESS_PERIOD_NS (20 * NSEC_PER_MSEC)
#define SLEEP_SLICE_NS (50 * NSEC_PER_MSEC)

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
	uint64_t spin_ns;

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
	bool peeked;

	/* Attachment. */
	uint64_t self_id;             /* packed peer id, role bits cleared */
	int slot[2];                  /* peer entries held: producer, consumer */
	int64_t next_live_check[2];   /* monotonic ns; per watched role */
};

/* wait.c */
int64_t now_ns(void);
typedef int (*wait_cond_fn)(struct shmring *r, void *arg);
int wait_for(struct shmring *r, struct wait_line *w, wait_cond_fn cond,
	     void *arg, int64_t timeout_ns);
void wait_wake(struct wait_line *w);

/* peer.c */
int peer_self_id(uint64_t *id);
int peer_attach(struct shmring *r, int role);
void peer_detach(struct shmring *r);
bool peer_side_gone(struct shmring *r, int role);
unsigned peer_count(struct shmring *r, int role);

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

#endif /* SHMRING_INTERNAL_H */
