/*
 * ticker.c - one publisher of prices, several subscribers at their own
 * pace, over a broadcast ring in overwrite mode.
 *
 *   usage: ticker [-n TICKS] [-s SUBSCRIBERS]
 *
 * The parent publishes TICKS price updates (default 20000) for a few
 * symbols as fast as it can, into a ring of 4 KiB that holds about a
 * hundred of them; it never waits for anyone. SUBSCRIBERS children
 * (default 3) each read every update they can; the last one is slow (it
 * takes a millisecond per update, as a subscriber that writes to a disk
 * or a network might). The publisher overtakes it: its receive says
 * -EOVERFLOW, shmring_lost() says how many updates it missed, and it goes
 * on with the oldest one still in the ring. Each subscriber prints what
 * it received and lost; the two add up to what was published. A price
 * feed wants the latest price, not every one: this is the policy for it.
 * (Without SHMRING_OVERWRITE the ring is lossless and the publisher would
 * wait for the slow subscriber.)
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <shmring.h>

#define PATIENCE_NS ((int64_t)10 * 1000 * 1000 * 1000)

struct tick {
	uint64_t seq;   /* 0, 1, 2... in publishing order */
	char sym[8];
	int64_t price;  /* in ten-thousandths */
};

static const char *const symbols[] = { "ACME", "GLOBEX", "INITECH", "UMBRL" };

static int subscribe(struct shmring *anon, int id, int slow, int ready)
{
	struct shmring *s = NULL;
	struct tick t;
	uint64_t lost = 0, got = 0;
	int64_t last[4] = { 0 };
	ssize_t n;

	if (shmring_attach(anon, SHMRING_CONSUMER, &s))
		return 1;
	if (write(ready, "!", 1) != 1)
		return 1;
	close(ready);
	while ((n = shmring_recv(s, &t, sizeof(t), PATIENCE_NS)) != -EPIPE) {
		if (n == -EOVERFLOW) {
			shmring_lost(s, &lost);
			printf("subscriber %d: overtaken, %llu updates lost so far\n",
			       id, (unsigned long long)lost);
			continue;
		}
		if (n != (ssize_t)sizeof(t)) {
			fprintf(stderr, "subscriber %d: %s\n", id,
				shmring_strerror((int)n));
			return 1;
		}
		got++;
		last[t.seq % 4] = t.price;
		if (slow) {
			struct timespec ms = { 0, 1000000 };
			nanosleep(&ms, NULL); /* the slow work of this one */
		}
	}
	shmring_lost(s, &lost);
	printf("subscriber %d (%s): %llu received + %llu lost = %llu published;"
	       " last %s %.4f\n", id, slow ? "slow" : "fast",
	       (unsigned long long)got, (unsigned long long)lost,
	       (unsigned long long)(got + lost), symbols[3],
	       (double)last[3] / 10000);
	shmring_close(s);
	return 0;
}

int main(int argc, char **argv)
{
	struct shmring_opts o = { .kind = SHMRING_BCAST, .capacity = 4096,
				  .max_msg = sizeof(struct tick),
				  .flags = SHMRING_OVERWRITE };
	struct shmring *anon, *pub;
	long ticks = 20000, subs = 3;
	int opt, ready[2], bad = 0;

	while ((opt = getopt(argc, argv, "n:s:")) != -1) {
		if (opt == 'n')
			ticks = strtol(optarg, NULL, 10);
		else if (opt == 's')
			subs = strtol(optarg, NULL, 10);
		else
			return 2;
	}
	if (ticks < 1 || subs < 1 || subs > 16 ||
	    shmring_create_anon(&o, &anon) || pipe(ready))
		return 2;
	for (long i = 0; i < subs; i++) {
		fflush(stdout);
		if (fork() == 0) {
			close(ready[0]);
			int rc = subscribe(anon, (int)i, i == subs - 1, ready[1]);
			fflush(stdout); /* _exit() flushes nothing */
			_exit(rc);
		}
	}
	close(ready[1]);
	for (long i = 0; i < subs; i++) { /* every subscriber is attached */
		char c;
		if (read(ready[0], &c, 1) != 1)
			return 1;
	}
	if (shmring_attach(anon, SHMRING_PRODUCER, &pub))
		return 1;
	int64_t price[4] = { 1000000, 2500000, 420000, 777700 };
	for (long i = 0; i < ticks; i++) {
		struct tick t = { .seq = (uint64_t)i };
		int k = (int)(i % 4);
		price[k] += (i * 7919 % 201) - 100; /* a random walk */
		t.price = price[k];
		snprintf(t.sym, sizeof(t.sym), "%s", symbols[k]);
		shmring_send(pub, &t, sizeof(t), 0); /* never waits */
	}
	printf("publisher: %ld updates sent\n", ticks);
	fflush(stdout);
	shmring_close(pub); /* end of stream: subscribers drain, then stop */
	for (long i = 0; i < subs; i++) {
		int st;
		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			bad = 1;
	}
	shmring_close(anon);
	return bad;
}
