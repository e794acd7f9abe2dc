/*
 * bench.h - what the benchmark's files share: the configuration, the
 * description of a test and of one forked run, the control block that
 * the worker processes and the coordinating parent meet in, and the small
 * inline tools every transport's loops use (clock, pause, stamps).
 *
 * A run: the parent prepares the transport (pipes, rings, queues, names),
 * forks one worker process per role (consumers first, then producers; or
 * the pinger and the echoer), waits for them with wait4() and collects
 * their figures from the control block. The parent itself only sleeps in
 * wait4(); all the measured work happens in the workers.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "hist.h"

#define PROG "shmring-bench"
#define BURST 32           /* messages per burst call */
#define MAX_TRIALS 101
#define MAX_WORKERS 16
#define MAX_SIZES 16
#define TICK_MASK 255      /* consumers look at the clock every 256 messages */
#define LINE 128           /* x86 fetches lines in pairs: keep writers 128 apart */
#define SEQ_END UINT64_MAX /* the sequence number that ends a stream */
#define SEQ_PROD_SHIFT 48  /* producer number in the top 16 bits */
#define HEAD_SIZE 64       /* the size every transport runs at by default */

#include "tsan.h" /* BENCH_TSAN: built with ThreadSanitizer? */

/* ---------------------------------------------------------------- */
/* Configuration                                                    */

enum out_format { OUT_TABLE, OUT_CSV, OUT_JSON };

struct config {
	size_t sizes[MAX_SIZES]; /* message sizes of this run, ascending */
	unsigned nsizes;
	bool sizes_set;      /* --size/--sizes: every test at every size */
	bool full;           /* --full: every test at every size */
	unsigned trials;     /* measured trials per test and size */
	double trial_s;      /* one streaming trial */
	double rtt_s;        /* one round-trip trial */
	double warm_s;       /* streaming warm-up run; RTT lead-in */
	uint64_t messages;   /* fixed messages per producer, 0 = by time */
	uint64_t round_trips; /* fixed round trips per trial, 0 = by time */
	uint64_t max_samples; /* round trips kept per trial when by time */
	unsigned timeout_s;  /* watchdog for one forked run */
	enum out_format out;
	const char *csv_out, *json_out; /* extra copies of the results */
	const char *only;    /* --transports: comma-separated fnmatch patterns */
	unsigned pair_rounds; /* paired trials: rounds per pair */
	/* --counters-on, --counters-off: this program built on the library
	 * with its counters and without (cost.c) */
	const char *cost_on, *cost_off;
	bool quick, check, verify, list, progress, no_progress;
};
extern struct config cfg;
extern bool show_progress; /* a progress line on stderr */

/* The machine, as printed in the header. */
struct machine {
	char cpu_model[128];
	long online;
	int usable;
	int cpus[MAX_WORKERS]; /* the first usable CPUs, in order */
	int ncpus;             /* entries in cpus[] */
	char kernel[160], arch[80];
	uint64_t clock_ns; /* cost of one clock_gettime, median */
	char load_start[32], load_end[32];
};
extern struct machine mach;

/* ---------------------------------------------------------------- */
/* Tests                                                            */

enum kind { TPUT, RTT };
enum role { R_CONS, R_PROD, R_PING, R_ECHO, R_SOLO };

/* Variants of the shmring transports. */
enum variant { V_COPY, V_BURST, V_ZC, V_TRY };

/*
 * Zero-copy: what the two sides touch of each message in the ring.
 * TOUCH_MSG: the writer writes all of it, the reader reads its number
 * (shmring-zc); TOUCH_WORD: both touch its number only, the payload
 * stays where it is (the "flat with payload size" measure); TOUCH_ALL:
 * the writer writes every byte and the reader reads every byte.
 */
enum touch { TOUCH_MSG, TOUCH_WORD, TOUCH_ALL };

/* Groups: which runs a test belongs to by default. */
#define G_HEAD 1u  /* the 64-byte comparison: every transport */
#define G_SWEEP 2u /* the size sweep of `make bench` */

struct run;
struct worker;

/*
 * A transport seen as a channel of messages; the generic loops in chan.c
 * drive it. recv returns the message length, 0 at end of stream, or
 * -errno. A transport whose end of stream is the sender's close sets eof;
 * the others get a message numbered SEQ_END instead.
 */
