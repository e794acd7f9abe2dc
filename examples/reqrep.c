/*
 * reqrep.c - the client side of the server demo: used by the client
 * program and by the clients that `server --demo` forks.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <shmring.h>

#include "reqrep.h"

int client_run(const char *name, long count)
{
	const struct shmring_opts opts = { .capacity = 4096 };
	struct shmring *req = NULL, *rep = NULL;
	struct request q = { .pid = (int32_t)getpid() };
	struct reply a;
	char req_name[256], rep_name[256];
	const char *what = rep_name; /* for the error message */
	ssize_t n = 0;
	long i;
	int err;

	snprintf(req_name, sizeof(req_name), "%s.req", name);
	snprintf(rep_name, sizeof(rep_name), "%s.%d", name, (int)q.pid);

	/* Our answer ring first: the server opens it on our first request. */
	err = shmring_create(rep_name, &opts, SHMRING_CONSUMER, &rep);
	if (err == 0) {
		what = req_name;
		err = shmring_open(req_name, SHMRING_PRODUCER, &req);
	}
	if (err == 0)
		what = "request";
	for (i = 1; err == 0 && i <= count; i++) {
		q.id = (uint32_t)i;
		snprintf(q.text, sizeof(q.text), "hello from %d, request %ld",
			 (int)q.pid, i);
		err = shmring_send(req, &q, sizeof(q), PATIENCE_NS);
		if (err == 0 && (n = shmring_recv(rep, &a, sizeof(a), PATIENCE_NS)) < 0)
			err = (int)n;
		if (err)
			break;
		/* The answer must be this request's text, upper-cased. */
		for (char *c = q.text; *c; c++)
			*c = (char)toupper((unsigned char)*c);
		if (n != sizeof(a) || a.id != q.id || strncmp(a.text, q.text, TEXT_MAX)) {
			fprintf(stderr, "client %d: wrong answer to request %ld\n",
				(int)q.pid, i);
			err = -EBADMSG;
		}
	}
	if (err)
		fprintf(stderr, "client %d: %s: %s\n", (int)q.pid, what,
			err == -ENOENT ? "no server there" : shmring_strerror(err));
	else
		printf("client %d: %ld requests, every answer right\n",
		       (int)q.pid, count);

	if (req) {
		/* Goodbye: the server may close our answer ring now. If it
		 * has gone already, there is nobody left to tell. */
		q.id = 0;
		shmring_send(req, &q, sizeof(q), PATIENCE_NS);
		shmring_close(req);
	}
	if (rep) {
		shmring_close(rep);
		shmring_unlink(rep_name);
	}
	fflush(stdout);
	return err ? 1 : 0;
}
