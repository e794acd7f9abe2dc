/*
 * bridge-peer.c - the two ends of a bridged stream for tests/cli/bridge.sh:
 * a producer of numbered, checksummed messages of random sizes, and a
 * consumer that checks each one: intact, numbered above the one before
 * (nothing twice, nothing out of order), and counts what never came.
 *
 *   bridge-peer produce NAME N [--seed S] [--min BYTES] [--max BYTES]
 *                               [--rate MSGS/S] [--hold]
 *   bridge-peer consume NAME N [--hold]
 *   bridge-peer replay ENDPOINT   (built with ZeroMQ) batches sent to a
 *                            receiving bridge as a sender whose queue was
 *                            replayed would send them: messages 0..2,
 *                            1..2 again, two malformed batches, 3..4, 0
 *                            again, end of stream
 *   bridge-peer scale N      N times SHMRING_TEST_SCALE (default 1, or
 *                            0.02 in a sanitized build), at least 1000
 *
 * Message i: index i (u64), FNV-1a of the payload (u32), then a payload
 * of pseudo-random bytes: messages of min (12 by default) to max bytes.
 * --hold also takes the other role (on an MPMC ring), so that the death
 * of a bridge on the other side of the ring is not an end of stream:
 * the consumer then stops at message N - 1 instead of at end of stream.
 * consume prints "received R lost L last I eos E" and exits 1 on the
 * first damaged, repeated or reordered message, or after 60 s of silence.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <shmring.h>

#define HDR 12

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

static int scale(const char *arg)
{
	const char *env = getenv("SHMRING_TEST_SCALE");
	double f = env ? strtod(env, NULL) : (SANITIZED ? 0.02 : 1.0);
	double n = strtod(arg, NULL) * f;

	printf("%.0f\n", n < 1000 ? 1000 : n);
	return 0;
}

#ifdef BRIDGE_PEER_ZMQ
#include <zmq.h>

/*
 * One batch in the wire format of shmring(1), "bridge", written here from
 * its description: messages first..first+count-1 of stream 42, message
 * k being index k - 1 with an empty payload.
 */
static int send_wire(void *sock, uint64_t first, uint32_t count, int eos)
{
	unsigned char f[32 + 64 * 16];
	uint32_t h32[4] = { 0x31425253u, 1u | (eos ? 1u << 16 : 0), count, 0 };
	uint64_t h64[2] = { 42, first };
	size_t off = 32;

	memcpy(f, h32, 16); /* little-endian hosts only, as the test runs */
	memcpy(f + 16, h64, 16);
	for (uint32_t i = 0; i < count; i++) {
		uint32_t len = HDR, sum = 2166136261u; /* FNV-1a of nothing */
		uint64_t idx = first + i - 1;
		memcpy(f + off, &len, 4);
		memcpy(f + off + 4, &idx, 8);
		memcpy(f + off + 12, &sum, 4);
		off += 4 + HDR;
	}
	return zmq_send(sock, f, off, 0) == (int)off ? 0 : 1;
}

static int replay(const char *ep)
{
	void *ctx = zmq_ctx_new(), *s = zmq_socket(ctx, ZMQ_PUSH);
	int linger = 10000, bad = zmq_connect(s, ep);

	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	/* Malformed: too short, and a count of 1000 records in 48 bytes. */
	unsigned char junk[48] = "SRB1";
	uint32_t many = 1000;
	memcpy(junk + 8, &many, 4);
	bad = bad || send_wire(s, 1, 3, 0) || send_wire(s, 2, 2, 0) ||
	      zmq_send(s, junk, 6, 0) != 6 ||
	      zmq_send(s, junk, sizeof(junk), 0) != sizeof(junk) ||
	      send_wire(s, 4, 2, 0) || send_wire(s, 1, 1, 0) ||
	      send_wire(s, 6, 0, 1);
	zmq_close(s);
	zmq_ctx_term(ctx);
	return bad;
}
#endif

static uint64_t next_rand(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static uint32_t fnv1a(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* Sleep until message @i is due at @rate per second after @t0. */
static void pace(uint64_t i, uint64_t rate, const struct timespec *t0)
{
	if (!rate || i % 64)
		return;
	uint64_t ns = (uint64_t)t0->tv_nsec + i * 1000000000u / rate;
	struct timespec due = { .tv_sec = t0->tv_sec + (time_t)(ns / 1000000000u),
				.tv_nsec = (long)(ns % 1000000000u) };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL) ==
	       EINTR)
		;
}

