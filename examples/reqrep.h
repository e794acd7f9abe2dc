/*
 * reqrep.h - what the server and its clients say to each other.
 *
 * Requests from every client share one MPMC ring, NAME.req; the server
 * answers each client on an SPSC ring of the client's own, NAME.<pid>,
 * which the client creates before its first request. A request says who
 * sent it (pid) and which request it is (id), so the server knows where
 * to answer and the client can match answers to requests.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#ifndef EXAMPLES_REQREP_H
#define EXAMPLES_REQREP_H

#include <stdint.h>

#define TEXT_MAX 112

/* Fixed size: an MPMC slot holds one whole request. */
struct request {
	int32_t pid;          /* the client, whose answers go to NAME.<pid> */
	uint32_t id;          /* 1, 2, 3...; 0 says goodbye (no answer) */
	char text[TEXT_MAX];  /* NUL-terminated: the server upper-cases it */
};

struct reply {
	uint32_t id;          /* the request's */
	char text[TEXT_MAX];
};

/* Give up on a peer that has not answered for this long. */
#define PATIENCE_NS ((int64_t)5 * 1000 * 1000 * 1000)

/*
 * Send @count requests to the server at @name and check every answer;
 * print one line of result. Returns 0 when every answer was right.
 */
int client_run(const char *name, long count);

#endif /* EXAMPLES_REQREP_H */
