/*
 * seqnum.c - a sequence-number service shared by several processes.
 *
 *   usage: seqnum [-p PROCS] [-n DRAWS]
 *
 * The notes' sequence-number program kept a counter in shared memory and
 * had each process read it, add one and write it back; without a lock,
 * two processes read the same value and one increment is lost. Here
 * PROCS processes (default 4) each draw DRAWS numbers (default 100000)
 * two ways at once, from two counters in the ring's application area:
 *  - atomic_fetch_add on one: every number is drawn exactly once;
 *  - load, add one, store on the other, as the notes did: increments are
 *    lost whenever another process draws between a load and its store.
 * Each process sends the numbers it drew over the ring to the parent,
 * which checks that every number from 1 to PROCS * DRAWS came exactly once.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <shmring.h>

#define PATIENCE_NS ((int64_t)10 * 1000 * 1000 * 1000)
#define BATCH 30 /* numbers per message: 240 bytes, one default MPMC slot */

/* The application area: zero at creation, shared by every process. Each
 * counter on a cache line of its own (the area is 64-byte aligned). */
struct counters {
	_Alignas(64) _Atomic uint64_t next;  /* drawn right */
	_Alignas(64) volatile uint64_t racy; /* drawn as the notes did */
	_Alignas(64) atomic_int ready;       /* processes at the start line */
};
_Static_assert(sizeof(struct counters) <= SHMRING_APP_AREA_SIZE, "app area");

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One drawing process: its numbers go to the parent, BATCH at a time. */
static int draw(struct shmring *anon, int procs, long draws)
{
	struct shmring *tx;
	struct counters *c;
	void *area;
	size_t size;
	uint64_t batch[BATCH], v;
	int k = 0, err = shmring_attach(anon, SHMRING_PRODUCER, &tx);
	int64_t deadline = now_ns() + PATIENCE_NS;

	shmring_close(anon); /* our copy of the parent's handle */
	if (err < 0)
		return 1;
	shmring_app_area(tx, &area, &size);
	c = area;
	/* Start together: every drawer attached before any draws, so none
	 * can end the parent's stream (-EPIPE) while another has yet to
	 * join; and their draws overlap, as a server's clients would. */
	atomic_fetch_add(&c->ready, 1);
	while (atomic_load(&c->ready) < procs && now_ns() < deadline)
		sched_yield();
	for (long i = 0; err == 0 && i < draws; i++) {
		/* Done right: one indivisible add. Relaxed is enough: a unique
		 * number needs the add to be one step, not any ordering. */
		batch[k++] = atomic_fetch_add_explicit(&c->next, 1,
						       memory_order_relaxed) + 1;

		/* Done as the notes did: read, add one, write back. Another
		 * process's increment between our read and our write is
		 * overwritten: lost. volatile only makes the compiler keep the
		 * load and the store; nothing makes them one step. A process
		 * can lose the CPU anywhere (its time slice ends, a page
		 * faults); sched_yield() makes that happen right here, so the
		 * loss shows on any machine, even one with a single CPU. */
		v = c->racy;
		sched_yield();
		c->racy = v + 1;

		if (k == BATCH || i == draws - 1) {
			err = shmring_send(tx, batch, (size_t)k * sizeof(v), PATIENCE_NS);
			k = 0;
		}
	}
	shmring_close(tx);
	return err < 0;
}

int main(int argc, char **argv)
{
	const struct shmring_opts opts = { .kind = SHMRING_MPMC };
	struct shmring *anon, *rx = NULL;
	struct counters *c = NULL;
	void *area;
	uint64_t batch[BATCH], total, got = 0, bad = 0;
	unsigned char *seen = NULL;
	long draws = 100000;
	int procs = 4, opt, failed = 0, st, err;
	ssize_t n = 0;
	size_t size;

	while ((opt = getopt(argc, argv, "p:n:")) != -1) {
		if (opt == 'p' && (procs = atoi(optarg)) >= 1 && procs <= 30)
			continue;
		if (opt == 'n' && (draws = atol(optarg)) >= 1)
			continue;
		fprintf(stderr, "usage: seqnum [-p 1..30] [-n DRAWS]\n");
		return 2;
	}
	total = (uint64_t)procs * (uint64_t)draws;

	/* An anonymous MPMC ring: any number of producers, no name. */
	err = shmring_create_anon(&opts, &anon);
	if (err == 0 && (err = shmring_app_area(anon, &area, &size)) == 0)
		c = area;
	if (err < 0) {
		fprintf(stderr, "seqnum: %s\n", shmring_strerror(err));
		return 1;
	}
	fflush(stdout);
	for (int i = 0; i < procs; i++) {
		pid_t pid = fork();
		if (pid == 0)
			exit(draw(anon, procs, draws));
		failed += pid < 0;
	}

	/* The parent reads every number drawn, until the last drawer closes
	 * its end (-EPIPE), and ticks it off. */
	err = shmring_attach(anon, SHMRING_CONSUMER, &rx);
	if (err == 0 && !(seen = calloc(total + 1, 1)))
		err = -ENOMEM;
	while (err == 0 && (n = shmring_recv(rx, batch, sizeof(batch), PATIENCE_NS)) > 0)
		for (size_t i = 0; i < (size_t)n / sizeof(batch[0]); i++, got++)
			if (batch[i] == 0 || batch[i] > total || seen[batch[i]]++)
				bad++;
	if (err == 0 && n != -EPIPE)
		err = n < 0 ? (int)n : -EBADMSG;
	while (wait(&st) > 0)
		failed += st != 0;

	printf("%d processes x %ld draws\n", procs, draws);
	printf("%10s %10s %10s %10s\n", "expected", "atomic", "racy", "lost");
	printf("%10llu %10llu %10llu %10llu\n", (unsigned long long)total,
	       (unsigned long long)atomic_load(&c->next),
	       (unsigned long long)c->racy, (unsigned long long)(total - c->racy));
	if (err < 0 || failed)
		fprintf(stderr, "seqnum: %s\n", err < 0 ? shmring_strerror(err) :
			"a drawing process failed");
	else if (got != total || bad)
		fprintf(stderr, "seqnum: %llu numbers received, %llu duplicate or "
			"out of range\n", (unsigned long long)got,
			(unsigned long long)bad);
	else
		printf("atomic: each number 1..%llu drawn exactly once\n",
		       (unsigned long long)total);
	if (rx)
		shmring_close(rx);
	shmring_close(anon);
	free(seen);
	return err < 0 || failed || got != total || bad;
}
