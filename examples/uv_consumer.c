/*
 * uv_consumer.c - a ring in a libuv event loop: print each message of the
 * ring NAME as a line, beside a timer that says how many came so far.
 *
 *   usage: uv_consumer NAME        (NAME like /demo)
 *
 * Creates the SPSC ring NAME as its consumer, or attaches to it; feed it
 * with shm_producer NAME. At end of stream it removes the ring and the
 * loop ends. The ring is watched with a uv_poll_t on shmring_poll_fd();
 * each callback takes messages with shmring_try_recv() until -EAGAIN,
 * which re-arms the descriptor (the rule for edge- and level-triggered
 * polling alike).
 *
 * Built where configure finds libuv (Debian: libuv1-dev).
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>

#include <shmring.h>
#include <uv.h>

struct state {
	struct shmring *ring;
	const char *name;
	long count;
	uv_poll_t poll;
	uv_timer_t timer;
};

static void on_readable(uv_poll_t *p, int status, int events)
{
	struct state *s = p->data;
	char buf[65536];
	ssize_t n;

	(void)events;
	if (status < 0) {
		fprintf(stderr, "uv_consumer: %s\n", uv_strerror(status));
		uv_stop(p->loop);
		return;
	}
	while ((n = shmring_try_recv(s->ring, buf, sizeof(buf))) >= 0) {
		printf("%.*s\n", (int)n, buf);
		s->count++;
	}
	if (n == -EAGAIN)
		return; /* re-armed */
	if (n != -EPIPE)
		fprintf(stderr, "uv_consumer: %s\n", shmring_strerror((int)n));
	/* End of stream: stop watching before the handle (and with it the
	 * descriptor) goes. */
	uv_poll_stop(p);
	uv_close((uv_handle_t *)p, NULL);
	uv_close((uv_handle_t *)&s->timer, NULL);
}

static void on_tick(uv_timer_t *t)
{
	struct state *s = t->data;
	fprintf(stderr, "uv_consumer: %ld messages so far\n", s->count);
}

int main(int argc, char **argv)
{
	struct state s = { .name = argv[1] };
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: %s NAME\n", argv[0]);
		return 2;
	}
	err = shmring_create(s.name, NULL, SHMRING_CONSUMER, &s.ring);
	if (err == -EEXIST)
		err = shmring_open(s.name, SHMRING_CONSUMER, &s.ring);
	if (err < 0) {
		fprintf(stderr, "uv_consumer: %s: %s\n", s.name, shmring_strerror(err));
		return 1;
	}
	int fd = shmring_poll_fd(s.ring, POLLIN);
	if (fd < 0) {
		fprintf(stderr, "uv_consumer: %s\n", shmring_strerror(fd));
		return 1;
	}
	uv_loop_t *loop = uv_default_loop();
	uv_poll_init(loop, &s.poll, fd);
	s.poll.data = &s;
	uv_poll_start(&s.poll, UV_READABLE, on_readable);
	uv_timer_init(loop, &s.timer);
	s.timer.data = &s;
	uv_timer_start(&s.timer, on_tick, 1000, 1000);
	fprintf(stderr, "uv_consumer: waiting on %s\n", s.name);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_loop_close(loop);
	fprintf(stderr, "uv_consumer: %ld messages\n", s.count);
	shmring_close(s.ring);
	shmring_unlink(s.name);
	return 0;
}
