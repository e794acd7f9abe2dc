/*
 * boost_mq.h - a C face on Boost.Interprocess message_queue, for the
 * benchmark (the queue itself is C++, in boost_mq.cc). Every function
 * returns 0 or a count on success, -errno on failure; none throws.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#ifndef BENCH_BOOST_MQ_H
#define BENCH_BOOST_MQ_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bmq;

/* Create queue @name (no leading '/'), mode 0600, and detach from it. */
int bmq_create(const char *name, size_t max_msgs, size_t msg_size);
/* Attach to an existing queue. */
int bmq_open(const char *name, struct bmq **out);
/* Blocking send and receive of one message. */
int bmq_send(struct bmq *q, const void *msg, size_t len);
ssize_t bmq_recv(struct bmq *q, void *buf, size_t cap);
void bmq_close(struct bmq *q);
/* Remove the name; attached processes keep working. */
int bmq_remove(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* BENCH_BOOST_MQ_H */