struct chan_ops {
	void (*open)(struct run *, struct worker *);
	int (*send)(struct worker *, const void *msg, size_t len);
	ssize_t (*recv)(struct worker *, void *buf, size_t cap);
	void (*close)(struct run *, struct worker *);
	bool eof;
	/* optional, for paired trials (paired.c): send all @n messages of
	 * @size laid end to end; receive 1..@max of them, return how many */
	void (*send_burst)(struct worker *, const unsigned char *msgs,
			   size_t size, unsigned n);
	unsigned (*recv_burst)(struct worker *, unsigned char *buf,
			       size_t size, unsigned max);
};

struct test {
	const char *name;  /* transport, as in the tables and SUMMARY */
	enum kind kind;
	unsigned np, nc;   /* TPUT: producer and consumer processes */
	unsigned threads;  /* 0: one process per role; else one process,
			      this many threads */
	enum variant variant;
	enum touch touch;  /* V_ZC: what each side touches */
	bool block;        /* shmring: spin 0, every wait sleeps */
	bool noslip;       /* shmring: slip 0, see shmring_set_slip(3) */
	int ring_kind;     /* shmring: SHMRING_SPSC or SHMRING_MPMC */
	unsigned groups;
	const char *what;
	const char *needs; /* NULL when built, else what to install */
	/* parent, before the fork: 0, or -ENOTSUP with run->na set */
	int (*prepare)(struct run *);
	/* one worker process (or its main thread) */
	void (*work)(struct run *, struct worker *);
	/* parent, once every worker is reaped, on every path */
	void (*finish)(struct run *);
	const struct chan_ops *ch;
};

extern const struct test tests[];
extern const size_t ntests;

/* What one test achieved at one size, over all its trials. */
enum status { ST_SKIP = 0, ST_OK, ST_NOT_BUILT, ST_NA, ST_FAILED };

struct result {
	enum status status;
	char reason[192];     /* ST_NOT_BUILT, ST_NA: why */
	unsigned trials;
	bool pinned;
	/* streaming */
	double mps, mps_min, mps_max; /* median trial, spread */
	double v[MAX_TRIALS];         /* each trial's msgs/s */
	uint64_t messages;            /* all measured trials */
	/* round trip */
	struct hist *hist;            /* all trials merged */
	uint64_t p50[MAX_TRIALS];     /* each trial's median */
	uint64_t p50_min, p50_max, p50_med; /* spread of those */
	/* both: CPU time of every process, and what it paid for */
	double cpu_s;
	uint64_t units;
};
/* results[test][size index] */
extern struct result (*results)[MAX_SIZES];

const struct result *find_result(const char *name, enum kind kind,
				 unsigned si);
double cpu_per_million(const struct result *r);

/* paired.c: paired trials of shmring against one other transport */
#define NPAIRS 8
#define MAX_ROUNDS 64
struct pair {
	const char *a, *b; /* a is shmring's side: ratios are a over b */
	enum kind kind;
};
struct pair_result {
	enum status status;
	char reason[192];
	unsigned rounds;
	double a[MAX_ROUNDS], b[MAX_ROUNDS]; /* msgs/s, or p50 ns */
	double probe[MAX_ROUNDS][2];          /* before, after: p50 ns */
};
struct pair_stats {
	unsigned fast, slow;     /* rounds in the fast phase, in a slow one */
	double ratio, lo, hi;    /* median a/b of the fast rounds, spread */
	double slow_ratio;       /* median a/b of the slow rounds */
	double probe_fast, probe_slow; /* their median probes, ns */
	bool all_slow;           /* no fast round: ratio is of slow ones */
};
extern const struct pair pairs[NPAIRS];
extern struct pair_result pair_results[NPAIRS];
void measure_pairs(void);
bool pair_stats(size_t i, struct pair_stats *st);
bool test_selected(const char *name);
double paired_ratio(const char *a, const char *b, enum kind kind, bool *have);
void print_pairs(FILE *f);
void print_pairs_summary(FILE *f);
struct ujson;
void json_pairs(struct ujson *j);

