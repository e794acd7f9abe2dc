/*
 * chat.c - text chat between two terminals over two rings.
 *
 *   usage: chat NAME        (NAME like /demo; run it in two terminals)
 *
 * The classic shmwrite/shmread pair passed text through one buffer and a
 * `written` flag that both sides read and wrote without synchronisation.
 * Here each direction is its own SPSC ring, NAME.a and NAME.b: the first
 * chat to start creates NAME.a and becomes side a (it writes NAME.a, reads
 * NAME.b); the second is side b. Each line typed goes to the peer, which
 * prints it as "peer: LINE". End of input (Ctrl-D) closes our ring: end of
 * stream for the peer. Once both directions have ended, the program
 * removes both names and exits.
 *
 * Two threads, both asleep when idle: the main one in read(2) on stdin,
 * the receiver in the ring's futex wait. Neither ever spins.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <shmring.h>

#define MAX_LINE 4096
/* Blocking calls wake this often to notice Ctrl-C; they sleep meanwhile. */
#define WAKE_NS ((int64_t)250 * 1000 * 1000)

static const struct shmring_opts opts = { .capacity = 65536, .max_msg = MAX_LINE };

/* A lock-free atomic: what a signal handler may share with threads. */
static atomic_int stop;

static void on_signal(int sig)
{
	atomic_store(&stop, sig);
}

/* Create the ring @name, or open it if the peer created it first. */
static int join(const char *name, int role, struct shmring **r)
{
	int err = shmring_create(name, &opts, role, r);

	return err == -EEXIST ? shmring_open(name, role, r) : err;
}

/* Receiver thread: print what the peer sends, up to its end of stream. */
static void *receive(void *rx)
{
	static char buf[MAX_LINE];
	ssize_t n;

	while ((n = shmring_recv(rx, buf, sizeof(buf), WAKE_NS)) >= 0 ||
	       (n == -ETIMEDOUT && !atomic_load(&stop))) {
		if (n < 0)
			continue;
		fputs("peer: ", stdout);
		fwrite(buf, 1, (size_t)n, stdout);
		putchar('\n');
		fflush(stdout);
	}
	if (n == -EPIPE)
		fprintf(stderr, "chat: the peer has finished\n");
	else if (n != -ETIMEDOUT) /* -ETIMEDOUT: we were interrupted */
		fprintf(stderr, "chat: receive: %s\n", shmring_strerror((int)n));
	return n == -EPIPE ? NULL : rx;
}

int main(int argc, char **argv)
{
	struct shmring *tx = NULL, *rx = NULL;
	char name_a[256], name_b[256], side = 'a', *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int err, started;
	void *rx_failed = NULL;
	pthread_t thread;
	sigset_t all, old;
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART */

	if (argc != 2 || snprintf(name_a, sizeof(name_a), "%s.a", argv[1]) >= 256) {
		fprintf(stderr, "usage: chat NAME     (NAME like /demo)\n");
		return 2;
	}
	snprintf(name_b, sizeof(name_b), "%s.b", argv[1]);

	/* Whoever creates NAME.a is side a. Both sides attach to NAME.a
	 * before NAME.b, so once either has seen the other's end of stream,
	 * both hold both rings and the names have served their purpose. */
	err = shmring_create(name_a, &opts, SHMRING_PRODUCER, &tx);
	if (err == 0 && (err = join(name_b, SHMRING_CONSUMER, &rx)) < 0) {
		shmring_close(tx);
		shmring_unlink(name_a);
	} else if (err == -EEXIST) {
		side = 'b';
		err = shmring_open(name_a, SHMRING_CONSUMER, &rx);
		if (err == 0 && (err = join(name_b, SHMRING_PRODUCER, &tx)) < 0)
			shmring_close(rx);
	}
	if (err < 0) { /* -EBUSY: both sides of this chat are taken */
		fprintf(stderr, "chat: %s: %s\n", argv[1], shmring_strerror(err));
		return 1;
	}
	fprintf(stderr, "chat: side %c of %s; type lines, Ctrl-D to end\n",
		side, argv[1]);

	/* Ctrl-C must reach the main thread, so the receiver starts with every
	 * signal blocked. Without SA_RESTART it interrupts the read of stdin. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	started = (err = -pthread_create(&thread, NULL, receive, rx)) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	/* Send each line of stdin; a full ring waits for the peer to read. */
	while (err == 0 && (len = getline(&line, &cap, stdin)) >= 0) {
		if (len > 0 && line[len - 1] == '\n')
			len--;
		if (len > MAX_LINE) {
			fprintf(stderr, "chat: line not sent: over %d bytes\n", MAX_LINE);
			continue;
		}
		do
			err = shmring_send(tx, line, (size_t)len, WAKE_NS);
		while (err == -ETIMEDOUT && !atomic_load(&stop));
	}
	if (atomic_load(&stop))
		err = -EINTR;
	else if (err == 0 && ferror(stdin))
		err = -EIO;
	if (err < 0) /* -EPIPE: the peer has left */
		fprintf(stderr, "chat: %s\n", err == -EINTR ? "interrupted" :
			err == -EIO ? "cannot read stdin" : shmring_strerror(err));

	/* Our end of stream; then wait for the peer's (or for Ctrl-C). */
	shmring_close(tx);
	if (started)
		pthread_join(thread, &rx_failed);
	shmring_close(rx);
	/* Both sides hold both rings by now (see above): whoever gets here
	 * first removes the names, the other one finds them gone. */
	shmring_unlink(name_a);
	shmring_unlink(name_b);
	free(line);
	return err < 0 || rx_failed ? 1 : 0;
}
