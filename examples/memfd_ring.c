/*
 * memfd_ring.c - a ring in a sealed memfd, handed over a UNIX socket.
 *
 *   usage: memfd_ring [-n COUNT]
 *
 * A memfd has no name at all: the only way in is its file descriptor,
 * which a process can pass to another over a UNIX socket (SCM_RIGHTS).
 * The parent creates the ring with shmring_create_memfd() and sends the
 * descriptor with shmring_send_fd(); the child, forked before the ring
 * existed, receives it with shmring_recv_fd() and attaches with
 * shmring_open_fd(). The library seals the memfd against shrinking and
 * growing, so the child cannot truncate the memory under the parent's
 * mapping (which would kill the parent with SIGBUS, as the notes warn of
 * a file cut short): the child tries, and shows the refusal. Then it
 * reads the parent's COUNT messages (default 5).
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <shmring.h>

#define PATIENCE_NS ((int64_t)5 * 1000 * 1000 * 1000)

/* The child: get the descriptor, try to shrink and to grow the memory,
 * then read every message. */
static int child(int sock, long count)
{
	struct shmring *rx;
	char msg[64];
	long got = 0;
	ssize_t n;
	int fd, err = shmring_recv_fd(sock, &fd);

	if (err == 0) {
		err = shmring_open_fd(fd, SHMRING_CONSUMER, &rx);
		close(fd); /* the handle keeps a duplicate */
	}
	if (err < 0) {
		fprintf(stderr, "memfd_ring: child: %s\n", shmring_strerror(err));
		return 1;
	}
	fd = shmring_fd(rx);
	printf("child: seals on the memfd: %s\n", fcntl(fd, F_GET_SEALS) ==
	       (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) ?
	       "F_SEAL_SHRINK F_SEAL_GROW F_SEAL_SEAL" : "not the expected ones");
	/* Shrink to nothing, then grow to 1 GiB: both must fail, EPERM. */
	for (int i = 0; i < 2; i++) {
		const off_t sizes[2] = { 0, (off_t)1 << 30 };

		if (ftruncate(fd, sizes[i]) == 0) {
			fprintf(stderr, "memfd_ring: child: ftruncate to %lld "
				"worked: the memfd is not sealed\n", (long long)sizes[i]);
			err = -EPROTO;
		} else {
			printf("child: ftruncate(fd, %lld) refused: %s\n",
			       (long long)sizes[i], strerror(errno));
			if (errno != EPERM)
				err = -errno;
		}
	}
	while ((n = shmring_recv(rx, msg, sizeof(msg), PATIENCE_NS)) >= 0) {
		printf("child got: %.*s\n", (int)n, msg);
		got++;
	}
	shmring_close(rx);
	if (n != -EPIPE) /* -EPIPE: the parent closed, all was read */
		fprintf(stderr, "memfd_ring: child: %s\n", shmring_strerror((int)n));
	return err < 0 || n != -EPIPE || got != count;
}

int main(int argc, char **argv)
{
	struct shmring *tx = NULL;
	char msg[64];
	long count = 5;
	int sv[2], err, st = 1;
	pid_t pid;

	if (argc == 3 && !strcmp(argv[1], "-n"))
		count = atol(argv[2]);
	if ((argc != 1 && argc != 3) || count < 1) {
		fprintf(stderr, "usage: memfd_ring [-n COUNT]\n");
		return 2;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		perror("memfd_ring: socketpair");
		return 1;
	}
	fflush(stdout);
	if ((pid = fork()) == 0) {
		close(sv[0]);
		exit(child(sv[1], count));
	}
	close(sv[1]);

	/* Ring first, then its descriptor down the socket. */
	err = pid < 0 ? -errno : shmring_create_memfd(NULL, SHMRING_PRODUCER, &tx);
	if (err == 0)
		err = shmring_send_fd(sv[0], shmring_fd(tx));
	close(sv[0]); /* on failure, the child's receive sees end of file */
	for (long i = 1; err == 0 && i <= count; i++) {
		snprintf(msg, sizeof(msg), "message %ld of %ld", i, count);
		err = shmring_send(tx, msg, strlen(msg), PATIENCE_NS);
	}
	if (tx)
		shmring_close(tx); /* the child's end of stream */
	if (err < 0) {
		fprintf(stderr, "memfd_ring: %s\n", shmring_strerror(err));
		if (pid > 0)
			kill(pid, SIGTERM);
	}
	if (pid > 0)
		waitpid(pid, &st, 0);
	return err < 0 || st != 0;
}
