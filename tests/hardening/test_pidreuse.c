/*
 * test_pidreuse.c - liveness is pid plus start time: a peer entry naming a live process with another start time is taken for dead (end of stream within ~100 ms), zombies are dead, and a ring whose creator and peers all died reads as stale.
 *
 * Checked against a scratch copy of lib/peer.c whose id_alive_proc()
 * compared only the pid: forged_start_time then waits out its timeout
 * (-ETIMEDOUT) instead of -EPIPE, and shmring_peers() calls the forged
 * entry alive.
 */
#include "hutil.h"

#include <stdatomic.h>

#include "layout.h"

#define EOS_BOUND_NS ((int64_t)(150e6 * TU_SLOW))

static const struct shmring_opts small = {
	.kind = SHMRING_SPSC, .capacity = 4096, .max_msg = 128,
};
static const struct shmring_opts small_mpmc = {
	.kind = SHMRING_MPMC, .capacity = 8, .max_msg = 64,
};

/* Field 22 of /proc/PID/stat: start time in clock ticks after boot. */
static uint64_t start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	cr_assert_gt(n, 0);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	cr_assert_not_null(p);
	p += 2;
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		cr_assert_not_null(p);
		p++;
	}
	v = strtoull(p, NULL, 10);
	return v;
}

static uint64_t pack(pid_t pid, uint64_t start, unsigned role)
{
	return ((uint64_t)role << 62) |
	       (((uint64_t)pid & PEER_PID_MASK) << PEER_START_BITS) |
	       (start & PEER_START_MASK);
}

/* The header of ring @name, mapped writable: the forger's view. */
static struct shmring_hdr *map_hdr(const char *name)
{
	char path[320];
	struct shmring_hdr *h;
	int fd;

