/*
 * epoll_server.c - one thread, one epoll set: a listening UNIX socket and
 * several rings. Every message that arrives on a ring is printed, prefixed
 * with the ring's name, and passed on as a line to every connected client.
 *
 *   usage: epoll_server SOCKET NAME...     (NAME like /feed-a)
 *
 * Creates each ring NAME (SPSC) as its consumer, or attaches to it if it
 * is there already, and listens on SOCKET. Feed a ring with
 *   shm_producer NAME
 * and read what the server passes on with any UNIX socket client, e.g.
 *   socat - UNIX-CONNECT:SOCKET
 * When every ring has reached the end of stream (its producer closed) the
 * server removes the rings and the socket and exits.
 *
 * The rings are waited on like sockets: shmring_poll_fd() gives each a
 * descriptor, registered edge-triggered; when it fires, the server takes
 * messages with shmring_try_recv() until -EAGAIN, which re-arms it.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <shmring.h>

#define MAX_RINGS 16
#define MAX_CLIENTS 64
#define TAG_LISTEN (-1)

static int clients[MAX_CLIENTS];
static int nclients;

static int open_ring(const char *name, struct shmring **r)
{
	int err = shmring_create(name, NULL, SHMRING_CONSUMER, r);
	if (err == -EEXIST)
		err = shmring_open(name, SHMRING_CONSUMER, r);
	return err;
}

static int listen_on(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(a.sun_path))
		return -1;
	strcpy(a.sun_path, path);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(path);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(s, 16) < 0)
		return -1;
	return s;
}

/* A line to every client; a client that cannot take it is dropped. */
static void pass_on(const char *name, const char *msg, size_t len)
{
	char line[4096];
	int n = snprintf(line, sizeof(line), "%s: %.*s\n", name, (int)len, msg);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	for (int i = 0; i < nclients; i++) {
		if (send(clients[i], line, (size_t)n, MSG_NOSIGNAL) != n) {
			close(clients[i]);
			clients[i--] = clients[--nclients];
		}
	}
}

/* Take every message ring @r has now; 1 at end of stream. */
static int drain(struct shmring *r, const char *name, long *count)
{
	char buf[65536];
	ssize_t n;
	while ((n = shmring_try_recv(r, buf, sizeof(buf))) >= 0) {
		printf("%s: %.*s\n", name, (int)n, buf);
		pass_on(name, buf, (size_t)n);
		(*count)++;
	}
	fflush(stdout);
	if (n == -EAGAIN)
		return 0; /* re-armed: the descriptor fires on the next one */
	if (n != -EPIPE)
		fprintf(stderr, "epoll_server: %s: %s\n", name, shmring_strerror((int)n));
	return 1;
}

int main(int argc, char **argv)
{
	struct shmring *ring[MAX_RINGS];
	int nrings = argc - 2, open_rings = 0, err;
	long count = 0;

	if (argc < 3 || nrings > MAX_RINGS) {
		fprintf(stderr, "usage: %s SOCKET NAME... (at most %d rings)\n",
			argv[0], MAX_RINGS);
		return 2;
	}
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int ls = listen_on(argv[1]);
	if (ep < 0 || ls < 0) {
		perror("epoll_server: socket");
		return 1;
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)TAG_LISTEN };
	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
	for (int i = 0; i < nrings; i++) {
		if ((err = open_ring(argv[i + 2], &ring[i])) < 0) {
			fprintf(stderr, "epoll_server: %s: %s\n", argv[i + 2],
				shmring_strerror(err));
			return 1;
		}
		/* Edge-triggered: drain() takes until -EAGAIN each time. */
		ev = (struct epoll_event){ .events = EPOLLIN | EPOLLET,
					   .data.u64 = (uint64_t)i };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, shmring_poll_fd(ring[i], POLLIN),
			      &ev) < 0) {
			perror("epoll_server: epoll_ctl");
			return 1;
		}
		open_rings++;
	}
	printf("epoll_server: listening on %s, %d rings\n", argv[1], nrings);
	fflush(stdout);

	while (open_rings > 0) {
		struct epoll_event evs[16];
		int n = epoll_wait(ep, evs, 16, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("epoll_server: epoll_wait");
			break;
		}
		for (int k = 0; k < n; k++) {
			int64_t tag = (int64_t)evs[k].data.u64;
			if (tag == TAG_LISTEN) {
				int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
				if (c >= 0 && nclients < MAX_CLIENTS) {
					clients[nclients++] = c;
					printf("epoll_server: client %d connected\n",
					       nclients);
					fflush(stdout);
				} else if (c >= 0) {
					close(c);
				}
				continue;
			}
			struct shmring *r = ring[tag];
			if (r && drain(r, argv[tag + 2], &count)) {
				/* Its descriptor closes with the handle, which
				 * also takes it out of the epoll set. */
				shmring_close(r);
				shmring_unlink(argv[tag + 2]);
				ring[tag] = NULL;
				open_rings--;
			}
		}
	}
	printf("epoll_server: %ld messages from %d rings\n", count, nrings);
	for (int i = 0; i < nclients; i++)
		close(clients[i]);
	close(ls);
	unlink(argv[1]);
	close(ep);
	return 0;
}
