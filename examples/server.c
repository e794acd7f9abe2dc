/*
 * server.c - one server, many client processes.
 *
 *   usage: server NAME [-n REQUESTS]    serve until Ctrl-C (or REQUESTS)
 *          server NAME --demo CLIENTS   fork CLIENTS clients, 1000 requests
 *                                       each, and print the totals
 *
 * Every client sends its requests on one MPMC ring, NAME.req; the server
 * upper-cases each request's text and answers on the client's own SPSC
 * ring, NAME.<pid> (the wire format is in reqrep.h). Run `client NAME`
 * from other terminals, or let --demo fork the clients.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <shmring.h>

#include "reqrep.h"

#define MAX_CLIENTS 64	/* answer rings open at once */
#define WAKE_NS ((int64_t)250 * 1000 * 1000) /* to notice Ctrl-C */

static struct { pid_t pid; struct shmring *ring; } clients[MAX_CLIENTS];
static atomic_int stop;

static void on_signal(int sig)
{
	atomic_store(&stop, sig);
}

/* The answer ring of @pid: opened on its first request, kept till goodbye. */
static struct shmring *answer_ring(const char *name, pid_t pid, long *seen)
{
	char rep_name[256];
	int i, free_slot = -1, err;

	for (i = 0; i < MAX_CLIENTS; i++) {
		if (clients[i].ring && clients[i].pid == pid)
			return clients[i].ring;
		if (!clients[i].ring)
			free_slot = i;
	}
	snprintf(rep_name, sizeof(rep_name), "%s.%d", name, (int)pid);
	err = free_slot < 0 ? -EUSERS :
	      shmring_open(rep_name, SHMRING_PRODUCER, &clients[free_slot].ring);
	if (err < 0) {
		fprintf(stderr, "server: %s: %s\n", rep_name, shmring_strerror(err));
		return NULL;
	}
	clients[free_slot].pid = pid;
	++*seen;
	return clients[free_slot].ring;
}

/* Close the answer ring of @pid. A client that did not say goodbye has
 * died, or is left without a server: remove its ring's name too. */
static void forget(const char *name, pid_t pid, int goodbye)
{
	char rep_name[256];

	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i].ring && clients[i].pid == pid) {
			shmring_close(clients[i].ring);
			clients[i].ring = NULL;
		}
	snprintf(rep_name, sizeof(rep_name), "%s.%d", name, (int)pid);
	if (!goodbye)
		shmring_unlink(rep_name);
}

/* --demo: fork @n clients of 1000 requests each; return how many started. */
static long start_clients(const char *name, pid_t *pids, long n)
{
	fflush(stdout); /* else each child would print it again */
	for (long i = 0; i < n; i++)
		if ((pids[i] = fork()) == 0)
			exit(client_run(name, 1000));
		else if (pids[i] < 0)
			return perror("server: fork"), i;
	return n;
}

/* Reap the demo clients that have exited (WNOHANG) or all (0); count
 * those that failed. A reaped pid turns negative: its ring name stays. */
static long reap(pid_t *pids, long n, int flags, long *running)
{
	long failed = 0;
	int st;

	for (long i = 0; i < n; i++)
		if (pids[i] > 0 && waitpid(pids[i], &st, flags) == pids[i]) {
			failed += st != 0;
			pids[i] = -pids[i];
			--*running;
		}
	return failed;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "demo", required_argument, NULL, 'd' }, { NULL, 0, NULL, 0 } };
	const struct shmring_opts opts = { .kind = SHMRING_MPMC, .capacity = 64,
					   .max_msg = sizeof(struct request) };
	struct sigaction sa = { .sa_handler = on_signal };
	struct shmring *req, *ring;
	struct request q;
	struct reply a;
	char req_name[256];
	long limit = 0, demo = 0, served = 0, seen = 0, started, running, failed = 0;
	pid_t pids[30];
	struct timespec t0, t1;
	ssize_t n;
	int c, err;

	while ((c = getopt_long(argc, argv, "n:", longopts, NULL)) != -1) {
		if (c == 'n' && (limit = atol(optarg)) > 0)
			continue;
		if (c == 'd' && (demo = atol(optarg)) > 0 && demo <= 30)
			continue;
		optind = argc; /* a bad option: print the usage */
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: server NAME [-n REQUESTS] [--demo 1..30]\n");
		return 2;
	}
	snprintf(req_name, sizeof(req_name), "%s.req", argv[optind]);

	/* The server is a producer on its own request ring too: with a live
	 * producer attached, "every client has left" is never end of stream,
	 * and the server sleeps until the next client comes. */
	err = shmring_create(req_name, &opts, SHMRING_PRODUCER | SHMRING_CONSUMER, &req);
	if (err < 0) { /* -EEXIST: a server is running, or one was killed */
		fprintf(stderr, "server: %s: %s\n", req_name, shmring_strerror(err));
		return 1;
	}
	running = started = start_clients(argv[optind], pids, demo);
	/* Installed after the fork: the clients keep the default actions. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!atomic_load(&stop) && (limit == 0 || served < limit)) {
		n = shmring_recv(req, &q, sizeof(q), WAKE_NS);
		if (n == -ETIMEDOUT) {
			/* Quiet for a while: have the demo clients finished? */
			failed += reap(pids, started, WNOHANG, &running);
			if (demo && running == 0)
				break;
			continue;
		}
		if (n < 0) {
			fprintf(stderr, "server: receive: %s\n", shmring_strerror((int)n));
			break;
		}
		if (n != sizeof(q))
			continue; /* not one of our requests: ignore it */
		if (q.id == 0) { /* goodbye */
			forget(argv[optind], q.pid, 1);
			continue;
		}
		if (!(ring = answer_ring(argv[optind], q.pid, &seen)))
			continue;
		a.id = q.id;
		q.text[TEXT_MAX - 1] = '\0'; /* never trust what comes in */
		for (int i = 0; i < TEXT_MAX; i++)
			a.text[i] = (char)toupper((unsigned char)q.text[i]);
		if ((err = shmring_send(ring, &a, sizeof(a), PATIENCE_NS)) < 0) {
			fprintf(stderr, "server: client %d: %s\n", (int)q.pid,
				shmring_strerror(err));
			forget(argv[optind], q.pid, 0); /* -EPIPE: it died */
			continue;
		}
		served++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("server: %ld requests from %ld client%s answered in %.3f s\n",
	       served, seen, seen == 1 ? "" : "s", (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);

	/* Leave nothing behind: answer rings, the name, the demo clients
	 * (one that died before its first request is in no table). */
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i].ring)
			forget(argv[optind], clients[i].pid, 0);
	shmring_close(req);
	shmring_unlink(req_name);
	for (long i = 0; i < started; i++) {
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
		forget(argv[optind], pids[i] > 0 ? pids[i] : -pids[i], 0);
	}
	failed += reap(pids, started, 0, &running) + demo - started;
	if (demo)
		printf("server: %ld of %ld clients checked every answer\n",
		       demo - failed, demo);
	return failed || (demo && served != demo * 1000) ? 1 : 0;
}
