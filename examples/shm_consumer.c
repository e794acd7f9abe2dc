/*
 * shm_consumer.c - print each message of an SPSC ring as one line.
 *
 *   usage: shm_consumer NAME        (NAME like /demo)
 *
 * Attaches to the ring NAME as its consumer. If the producer has not
 * created it yet, waits for it, up to ten seconds. Prints every message
 * followed by a newline, and at end of stream (the producer closed or
 * died and the ring is empty) removes the ring's name and exits 0.
 * Pair it with shm_producer NAME.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <shmring.h>

/* Open NAME as consumer, polling up to ten seconds for it to appear. */
static int open_when_there(const char *name, struct shmring **ring)
{
	const struct timespec pause = { .tv_nsec = 10 * 1000 * 1000 };
	int err;

	for (int tries = 0; tries < 1000; tries++) {
		err = shmring_open(name, SHMRING_CONSUMER, ring);
		if (err != -ENOENT)
			return err;
		nanosleep(&pause, NULL);
	}
	return err;
}

int main(int argc, char **argv)
{
	struct shmring *ring;
	struct shmring_info info;
	char *msg;
	ssize_t len;
	int err, status = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: shm_consumer NAME\n");
		return 2;
	}

	err = open_when_there(argv[1], &ring);
	if (err < 0) {
		fprintf(stderr, "shm_consumer: %s: %s\n", argv[1],
			shmring_strerror(err));
		return 1;
	}

	/* A buffer for the largest message the ring can hold. */
	shmring_info(ring, &info);
	msg = malloc(info.max_msg ? info.max_msg : 1);
	if (!msg) {
		fprintf(stderr, "shm_consumer: out of memory\n");
		shmring_close(ring);
		return 1;
	}

	for (;;) {
		/* -1: wait as long as it takes for the next message. */
		len = shmring_recv(ring, msg, info.max_msg, -1);
		if (len == -EPIPE)
			break; /* end of stream: the producer is done */
		if (len < 0) {
			fprintf(stderr, "shm_consumer: receive: %s\n",
				shmring_strerror((int)len));
			status = 1;
			break;
		}
		fwrite(msg, 1, (size_t)len, stdout);
		putchar('\n');
	}
	if (fflush(stdout) != 0) {
		perror("shm_consumer: writing stdout");
		status = 1;
	}

	free(msg);
	shmring_close(ring);
	/* Whole stream read: nobody needs the name any more. */
	if (status == 0)
		shmring_unlink(argv[1]);
	return status;
}