	snprintf(path, sizeof(path), "/dev/shm%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	h = mmap(NULL, TU_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	cr_assert_neq(h, MAP_FAILED);
	close(fd);
	return h;
}

/* Write a peer entry as if process @pid (started at @start) attached. */
static void forge(struct shmring_hdr *h, int entry, pid_t pid, uint64_t start,
		  unsigned role)
{
	atomic_store(&h->peer_id[entry], pack(pid, start, role));
	atomic_store(&h->claims[entry].pos, CLAIM_NONE);
	atomic_fetch_or(&h->ever_roles, role);
	/* A new generation: handles re-read the table. */
	atomic_fetch_add(&h->peers_gen, 1);
}

/* A live process to impersonate: a child blocked reading a pipe. */
static pid_t idle_child(int *wfd)
{
	int fds[2];
	pid_t pid;
	char c;

	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
	pid = tu_fork();
	if (pid == 0) {
		close(fds[1]);
		while (read(fds[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(fds[0]);
	*wfd = fds[1];
	return pid;
}

static int peer_alive(struct shmring *r, pid_t pid)
{
	struct shmring_peer p[SHMRING_MAX_PEERS];
	int n = shmring_peers(r, p, SHMRING_MAX_PEERS);

	cr_assert_geq(n, 0);
	for (int i = 0; i < n; i++)
		if (p[i].pid == pid)
			return p[i].alive;
	return -1;
}

/*
 * A producer entry names a live process, but with a start time that is
 * not that process's: the pid was reused. The consumer of the empty ring
 * sees the end of the stream at once; with the true start time it waits.
 */
static void forged_run(int kind, int forge_producer)
{
	const char *name = tu_name();
	struct shmring *r = NULL;
	struct shmring_hdr *h;
	int wfd, entry;
	pid_t pid = idle_child(&wfd);
	uint64_t start = start_time(pid);
	unsigned role = forge_producer ? SHMRING_PRODUCER : SHMRING_CONSUMER;
	int myrole = forge_producer ? SHMRING_CONSUMER : SHMRING_PRODUCER;
	char buf[128] = { 0 };
	int64_t t0, el;
	long rc;

	cr_assert_eq(shmring_create(name, kind ? &small_mpmc : &small, myrole, &r), 0);
	shmring_set_spin(r, 0);
	h = map_hdr(name);
	entry = kind ? 5 : (forge_producer ? PEER_SPSC_PRODUCER : PEER_SPSC_CONSUMER);
	if (!forge_producer)
		while (shmring_try_send(r, buf, 32) == 0)
			;

	/* The true start time: alive, the call waits out its timeout. */
	forge(h, entry, pid, start, role);
	cr_assert_eq(peer_alive(r, pid), 1, "the genuine entry reads dead");
	rc = forge_producer ? shmring_recv(r, buf, sizeof(buf), 300000000) :
			      shmring_send(r, buf, 32, 300000000);
	cr_assert_eq(rc, -ETIMEDOUT, "genuine peer: %s", shmring_strerror((int)rc));

	/* Same pid, another start time: dead, end of stream at once. */
	forge(h, entry, pid, start + 1, role);
	cr_assert_eq(peer_alive(r, pid), 0,
		     "an entry with the wrong start time reads alive");
	t0 = tu_now_ns();
	rc = forge_producer ? shmring_recv(r, buf, sizeof(buf), 5000000000) :
			      shmring_send(r, buf, 32, 5000000000);
	el = tu_now_ns() - t0;
	cr_assert_eq(rc, -EPIPE, "reused pid: %s", shmring_strerror((int)rc));
	cr_assert_lt(el, EOS_BOUND_NS, "end of stream after %lld ms",
		     (long long)(el / 1000000));
	cr_log_info("reused pid seen dead after %.2f ms", (double)el / 1e6);

	/* The checker's own pid with another start time is not itself. */
	forge(h, entry, getpid(), start_time(getpid()) + 7, role);
	rc = forge_producer ? shmring_recv(r, buf, sizeof(buf), 5000000000) :
			      shmring_send(r, buf, 32, 5000000000);
	cr_assert_eq(rc, -EPIPE, "own pid, other start: %s", shmring_strerror((int)rc));

	munmap(h, TU_PAGE);
	close(wfd);
	tu_wait(pid);
	shmring_close(r);
}

Test(pidreuse, forged_start_time_spsc_producer, TU_FIXTURE, .timeout = TU_TIMEOUT(20))
{
	forged_run(SHMRING_SPSC, 1);
}

Test(pidreuse, forged_start_time_spsc_consumer, TU_FIXTURE, .timeout = TU_TIMEOUT(20))
{
	forged_run(SHMRING_SPSC, 0);
}

Test(pidreuse, forged_start_time_mpmc_producer, TU_FIXTURE, .timeout = TU_TIMEOUT(20))
{
	forged_run(SHMRING_MPMC, 1);
}

Test(pidreuse, forged_start_time_mpmc_consumer, TU_FIXTURE, .timeout = TU_TIMEOUT(20))
{
	forged_run(SHMRING_MPMC, 0);
}

/* A producer killed and not yet reaped (a zombie: its pid cannot be reused
 * yet) is dead: the consumer gets what it sent, then end of stream. */
Test(pidreuse, zombie_is_dead, TU_FIXTURE, .timeout = TU_TIMEOUT(20))
{
	const char *name = tu_name();
	struct shmring *r = NULL;
	int fds[2];
	char buf[128];
	pid_t pid;
	int64_t t0, el;
	long rc;

	cr_assert_eq(shmring_create(name, &small, SHMRING_CONSUMER, &r), 0);
	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
	pid = tu_fork();
	if (pid == 0) {
		struct shmring *p = NULL;
		char c = 0;

		if (shmring_open(name, SHMRING_PRODUCER, &p) ||
		    shmring_send(p, "last words", 10, 0))
			_exit(1);
		if (write(fds[1], &c, 1) != 1)
			_exit(2);
		pause();
		_exit(3);
	}
	close(fds[1]);
	cr_assert_eq(read(fds[0], buf, 1), 1, "producer never attached");
	close(fds[0]);
	kill(pid, SIGKILL);
	/* Wait until it is a zombie, but do not reap it. */
	{
		siginfo_t si;

		cr_assert_eq(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
	}
	cr_assert_eq(peer_alive(r, pid), 0, "a zombie reads alive");
	cr_assert_eq(shmring_recv(r, buf, sizeof(buf), 1000000000), 10);
	t0 = tu_now_ns();
	rc = shmring_recv(r, buf, sizeof(buf), 5000000000);
	el = tu_now_ns() - t0;
	cr_assert_eq(rc, -EPIPE, "%s", shmring_strerror((int)rc));
	cr_assert_lt(el, EOS_BOUND_NS, "end of stream after %lld ms",
		     (long long)(el / 1000000));
	tu_wait(pid);
	shmring_close(r);
}

/*
 * Creator and every peer killed: a monitor sees creator_alive == 0 and
 * every listed peer dead; a new consumer takes the dead one's role and
 * drains what was left, then sees the end of the stream.
 */
static void stale_run(int kind)
{
	const char *name = tu_name();
	struct shmring *m = NULL, *c = NULL;
	struct shmring_info info;
	struct shmring_peer p[SHMRING_MAX_PEERS];
	int fds[2], n;
	pid_t creator, consumer;
	char buf[128];

	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
	creator = tu_fork();
	if (creator == 0) {
		struct shmring *r = NULL;

		if (shmring_create(name, kind ? &small_mpmc : &small, SHMRING_PRODUCER, &r) ||
		    shmring_send(r, "one", 3, 0) || shmring_send(r, "two", 3, 0) ||
		    write(fds[1], "c", 1) != 1)
			_exit(1);
		pause();
		_exit(2);
	}
	cr_assert_eq(read(fds[0], buf, 1), 1, "creator failed");
	consumer = tu_fork();
	if (consumer == 0) {
		struct shmring *r = NULL;

		if (shmring_open(name, SHMRING_CONSUMER, &r) ||
		    write(fds[1], "o", 1) != 1)
			_exit(1);
		pause();
		_exit(2);
	}
	cr_assert_eq(read(fds[0], buf, 1), 1, "consumer failed");
	close(fds[0]);
	close(fds[1]);
	kill(creator, SIGKILL);
	kill(consumer, SIGKILL);
	tu_wait(creator);
	tu_wait(consumer);

	cr_assert_eq(shmring_open(name, 0, &m), 0);
	cr_assert_eq(shmring_info(m, &info), 0);
	cr_assert_eq(info.creator_pid, creator);
	cr_assert_eq(info.creator_alive, 0, "the dead creator reads alive");
	n = shmring_peers(m, p, SHMRING_MAX_PEERS);
	cr_assert_eq(n, 2, "%d peers listed", n);
	for (int i = 0; i < n; i++)
		cr_assert_eq(p[i].alive, 0, "dead peer %d reads alive", (int)p[i].pid);

	cr_assert_eq(shmring_open(name, SHMRING_CONSUMER, &c), 0,
		     "the dead consumer's role was not taken over");
	cr_assert_eq(shmring_recv(c, buf, sizeof(buf), 1000000000), 3);
	cr_assert_eq(shmring_recv(c, buf, sizeof(buf), 1000000000), 3);
	cr_assert_eq(shmring_recv(c, buf, sizeof(buf), 1000000000), -EPIPE);
	/* Reaped now: the monitor sees no producer left. */
	cr_assert_eq(shmring_info(m, &info), 0);
	cr_assert_eq(info.producers, 0);
	shmring_close(c);
	shmring_close(m);
}

Test(pidreuse, stale_ring_spsc, TU_FIXTURE, .timeout = TU_TIMEOUT(20))
{
	stale_run(SHMRING_SPSC);
}

Test(pidreuse, stale_ring_mpmc, TU_FIXTURE, .timeout = TU_TIMEOUT(20))
{
	stale_run(SHMRING_MPMC);
}