/* report.c */
void report(void);
struct target {
	const char *what;
	double got, want;
	bool le;   /* met when got <= want, else when got >= want */
	bool have; /* both sides measured */
	bool paired; /* got is a paired ratio (paired.c) */
	/* the same with shmring's bursts, shown beside (never judged) */
	double burst;
	bool have_burst;
};
#define NTARGETS 14
void targets(struct target *tg);
bool target_met(const struct target *t);

/* cost.c: the section "counters: cost" */
#define COST_FIGURES 4
struct cost {
	const char *key;       /* in SUMMARY and JSON: "spsc-stream" */
	const char *what;      /* in the table */
	const char *transport; /* the test whose figure it is */
	enum kind kind;        /* TPUT: msgs/s; RTT: p50 ns */
	unsigned n;            /* rounds measured */
	double on[MAX_TRIALS], off[MAX_TRIALS]; /* each round's figure */
	double on_med, off_med;      /* median rounds */
	double ratio, ratio_min, ratio_max; /* on / off, round by round */
};
extern struct cost costs[COST_FIGURES];
extern unsigned cost_rounds; /* 0: not measured */
void measure_cost(void);

/* Per-worker state, private to its process. */
struct worker {
	unsigned idx;       /* 0 .. nw-1, index in ctl->w[] */
	enum role role;
	unsigned rank;      /* producer number among producers, etc. */
	unsigned phase;     /* barriers passed */
	int cpu;            /* pinned CPU, -1 when not pinned */
	unsigned char *buf; /* BURST messages */
	uint64_t *next;     /* consumer: next sequence number per producer */
	int rd, wr;         /* descriptors, -1 when not used */
	void *h[2];         /* transport handles */
	void *ctx;
	uint64_t got;       /* messages received (consumer) */
	uint64_t t0;        /* when the measured part began */
	bool stopped;
};

/* One forked measurement. Lives in the parent; the workers get a copy. */
struct run {
	const struct test *t;
	size_t size;
	unsigned np, nc, nw;
	uint64_t count;      /* fixed messages per producer / round trips */
	uint64_t warm_count; /* RTT: leading round trips not sampled */
	uint64_t budget_ns;  /* measuring time when count == 0 */
	uint64_t warm_ns;    /* RTT: leading time not sampled */
	uint64_t max_samples;
	uint64_t t_start, t_measure; /* pinger: first round trip, first sample */
	bool pinned;         /* each process (thread) on a CPU of its own */
	bool oversub;        /* more spinning sides than CPUs: pauses yield */
	size_t capacity;     /* ring bytes (SPSC) for this size */
	/* the transport's state, set up by prepare, inherited by fork */
	int fd[4];
#define RUN_RES 6
	int res[RUN_RES];    /* cleanup slots (see res_add), -1 if none */
	char path[2][108];
	int id[2];
	void *map;
	size_t map_len, nslots, slot;
	char na[128];        /* why it cannot run, with -ENOTSUP */
};

/*
 * Control block shared by the parent and the workers (anonymous
 * MAP_SHARED, made before any fork). What one side writes often sits on
 * its own 128 bytes, so polling it never slows a writer of another.
 */
struct wres {
	_Alignas(LINE) uint64_t sent;  /* producer: messages sent */
	uint64_t recvd;                /* consumer: messages received */
	uint64_t rounds;               /* pinger: round trips, warm-up too */
	uint64_t t_begin, t_end;       /* CLOCK_MONOTONIC ns */
};

struct ctl {
	_Alignas(LINE) _Atomic unsigned ready;     /* barrier arrivals */
	_Alignas(LINE) _Atomic unsigned stop;      /* time is up */
	_Alignas(LINE) _Atomic unsigned prod_done; /* producers finished */
	_Alignas(LINE) _Atomic unsigned failed;    /* a worker hit an error */
	struct wres w[MAX_WORKERS];
	struct hist hist;                          /* pinger's round trips */
};
extern struct ctl *ctl;
/* --verify: one byte per message and producer, set by whoever got it */
extern _Atomic unsigned char *seen;
extern uint64_t seen_per_prod;

extern bool in_child;
extern bool single_cpu;
extern const char *volatile current_test;

/* ---------------------------------------------------------------- */
/* run.c: failure, cleanup, the fork engine, shared worker tools    */

__attribute__((format(printf, 1, 2))) _Noreturn void die(const char *fmt, ...);
void check_shm(long err, const char *what);
void *map_shared(size_t len);

