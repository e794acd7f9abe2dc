/*
 * fork_ring.c - parent and child over an anonymous ring.
 *
 *   usage: fork_ring [-n COUNT]
 *
 * The notes' anonymous mapping (mmap MAP_SHARED | MAP_ANONYMOUS before
 * fork) shared memory between related processes without any name. The
 * ring here is made the same way, by shmring_create_anon() before fork();
 * after it each process takes its role with shmring_attach(): the parent
 * sends COUNT numbered messages (default 10), the child prints them and
 * checks that none is missing. Nothing appears in /dev/shm and nothing
 * needs removing: the memory goes away with the last process.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <shmring.h>

/* Give up on a peer silent for this long: it died or never came. */
#define PATIENCE_NS ((int64_t)5 * 1000 * 1000 * 1000)

/* The child's part: print and check every message until end of stream. */
static int child(struct shmring *anon, long count)
{
	struct shmring *rx = NULL;
	char msg[64], want[64];
	long got = 0;
	ssize_t n = 0;
	int err = shmring_attach(anon, SHMRING_CONSUMER, &rx);

	while (err == 0 && (n = shmring_recv(rx, msg, sizeof(msg) - 1, PATIENCE_NS)) >= 0) {
		msg[n] = '\0';
		printf("child %d got: %s\n", (int)getpid(), msg);
		snprintf(want, sizeof(want), "message %ld of %ld", ++got, count);
		if (strcmp(msg, want) != 0)
			err = -EBADMSG;
	}
	/* End of stream (-EPIPE) once the parent has closed its end. */
	if (err == 0 && n != -EPIPE)
		err = (int)n;
	if (err == 0 && got != count)
		err = -ENODATA; /* the stream ended early */
	if (err < 0)
		fprintf(stderr, "fork_ring: child: %s\n", shmring_strerror(err));
	if (rx)
		shmring_close(rx);
	return err < 0;
}

int main(int argc, char **argv)
{
	struct shmring *anon, *tx = NULL;
	char msg[64];
	long count = 10;
	int err, st = 1;
	pid_t pid;

	if (argc == 3 && !strcmp(argv[1], "-n"))
		count = atol(argv[2]);
	if ((argc != 1 && argc != 3) || count < 1) {
		fprintf(stderr, "usage: fork_ring [-n COUNT]\n");
		return 2;
	}

	/* The ring first, then fork: the child inherits the mapping. */
	err = shmring_create_anon(NULL, &anon);
	if (err < 0) {
		fprintf(stderr, "fork_ring: %s\n", shmring_strerror(err));
		return 1;
	}
	fflush(stdout); /* else the child would print it again */
	pid = fork();
	if (pid == 0) {
		st = child(anon, count);
		shmring_close(anon); /* each process closes its own copy */
		exit(st);
	}

	/* The parent's part: the producer. The creating handle holds no
	 * role; once ours is attached it is no longer needed. */
	err = pid < 0 ? -errno : shmring_attach(anon, SHMRING_PRODUCER, &tx);
	shmring_close(anon);
	for (long i = 1; err == 0 && i <= count; i++) {
		snprintf(msg, sizeof(msg), "message %ld of %ld", i, count);
		err = shmring_send(tx, msg, strlen(msg), PATIENCE_NS);
	}
	if (tx)
		shmring_close(tx); /* the child's end of stream */
	if (err < 0)
		fprintf(stderr, "fork_ring: parent: %s\n", shmring_strerror(err));
	if (err < 0 && pid > 0)
		kill(pid, SIGTERM);
	if (pid > 0 && waitpid(pid, &st, 0) == pid && st == 0)
		printf("parent %d: sent %ld messages, child %d read them all\n",
		       (int)getpid(), count, (int)pid);
	return err < 0 || st != 0;
}
