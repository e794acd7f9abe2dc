/*
 * peer.c - who is attached, whether they are alive, and end of stream.
 *
 * Each attached process holds a peer entry whose id packs its pid and its
 * start time (see layout.h). A process killed with SIGKILL cannot clear
 * its entry, so a side that finds the ring empty (or full) checks, at most
 * every LIVENESS_PERIOD_NS, that the processes named in the entries still
 * exist with the same start time and are not zombies. The start time is
 * what keeps a new process that reused a dead peer's pid from being taken
 * for it. Only this file reads /proc.
 *
 * Liveness is checked through a pidfd per peer, opened once and verified
 * against the recorded start time: after that, one poll() tells whether
 * any of them has exited, zombies included, with no /proc read.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomics.h"
#include "internal.h"

static uint64_t id_pack(uint64_t pid, uint64_t start, unsigned role)
{
	return ((uint64_t)role << 62) | ((pid & PEER_PID_MASK) << PEER_START_BITS) |
	       (start & PEER_START_MASK);
}

static pid_t id_pid(uint64_t id)
{
	return (pid_t)((id >> PEER_START_BITS) & PEER_PID_MASK);
}

static unsigned id_role(uint64_t id)
{
	return (unsigned)(id >> 62);
}

/*
 * Read state and start time (fields 3 and 22) of /proc/PID/stat. The
 * command name (field 2) may hold spaces and parentheses: parse after the
 * last ')'.
 */
static int proc_stat(pid_t pid, char *state, uint64_t *start)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	int err = errno;
	close(fd);
	if (n <= 0)
		return n < 0 ? -err : -ESRCH;
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -EIO;
	p += 2;
	*state = *p;
	/* Field 3 is the state; skip to field 22. */
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -EIO;
		p++;
	}
	char *end;
	unsigned long long v = strtoull(p, &end, 10);
	if (end == p)
		return -EIO;
	*start = v;
	return 0;
}

int peer_self_id(uint64_t *id)
{
	char state;
	uint64_t start;
	int ret = proc_stat(getpid(), &state, &start);
	if (ret)
		return ret;
	*id = id_pack((uint64_t)getpid(), start, 0);
	return 0;
}

/* This process's start time, as the peer table records it. */
int peer_self_start(uint64_t *start)
{
	uint64_t id;
	int ret = peer_self_id(&id);
	if (!ret)
		*start = id & PEER_START_MASK;
	return ret;
}

/*
 * Is the handle's attachment this process's? A handle inherited across
 * fork() names its parent in the peer table.
 */
bool peer_owns(const struct shmring *r)
{
	return id_pid(r->self_id) == getpid();
}

/* Alive by /proc alone: the pid exists, started when recorded, no zombie. */
static bool id_alive_proc(uint64_t id)
{
	char state;
	uint64_t start;
	int ret = proc_stat(id_pid(id), &state, &start);
	if (ret == -EINTR)
		ret = proc_stat(id_pid(id), &state, &start);
	/*
	 * Only "no such process" is a death. Anything else (out of file
	 * descriptors, a /proc mounted with hidepid) says nothing: a live
	 * peer wrongly declared dead would end a stream that is going on.
	 */
	if (ret == -ENOENT || ret == -ESRCH)
		return false;
	if (ret < 0)
		return true;
	if ((start & PEER_START_MASK) != (id & PEER_START_MASK))
		return false;
	return state != 'Z' && state != 'X' && state != 'x';
}