static int produce(struct shmring *r, uint64_t n, uint64_t seed, size_t min,
		   size_t max, uint64_t rate)
{
	unsigned char *m = malloc(max);
	struct timespec t0;
	uint64_t x = seed | 1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint64_t i = 0; m && i < n; i++) {
		size_t len = min + (size_t)(next_rand(&x) % (max - min + 1));
		for (size_t k = HDR; k < len; k++)
			m[k] = (unsigned char)next_rand(&x);
		uint32_t sum = fnv1a(m + HDR, len - HDR);
		memcpy(m, &i, 8);
		memcpy(m + 8, &sum, 4);
		pace(i, rate, &t0);
		int err = shmring_send(r, m, len, -1);
		if (err) {
			fprintf(stderr, "produce: message %" PRIu64 ": %s\n", i,
				shmring_strerror(err));
			free(m);
			return 1;
		}
	}
	free(m);
	return m ? 0 : 1;
}

static int consume(struct shmring *r, uint64_t n, int hold)
{
	struct shmring_info info;
	uint64_t got = 0, last = 0, idx;
	int eos = 0, bad = 0;

	shmring_info(r, &info);
	unsigned char *m = malloc(info.max_msg);
	while (m && !bad) {
		ssize_t len = shmring_recv(r, m, info.max_msg,
					   (int64_t)60 * 1000000000);
		if (len == -EPIPE) {
			eos = 1;
			break;
		}
		if (len < 0) {
			fprintf(stderr, "consume: %s after %" PRIu64 "\n",
				shmring_strerror((int)len), got);
			bad = 1;
			break;
		}
		uint32_t sum;
		memcpy(&idx, m, 8);
		memcpy(&sum, m + 8, 4);
		if (len < HDR || sum != fnv1a(m + HDR, (size_t)len - HDR)) {
			fprintf(stderr, "consume: message %" PRIu64
					" damaged\n", got);
			bad = 1;
		} else if (got && idx <= last) {
			fprintf(stderr, "consume: message %" PRIu64 " after %"
					PRIu64 ": repeated or reordered\n",
				idx, last);
			bad = 1;
		}
		last = idx;
		got++;
		if (hold && idx == n - 1)
			break;
	}
	free(m);
	printf("received %" PRIu64 " lost %" PRIu64 " last %" PRIu64
	       " eos %d\n",
	       got, n - got, last, eos);
	return bad || !m;
}

int main(int argc, char **argv)
{
	uint64_t seed = 1, rate = 0;
	size_t min = HDR, max = 512;
	int hold = 0;

	if (argc == 3 && !strcmp(argv[1], "scale"))
		return scale(argv[2]);
#ifdef BRIDGE_PEER_ZMQ
	if (argc == 3 && !strcmp(argv[1], "replay"))
		return replay(argv[2]);
#endif
	if (argc < 4)
		goto usage;
	for (int i = 4; i < argc; i++) {
		if (!strcmp(argv[i], "--hold"))
			hold = 1;
		else if (i + 1 < argc && !strcmp(argv[i], "--seed"))
			seed = strtoull(argv[++i], NULL, 0);
		else if (i + 1 < argc && !strcmp(argv[i], "--min"))
			min = strtoull(argv[++i], NULL, 0);
		else if (i + 1 < argc && !strcmp(argv[i], "--max"))
			max = strtoull(argv[++i], NULL, 0);
		else if (i + 1 < argc && !strcmp(argv[i], "--rate"))
			rate = strtoull(argv[++i], NULL, 0);
		else
			goto usage;
	}
	uint64_t n = strtoull(argv[3], NULL, 0);
	int prod = !strcmp(argv[1], "produce");
	if ((!prod && strcmp(argv[1], "consume")) || min < HDR || max < min || !n)
		goto usage;
	int role = prod ? SHMRING_PRODUCER : SHMRING_CONSUMER;
	if (hold)
		role = SHMRING_PRODUCER | SHMRING_CONSUMER;
	struct shmring *r;
	int err = shmring_open(argv[2], role, &r);
	if (err) {
		fprintf(stderr, "%s: %s\n", argv[2], shmring_strerror(err));
		return 1;
	}
	int ret = prod ? produce(r, n, seed, min, max, rate) : consume(r, n, hold);
	shmring_close(r);
	return ret;
usage:
	fprintf(stderr, "usage: bridge-peer produce|consume NAME N [...]\n");
	return 2;
}
