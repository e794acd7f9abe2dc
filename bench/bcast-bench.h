/*
 * bcast-bench.h - what bench/bcast-bench.c (the broadcast ring and its
 * baselines) shares with bench/bcast-peers.c (ZeroMQ PUB/SUB and iceoryx
 * publish/subscribe, the same measure): the board the processes of a run
 * report on, the message numbering, and the peers' entry points.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#ifndef SHMRING_BCAST_BENCH_H
#define SHMRING_BCAST_BENCH_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define MAXSUBS 4
#define MAXROUNDS 9
#define IDLE_S 20 /* the peers' subscriber fails after so long without a message */

/* The first 8 bytes of a message: its number, or one of these. */
#define SEQ_END UINT64_MAX	     /* the last message of a run */
#define SEQ_PROBE (UINT64_MAX - 1) /* ZeroMQ: "are you subscribed?" */

/*
 * What the processes of a run report, in memory shared with the parent
 * (MAP_SHARED, so across fork). The flags are the run's hand-shakes;
 * the figures are read by the parent after it has reaped the writer.
 */
struct board {
	_Atomic int ready; /* subscribers attached (ZeroMQ: subscribed) */
	_Atomic int go;	   /* the publisher starts its clock */
	_Atomic int done;  /* subscribers that took the last message */
	_Atomic int bound; /* ZeroMQ: the publisher's socket is bound */
	/* a publisher of its own process (the peers): its figures */
	int64_t t0, t1, pub_cpu;
	int pub_err;
	struct {
		uint64_t got, lost, next;
		int64_t end;
		int err;
	} sub[MAXSUBS];
};

/* The figures of one run; each is the median over the rounds in the end. */
struct result {
	double per_sub, total, pub, cpu_ns;
	double pub_cpu_ns; /* the publisher's own CPU per message sent */
	double lost;
	double wakes; /* futex wake calls per message sent (rings only) */
};
#define NFIELDS 7

extern uint64_t nmsgs;
extern size_t msize;
extern struct board *bd;

static inline int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* This process's own CPU time, ns. */
static inline int64_t self_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * Subscriber @k's check of the message numbered @seq: the next one due,
 * or, where the transport may lose messages (@lossy: overwrite mode), a
 * later one. A wrong one is recorded (-EBADMSG), not fatal: the
 * subscriber keeps taking messages so that the publisher can finish.
 */
static inline void sub_took(int k, uint64_t seq, bool lossy)
{
	uint64_t want = bd->sub[k].next;

	if (seq != want && !(lossy && seq > want))
		bd->sub[k].err = -EBADMSG;
	bd->sub[k].next = seq + 1;
	bd->sub[k].got++;
	bd->sub[k].end = now_ns();
}

/* Fork a child that dies with this process: its pid (0 in the child). */
int spawn(void);
/*
 * A run of @n subscriber processes running @sub and a publisher process
 * running @pub (neither returns: each exits, 0 if it did its part); a
 * failed one stops the others. The publisher reports t0, t1 and pub_cpu
 * on the board; every subscriber must take every message. The figures
 * into @res: 0, or -1.
 */
int run_procs(int n, void (*sub)(int k), void (*pub)(int n),
	      struct result *res);

/*
 * The peers (bcast-peers.c). Each *_start says whether it can run here:
 * 0, or -ENOTSUP with @why set ("not built: needs ..." or "n/a: ...").
 * Each *_run measures @n subscribers into @res: 0, or -1 if a process
 * failed or a subscriber missed a message.
 */
/* Each *_stop is safe in a signal handler: it stops what runs (RouDi)
 * and removes what the peer made, the current run's too. */
int zmq_ps_start(char *why, size_t len);
int zmq_ps_run(int n, struct result *res);
void zmq_ps_stop(void);
int iox_ps_start(char *why, size_t len);
int iox_ps_run(int n, struct result *res);
void iox_ps_stop(void);

#endif
