/*
 * sysv_ring.c - a ring in a System V shared-memory segment.
 *
 *   usage: sysv_ring [-n COUNT]
 *
 * The notes' System V programs found their segment by a key from ftok()
 * (shmget, shmat, shmdt, shmctl IPC_RMID). "sysv:PATH:PROJ" names a ring
 * the same way: this demo makes a key file in /tmp, creates the ring,
 * prints the segment's key and id (as `ipcs -m` shows them), forks a
 * reader that opens the same name, sends it COUNT messages (default 5),
 * then removes the segment with shmring_unlink() (IPC_RMID) and the file.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include <shmring.h>

#define PATIENCE_NS ((int64_t)5 * 1000 * 1000 * 1000)

/* The reader, a process of its own: it finds the ring by name alone. */
static int reader(const char *name, long count)
{
	struct shmring *rx;
	char msg[64];
	long got = 0;
	ssize_t n;
	int err = shmring_open(name, SHMRING_CONSUMER, &rx);

	if (err < 0) {
		fprintf(stderr, "sysv_ring: reader: %s\n", shmring_strerror(err));
		return 1;
	}
	while ((n = shmring_recv(rx, msg, sizeof(msg), PATIENCE_NS)) >= 0) {
		printf("reader %d got: %.*s\n", (int)getpid(), (int)n, msg);
		got++;
	}
	shmring_close(rx);
	if (n != -EPIPE) /* -EPIPE: the writer closed, all was read */
		fprintf(stderr, "sysv_ring: reader: %s\n", shmring_strerror((int)n));
	return n != -EPIPE || got != count;
}

int main(int argc, char **argv)
{
	const struct shmring_opts opts = { .capacity = 65536 };
	struct shmring *tx = NULL;
	char path[64], name[80], msg[64];
	long count = 5;
	int fd, err, created, st = 1;
	key_t key;
	pid_t pid = -1;

	if (argc == 3 && !strcmp(argv[1], "-n"))
		count = atol(argv[2]);
	if ((argc != 1 && argc != 3) || count < 1) {
		fprintf(stderr, "usage: sysv_ring [-n COUNT]\n");
		return 2;
	}

	/* ftok() derives the key from an existing file's inode: make one. */
	snprintf(path, sizeof(path), "/tmp/sysv_ring-%d.key", (int)getpid());
	snprintf(name, sizeof(name), "sysv:%s:1", path);
	if ((fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0600)) < 0) {
		perror("sysv_ring: key file");
		return 1;
	}
	close(fd);
	key = ftok(path, 1); /* the key the library derives from the name */

	err = shmring_create(name, &opts, SHMRING_PRODUCER, &tx);
	created = err == 0;
	if (created) {
		printf("segment: key 0x%08x, shmid %d (see ipcs -m)\n",
		       (unsigned)key, shmget(key, 0, 0));
		fflush(stdout); /* else the child would print it again */
		/* The child leaves the inherited handle alone: closing it
		 * would detach the parent's producer role. */
		if ((pid = fork()) == 0)
			exit(reader(name, count));
		if (pid < 0)
			err = -errno;
	}
	for (long i = 1; err == 0 && i <= count; i++) {
		snprintf(msg, sizeof(msg), "message %ld of %ld", i, count);
		err = shmring_send(tx, msg, strlen(msg), PATIENCE_NS);
	}
	if (tx)
		shmring_close(tx); /* the reader's end of stream */
	if (err < 0) {
		fprintf(stderr, "sysv_ring: %s\n", shmring_strerror(err));
		if (pid > 0)
			kill(pid, SIGTERM);
	}
	if (pid > 0)
		waitpid(pid, &st, 0);

	/* IPC_RMID; with nobody attached the segment is gone at once. */
	if (created && shmring_unlink(name) == 0 && shmget(key, 0, 0) < 0 && errno == ENOENT)
		printf("segment removed: shmget(0x%08x) now fails: %s\n",
		       (unsigned)key, strerror(ENOENT));
	unlink(path);
	return err < 0 || st != 0;
}