/* Things to remove on every exit path, signals included. */
/* RES_PID: a process to stop (SIGTERM) and reap; id is its pid */
enum res_kind { RES_SHM, RES_PATH, RES_MQ, RES_SYSV, RES_PID };
int res_add(enum res_kind kind, const char *name, int id);
void res_release(int slot); /* remove now, if still there */
void res_forget(int slot);  /* removed by its owner: drop the slot */
void cleanup_async(void);

void install_signals(void);
void pin_to(int cpu);
void barrier(struct run *run, struct worker *w);
void tick(struct run *run, struct worker *w);
bool more(const struct run *run, uint64_t i);
bool rtt_record(struct run *run, uint64_t i, uint64_t t0, uint64_t t1);
void producer_finished(struct run *run, struct worker *w, uint64_t sent);
void consumer_begin(struct worker *w);
void consumer_end(struct run *run, struct worker *w);
void check_payload(const struct run *run, const unsigned char *m,
		   uint64_t seq);
void check_echo(struct run *run, const unsigned char *m, size_t len,
		uint64_t want);
_Noreturn void bad_seq(struct run *run, struct worker *w, uint64_t seq,
		       size_t len);
ssize_t read_full(int fd, void *buf, size_t n);
int write_full(int fd, const void *buf, size_t n);
void close_fd(int *fd);
/*
 * Run another build of this program with @argv (argv[0] its path), its
 * stdout into @buf (NUL-terminated, cut at @len - 1); @limit_s bounds it
 * as the watchdog bounds a run. Returns its exit status, -1 if it did
 * not exit. It gets SIGTERM if this process dies, or is interrupted.
 */
int run_program(const char *const argv[], char *buf, size_t len,
		unsigned limit_s);

struct run_out {
	int status;       /* 0 ok, else the run failed (verify mode) */
	uint64_t messages, sent, rounds;
	double secs;      /* consumers' measuring time */
	double cpu_s;     /* user + system of every process of the run */
};
/* Prepare, fork, wait, collect. -ENOTSUP: run->na says why. */
int run_one(struct run *run, struct run_out *out);
void init_run(struct run *run, const struct test *t, size_t size);

/* chan.c: the generic loops over struct chan_ops */
void chan_work(struct run *run, struct worker *w);

/* ---------------------------------------------------------------- */
/* Inline tools                                                     */

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void spin_yield(void);

/* Tell the CPU we are spinning; where sides outnumber CPUs, let one run. */
static inline void spin_pause(const struct run *run)
{
	if (single_cpu || run->oversub) {
		spin_yield();
		return;
	}
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	atomic_signal_fence(memory_order_seq_cst);
#endif
}

static inline uint64_t seq_of(unsigned prod, uint64_t i)
{
	return (uint64_t)prod << SEQ_PROD_SHIFT | i;
}

/* Fill a message: the first 8 bytes carry its number (sizes are >= 8);
 * with --verify the rest is a pattern of that number too. */
void fill_payload(unsigned char *m, size_t len, uint64_t seq);

static inline void stamp(unsigned char *m, size_t len, uint64_t seq)
{
	memcpy(m, &seq, sizeof(seq));
	if (cfg.verify)
		fill_payload(m, len, seq);
}

static inline uint64_t seq_in(const unsigned char *m)
{
	uint64_t seq;

	memcpy(&seq, m, sizeof(seq));
	return seq;
}

/*
 * A consumer's check of each message: its size, and its number against
 * the next one due from its producer. One consumer sees each producer's
 * messages in order with none missing; one of several sees them in
 * order with gaps (the others took those). --verify adds the payload and
 * a shared record of every number, for loss and duplicates across them.
 */
static inline void check_seq(struct run *run, struct worker *w,
			     const unsigned char *m, size_t len)
{
	uint64_t seq = seq_in(m);
	unsigned p = (unsigned)(seq >> SEQ_PROD_SHIFT);
	uint64_t n = seq & ((UINT64_C(1) << SEQ_PROD_SHIFT) - 1);

	if (len != run->size || p >= run->np ||
	    (run->nc == 1 ? n != w->next[p] : n < w->next[p]))
		bad_seq(run, w, seq, len);
	w->next[p] = n + 1;
	if (cfg.verify)
		check_payload(run, m, seq);
	w->got++;
}

#endif /* BENCH_H */
