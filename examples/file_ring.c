/*
 * file_ring.c - a ring in a memory-mapped file, which outlives its writer.
 *
 *   usage: file_ring PATH write [-n COUNT]    leave COUNT messages (10)
 *          file_ring PATH read                read them, remove PATH
 *
 * The notes mapped a regular file with mmap to share it, and to keep what
 * was written. "file:PATH" does the same for a ring: the writer creates
 * the file, leaves its messages, flushes them to disk with shmring_sync()
 * and exits; a reader started any time later (after a reboot too) finds
 * them there, reads them in order, and removes the file.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <shmring.h>

#define PATIENCE_NS ((int64_t)5 * 1000 * 1000 * 1000)

static int write_ring(const char *name, long count)
{
	const struct shmring_opts opts = { .capacity = 65536, .max_msg = 256 };
	struct shmring *tx;
	char msg[256];
	time_t now = time(NULL);
	int err = shmring_create(name, &opts, SHMRING_PRODUCER, &tx);

	if (err < 0) /* -EEXIST: earlier messages are still waiting there */
		return err;
	for (long i = 1; err == 0 && i <= count; i++) {
		snprintf(msg, sizeof(msg), "message %ld of %ld, left by process %d at %.24s",
			 i, count, (int)getpid(), ctime(&now));
		/* Never wait: no reader comes while we run. -EAGAIN: full,
		 * the file holds no more until it is read. */
		err = shmring_try_send(tx, msg, strlen(msg));
	}
	/* msync: what was sent is on disk, not only in the page cache. */
	if (err == 0)
		err = shmring_sync(tx);
	shmring_close(tx);
	if (err < 0) { /* leave no half-written file behind */
		shmring_unlink(name);
		return err;
	}
	printf("left %ld messages in %s\n", count, name + 5);
	return 0;
}

static int read_ring(const char *name)
{
	struct shmring *rx;
	char msg[256];
	long got = 0;
	ssize_t n;
	int err = shmring_open(name, SHMRING_CONSUMER, &rx);

	if (err < 0) /* -ENOENT: nothing was written, or it was read already */
		return err;
	/* The writer has closed (or died): -EPIPE once the ring is empty. */
	while ((n = shmring_recv(rx, msg, sizeof(msg), PATIENCE_NS)) >= 0) {
		printf("%.*s\n", (int)n, msg);
		got++;
	}
	shmring_close(rx);
	if (n != -EPIPE)
		return (int)n;
	printf("read %ld messages; removing %s\n", got, name + 5);
	return shmring_unlink(name);
}

int main(int argc, char **argv)
{
	char name[4096 + 5];
	long count = 10;
	int err;
	int writing = argc >= 3 && !strcmp(argv[2], "write");

	if (writing && argc == 5 && !strcmp(argv[3], "-n"))
		count = atol(argv[4]);
	else if (argc != 3)
		count = 0;
	if (count < 1 || (!writing && strcmp(argv[2], "read")) ||
	    snprintf(name, sizeof(name), "file:%s", argv[1]) >= (int)sizeof(name)) {
		fprintf(stderr, "usage: file_ring PATH write [-n COUNT] | file_ring PATH read\n");
		return 2;
	}
	err = writing ? write_ring(name, count) : read_ring(name);
	if (err < 0) {
		fprintf(stderr, "file_ring: %s: %s\n", argv[1],
			err == -EEXIST ? "exists already: read it first" :
			err == -EAGAIN ? "full: fewer messages fit until read" :
			shmring_strerror(err));
		return 1;
	}
	return 0;
}
