/*
 * xp.h - the transports' entry points, for the table of tests in
 * shmring-bench.c. Optional ones exist only when configure found what
 * they need (BENCH_WITH_BOOST, BENCH_WITH_ZMQ, BENCH_WITH_DPDK,
 * BENCH_WITH_CK, BENCH_WITH_IOX).
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#ifndef BENCH_XP_H
#define BENCH_XP_H

#include "bench.h"

/* "<prefix>shmring-bench-<pid>-<n><suffix>": unique per run */
void make_name(char *buf, size_t len, const char *prefix, const char *suffix);

/* xp_shmring.c */
int ring_prepare(struct run *run);
void ring_work(struct run *run, struct worker *w);
int raw_ring_prepare(struct run *run);
void raw_ring_work(struct run *run, struct worker *w);
int raw_line_prepare(struct run *run);
void raw_line_work(struct run *run, struct worker *w);
void memcpy_work(struct run *run, struct worker *w);
/* for paired trials: the copy API (and bursts), the raw ring */
extern const struct chan_ops shmring_chan, raw_chan;

/* xp_kernel.c */
int pipe_prepare(struct run *run);
int ustream_prepare(struct run *run);
int udgram_prepare(struct run *run);
int fifo_prepare(struct run *run);
int tcp_prepare(struct run *run);
int pmq_prepare(struct run *run);
int sysv_prepare(struct run *run);
int efd_prepare(struct run *run);
extern const struct chan_ops stream_chan, udgram_chan, fifo_chan, tcp_chan,
	pmq_chan, sysv_chan, efd_chan;

/* xp_peers.c */
void urcu_work(struct run *run, struct worker *w);
#ifdef BENCH_WITH_BOOST
int boost_prepare(struct run *run);
void boost_finish(struct run *run);
extern const struct chan_ops boost_chan;
#endif
#ifdef BENCH_WITH_ZMQ
int zmq_prepare(struct run *run);
extern const struct chan_ops zmq_chan;
#endif

/* xp_rings.c */
#ifdef BENCH_WITH_DPDK
int dpdk_sp_prepare(struct run *run);
int dpdk_mp_prepare(struct run *run);
int dpdk_rts_prepare(struct run *run);
void dpdk_burst_work(struct run *run, struct worker *w);
extern const struct chan_ops dpdk_chan;
#endif
#ifdef BENCH_WITH_CK
int ck_prepare(struct run *run);
extern const struct chan_ops ck_chan;
#endif

/* xp_iox.c */
#ifdef BENCH_WITH_IOX
int iox_prepare(struct run *run);
_Noreturn void iox_work(struct run *run, struct worker *w);
void iox_finish(struct run *run);
#endif

#endif /* BENCH_XP_H */
