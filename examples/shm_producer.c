/*
 * shm_producer.c - send each line of standard input as one message.
 *
 *   usage: shm_producer NAME        (NAME like /demo)
 *
 * Creates the SPSC ring NAME, or attaches to it as the producer if it is
 * already there (the consumer may have been started first and be waiting
 * for it). Each line, without its newline, becomes one message; a send
 * waits while the ring is full. At end of input the producer closes the
 * ring, which the consumer sees as end of stream, as with a pipe.
 * Run shm_consumer NAME alongside to print the messages.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <shmring.h>

int main(int argc, char **argv)
{
	struct shmring *ring;
	struct shmring_info info;
	char *line = NULL;
	size_t line_cap = 0;
	ssize_t len;
	int err, status = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: shm_producer NAME\n");
		return 2;
	}

	/* Create the ring with default sizes; if it exists, join it. */
	err = shmring_create(argv[1], NULL, SHMRING_PRODUCER, &ring);
	if (err == -EEXIST)
		err = shmring_open(argv[1], SHMRING_PRODUCER, &ring);
	if (err < 0) {
		fprintf(stderr, "shm_producer: %s: %s\n", argv[1],
			shmring_strerror(err));
		return 1;
	}

	/* The ring decides the largest message it takes. */
	shmring_info(ring, &info);

	while ((len = getline(&line, &line_cap, stdin)) >= 0) {
		if (len > 0 && line[len - 1] == '\n')
			len--;
		if ((size_t)len > info.max_msg) {
			fprintf(stderr, "shm_producer: a line of %zd bytes is "
				"longer than the ring's limit of %zu\n",
				len, info.max_msg);
			status = 1;
			break;
		}
		/* -1: wait as long as it takes for room in the ring. */
		err = shmring_send(ring, line, (size_t)len, -1);
		if (err < 0) {
			/* -EPIPE: the consumer closed or died. */
			fprintf(stderr, "shm_producer: send: %s\n",
				shmring_strerror(err));
			status = 1;
			break;
		}
	}
	if (ferror(stdin)) {
		perror("shm_producer: reading stdin");
		status = 1;
	}

	free(line);
	/* Closing the producer is the consumer's end of stream. */
	shmring_close(ring);
	return status;
}