static int pidfd_open_(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

static void pidfd_drop(struct shmring *r, int i)
{
	if (r->pidfd[i] >= 0)
		close(r->pidfd[i]);
	r->pidfd[i] = -1;
	r->pidfd_id[i] = 0;
}

/*
 * Is the process holding entry @i (whose id we read as @id) alive? The
 * pidfd is opened before the start time is checked, so it cannot refer to
 * a later process that reused the pid.
 */
static bool entry_alive(struct shmring *r, int i, uint64_t id)
{
	if (r->pidfd_id[i] != id) {
		pidfd_drop(r, i);
		int fd = pidfd_open_(id_pid(id));
		if (fd < 0 && errno == ESRCH)
			return false;
		if (!id_alive_proc(id)) {
			if (fd >= 0)
				close(fd);
			return false;
		}
		if (fd < 0)
			return true; /* no pidfd: /proc each time */
		r->pidfd[i] = fd;
		r->pidfd_id[i] = id;
	}
	if (r->pidfd[i] < 0)
		return id_alive_proc(id);
	struct pollfd p = { .fd = r->pidfd[i], .events = POLLIN };
	/*
	 * A pidfd polls readable once its process has exited. A signal can
	 * interrupt even a poll that does not wait: that says nothing about
	 * the peer, so ask again (and /proc if poll keeps failing).
	 */
	for (int tries = 0; tries < 8; tries++) {
		int n = poll(&p, 1, 0);
		if (n >= 0)
			return n == 0 || !(p.revents & (POLLIN | POLLHUP));
		if (errno != EINTR)
			break;
	}
	return id_alive_proc(id);
}

static bool id_is_self(const struct shmring *r, uint64_t id)
{
	return (id & ~(UINT64_C(3) << 62)) == r->self_id;
}

/* The peer table changed: who reads peers_gen recomputes what it cached. */
static void peers_changed(struct shmring *r)
{
	/* A5: release: pairs with A6; the table change is seen with it. */
	fetch_add_release(&r->hdr->peers_gen, 1);
}

void peer_init(struct shmring *r)
{
	r->entry[0] = r->entry[1] = -1;
	r->line[0] = r->line[1] = &r->scratch;
	r->closed_gen[0] = r->closed_gen[1] = UINT32_MAX;
	r->open_gen[0] = r->open_gen[1] = UINT64_MAX;
	for (unsigned i = 0; i < PEER_SLOTS; i++) {
		r->pidfd[i] = -1;
		r->pidfd_id[i] = 0;
	}
}

void peer_fini(struct shmring *r)
{
	for (unsigned i = 0; i < PEER_SLOTS; i++)
		pidfd_drop(r, (int)i);
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Move the counters of entry @i's line into the totals, so that they
 * survive the entry. Called by whoever holds the entry: its owner at
 * detach, the reaper after marking it, a successor taking over.
 */
static void fold(struct shmring_hdr *h, int i)
{
	struct peer_line *l = &h->claims[i];
	struct totals *t = &h->totals;
	_Atomic uint64_t *from[] = { &l->sent, &l->sent_bytes, &l->recvd,
				     &l->recvd_bytes, &l->full, &l->empty,
				     &l->sleeps };
	_Atomic uint64_t *to[] = { &t->sent, &t->sent_bytes, &t->recvd,
				   &t->recvd_bytes, &t->full, &t->empty,
				   &t->sleeps };
	for (size_t k = 0; k < sizeof(from) / sizeof(from[0]); k++) {
		/* Relaxed: statistics; the entry is ours, nobody else adds. */
		uint64_t v = load_relaxed(from[k]);
		if (v) {
			fetch_add_relaxed(to[k], v);
			store_relaxed(from[k], 0);
		}
	}
}

/*
 * Take entry @i, held by a dead process whose id we read as @id, for
 * reaping: ring.c then has the ring kind recover its claim and frees it
 * (peer_dead_free()), or puts it back (peer_dead_keep()). False if another
 * reaper took it first.
 */
static bool mark_dead(struct shmring *r, int i, uint64_t id)
{
	/*
	 * A7: take the entry first: a CAS decides between two reapers, and
	 * the entry, now marked with our id and the dead one's roles, can
	 * neither be attached to nor reaped by anyone else while its claim
	 * is recovered (recovering the claim of a process that attached to
	 * the entry since would free a slot under a live consumer). The roles
	 * stay so that the entry still counts: a side is not over while a
	 * claim of its is being recovered. A reaper that dies on the way
	 * leaves a marked entry of a dead process: the next reaper redoes it.
	 */
	uint64_t mark = r->self_id | (id & (UINT64_C(3) << 62));
	if (!cas_acq_rel(&r->hdr->peer_id[i], &id, mark))
		return false;
	r->dead |= UINT32_C(1) << i;
	r->dead_id[i] = id;
	return true;
}

uint32_t peer_dead(const struct shmring *r)
{
	return r->dead;
}

uint64_t peer_dead_claim(struct shmring *r, int i)
{
	/*
	 * Relaxed: the dead owner's last claim store is ordered before its
	 * CAS on the ring position, which the recoverer acquires (M-R).
	 */
	return load_relaxed(&r->hdr->claims[i].pos);
}

/* Its claim cannot be recovered yet (a live process holds the same). */
void peer_dead_keep(struct shmring *r, int i)
{
	/* A4': release, as A4: the dead one's id again, for a later reaper. */
	store_release(&r->hdr->peer_id[i], r->dead_id[i]);
	r->dead &= ~(UINT32_C(1) << i);
}

/* Its claim recovered and its announcements taken down: free it. */
void peer_dead_free(struct shmring *r, int i)
{
	struct shmring_hdr *h = r->hdr;
	fold(h, i);
	store_relaxed(&h->claims[i].pos, CLAIM_NONE);
	/* A4'': release, as A4 for a detach: the entry freed. */
	store_release(&h->peer_id[i], 0);
	store_relaxed(&h->totals.last_detach_ns, realtime_ns());
	pidfd_drop(r, i);
	r->dead &= ~(UINT32_C(1) << i);
	peers_changed(r);
}

static void note_attach(struct shmring *r, int i)
{
	uint64_t now = realtime_ns();
	r->hdr->peer_attach_ns[i] = now;
	/* A dead predecessor's counters (SPSC take-over) go to the totals. */
	fold(r->hdr, i);
	/* Relaxed: only the owner writes its line; starts with no claim. */
	store_relaxed(&r->hdr->claims[i].pos, CLAIM_NONE);
	store_relaxed(&r->hdr->totals.last_attach_ns, now);
}

/*
 * Take the SPSC entry for one role: free, or held by a process that is
 * dead. A CAS decides between two processes racing for the same entry.
 */
static int claim_fixed(struct shmring *r, int i, unsigned role)
{
	_Atomic uint64_t *e = &r->hdr->peer_id[i];
	uint64_t mine = r->self_id | ((uint64_t)role << 62);
	/* A1: acquire pairs with A2/A4: a taken-over role sees its state. */
	uint64_t cur = load_acquire(e);
	for (;;) {
		if (cur != 0 && (id_is_self(r, cur) || entry_alive(r, i, cur)))
			return -EBUSY;
		/* A2: acq_rel: a successor's A1 sees what we did before. */
		if (cas_acq_rel(e, &cur, mine))
			break;
	}
	note_attach(r, i);
	return 0;
}

/*
 * Take any free entry from @first on (MPMC: 0; BCAST subscribers: 1, entry
 * 0 being the publisher's); -EUSERS if there is none (ring.c then reaps
 * the dead holders peer_find_dead() finds, and asks again).
 */
static int claim_any(struct shmring *r, unsigned role, unsigned first)
{
	uint64_t mine = r->self_id | ((uint64_t)role << 62);
	for (unsigned i = first; i < PEER_SLOTS; i++) {
		uint64_t cur = 0;
		/* A2': acq_rel, as A2 for SPSC. */
		if (cas_acq_rel(&r->hdr->peer_id[i], &cur, mine)) {
			note_attach(r, (int)i);
			return (int)i;
		}
	}
	return -EUSERS;
}

static void release_entry(struct shmring *r, int i)
{
	_Atomic uint64_t *e = &r->hdr->peer_id[i];
	/* Relaxed: the claim is already CLAIM_NONE unless a call was cut. */
	store_relaxed(&r->hdr->claims[i].pos, CLAIM_NONE);
	fold(r->hdr, i);
	store_relaxed(&r->hdr->totals.last_detach_ns, realtime_ns());
	/* A4: release: pairs with C-EOS; our last publication is seen. */
	uint64_t cur = load_relaxed(e);
	if (id_is_self(r, cur))
		cas_acq_rel(e, &cur, 0);
}

int peer_attach(struct shmring *r, int role)
{
	int ret;
	if (r->kind == SHMRING_SPSC) {
		if (role & SHMRING_PRODUCER) {
			ret = claim_fixed(r, PEER_SPSC_PRODUCER, SHMRING_PRODUCER);
			if (ret)
				return ret;
			r->entry[0] = PEER_SPSC_PRODUCER;
			r->line[0] = &r->hdr->claims[PEER_SPSC_PRODUCER];
		}
		if (role & SHMRING_CONSUMER) {
			ret = claim_fixed(r, PEER_SPSC_CONSUMER, SHMRING_CONSUMER);
			if (ret) {
				peer_detach(r);
				return ret;
			}
			r->entry[1] = PEER_SPSC_CONSUMER;
			r->line[1] = &r->hdr->claims[PEER_SPSC_CONSUMER];
		}
	} else if (r->kind == SHMRING_BCAST) {
		/* One publisher, at a fixed entry: a second live one is -EBUSY. */
		if (role & SHMRING_PRODUCER) {
			ret = claim_fixed(r, BCAST_PUBLISHER_ENTRY,
					  SHMRING_PRODUCER);
			if (ret)
				return ret;
			r->entry[0] = BCAST_PUBLISHER_ENTRY;
			r->line[0] = &r->hdr->claims[BCAST_PUBLISHER_ENTRY];
		}
		if (role & SHMRING_CONSUMER) {
			ret = claim_any(r, SHMRING_CONSUMER, 1);
			if (ret < 0) {
				peer_detach(r);
				return ret;
			}
			r->entry[1] = ret;
			r->line[1] = &r->hdr->claims[ret];
		}
	} else {
		ret = claim_any(r, (unsigned)role, 0);
		if (ret < 0)
			return ret;
		for (int k = 0; k < 2; k++) {
			if (role & (k ? SHMRING_CONSUMER : SHMRING_PRODUCER)) {
				r->entry[k] = ret;
				r->line[k] = &r->hdr->claims[ret];
			}
		}
	}
	/*
	 * A3: acq_rel: a peer that sees the role bit also sees our entry
	 * (taken above), so "ever attached and no entry" means gone.
	 */
	fetch_or_acq_rel(&r->hdr->ever_roles, (uint32_t)role);
	peers_changed(r);
	return 0; /* the caller wakes the sleepers (wait_wake_all()) */
}

void peer_detach(struct shmring *r)
{
	if (r->entry[0] < 0 && r->entry[1] < 0)
		return;
	for (int k = 0; k < 2; k++)
		if (r->entry[k] >= 0)
			release_entry(r, r->entry[k]);
	r->entry[0] = r->entry[1] = -1;
	r->line[0] = r->line[1] = &r->scratch;
	peers_changed(r); /* the caller wakes the sleepers */
}

/* Mark the entries of every dead process for reaping (peer_dead()). */
uint32_t peer_find_dead(struct shmring *r)
{
	for (unsigned i = 0; i < PEER_SLOTS; i++) {
		/* A6: acquire pairs with A2/A5: the entry's claim is seen. */
		uint64_t id = load_acquire(&r->hdr->peer_id[i]);
		if (id && !id_is_self(r, id) && !entry_alive(r, (int)i, id))
			mark_dead(r, (int)i, id);
	}
	return r->dead;
}

/*
 * Has every process that ever held @role closed or died? Called with the
 * ring empty (role = producer) or full (role = consumer); the caller
 * re-checks the ring after a yes. Returns 1 yes, 0 no, or PEER_DEAD when
 * it marked dead holders: the caller returns that to ring.c, which reaps
 * them and calls again. Dead holders are looked for at most every
 * LIVENESS_PERIOD_NS; in between the answer costs a scan of 256 bytes.
 */
int peer_side_gone(struct shmring *r, int role)
{
	struct shmring_hdr *h = r->hdr;
	/* A3': pairs with A3; a bit not yet set means "never attached". */
	if (!(load_acquire(&h->ever_roles) & (uint32_t)role))
		return 0;
	if (peer_side_closed(r, role))
		return 1;
	/*
	 * Someone holds the role. Whether they still live is looked at
	 * every LIVENESS_PERIOD_NS, on the coarse clock: this runs on every
	 * poll of an empty (or full) ring, and must cost next to nothing.
	 */
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	int64_t now = (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
	if (now < r->next_live_check)
		return 0;
	r->next_live_check = now + LIVENESS_PERIOD_NS;
	/*
	 * Look at every holder, not just up to the first live one: a dead
	 * holder further on may hold the claim the ring is stuck on, and
	 * only reaping it recovers that.
	 */
	bool live = false, dead = false;
	for (unsigned i = 0; i < PEER_SLOTS; i++) {
		/* C-EOS: acquire pairs with A4 in a closing peer. */
		uint64_t id = load_acquire(&h->peer_id[i]);
		if (!id || !(id_role(id) & (unsigned)role))
			continue;
		if (id_is_self(r, id) || entry_alive(r, (int)i, id))
			live = true;
		else if (mark_dead(r, (int)i, id))
			dead = true;
	}
	return dead ? PEER_DEAD : !live;
}

/*
 * What a side about to sleep must watch: every holder of @role but
 * ourselves (consumers waiting for data watch the producers, and the
 * other way round), each by its pidfd, so that the kernel wakes the
 * sleeper when one of them exits (wait_uring.c); tagged by the process.
 * Returns how many, or -1 if one cannot be watched (no pidfd here, or
 * found dead and not yet reaped): the caller then sleeps in slices and
 * looks again.
 */
int peer_watch(struct shmring *r, int role, struct peer_fd *fds)
{
	int n = 0;
	for (unsigned i = 0; i < PEER_SLOTS; i++) {
		/* A8: acquire pairs with A2/A5, as A6. */
		uint64_t id = load_acquire(&r->hdr->peer_id[i]);
		if (!id || !(id_role(id) & (unsigned)role) || id_is_self(r, id))
			continue;
		/* A pidfd opened for this very id is proof enough. */
		if (r->pidfd_id[i] != id || r->pidfd[i] < 0) {
			if (!entry_alive(r, (int)i, id)) {
				r->next_live_check = 0;
				return -1;
			}
			if (r->pidfd[i] < 0)
				return -1;
		}
		fds[n].fd = r->pidfd[i];
		fds[n].tag = id & ~(UINT64_C(3) << 62);
		n++;
	}
	return n;
}

/* A watched peer exited: look at the peers at the next chance. */
void peer_look_soon(struct shmring *r)
{
	r->next_live_check = 0;
}

/*
 * Does a live process other than entry @except hold @claim? Then the claim
 * of a dead one with the same value is stale and must not be recovered.
 */
bool peer_claim_held(struct shmring *r, uint64_t claim, int except)
{
	for (unsigned i = 0; i < PEER_SLOTS; i++) {
		if ((int)i == except)
			continue;
		/* Relaxed: see peer_dead_claim(); a live holder re-stores it. */
		if (load_relaxed(&r->hdr->claims[i].pos) != claim)
			continue;
		/* A9: acquire pairs with A2, as A6: the holder's entry. */
		uint64_t id = load_acquire(&r->hdr->peer_id[i]);
		if (id && (id_is_self(r, id) || entry_alive(r, (int)i, id)))
			return true;
	}
	return false;
}

unsigned peer_count(struct shmring *r, int role)
{
	unsigned n = 0;
	for (unsigned i = 0; i < PEER_SLOTS; i++) {
		/* Relaxed: a snapshot for shmring_info(), nothing depends on it. */
		uint64_t id = load_relaxed(&r->hdr->peer_id[i]);
		if (id && (id_role(id) & (unsigned)role))
			n++;
	}
	return n;
}

/* peer_side_closed() (internal.h) when peers_gen has moved. */
bool peer_side_closed_slow(struct shmring *r, int role, uint32_t gen)
{
	struct shmring_hdr *h = r->hdr;
	int k = role == SHMRING_PRODUCER ? 0 : 1;
	bool closed = false;
	/* A3'': acquire pairs with A3, as A3'. */
	if (load_acquire(&h->ever_roles) & (uint32_t)role) {
		closed = true;
		for (unsigned i = 0; i < PEER_SLOTS; i++) {
			/* A10: acquire pairs with A4, as C-EOS. */
			uint64_t id = load_acquire(&h->peer_id[i]);
			if (id && (id_role(id) & (unsigned)role)) {
				closed = false;
				break;
			}
		}
	}
	r->closed_gen[k] = gen;
	r->open_gen[k] = closed ? UINT64_MAX : gen;
	return closed;
}
int peer_pid_alive(uint32_t pid, uint64_t start)
{
	return pid && pid <= PEER_PID_MASK &&
	       id_alive_proc(id_pack(pid, start, 0));
}

int peer_list(struct shmring *r, struct shmring_peer *out, size_t n)
{
	size_t k = 0;
	for (unsigned i = 0; i < PEER_SLOTS && k < n; i++) {
		/* Relaxed: a snapshot for display. */
		uint64_t id = load_relaxed(&r->hdr->peer_id[i]);
		if (!id || !id_role(id))
			continue;
		out[k].pid = id_pid(id);
		out[k].role = (int)id_role(id);
		out[k].attach_ns = r->hdr->peer_attach_ns[i];
		out[k].alive = id_is_self(r, id) || id_alive_proc(id);
		k++;
	}
	return (int)k;
}
