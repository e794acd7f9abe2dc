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
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
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

/* Alive = the pid exists, started when recorded, and is not a zombie. */
static bool id_alive(uint64_t id)
{
	char state;
	uint64_t start;
	if (proc_stat(id_pid(id), &state, &start) < 0)
		return false;
	if ((start & PEER_START_MASK) != (id & PEER_START_MASK))
		return false;
	return state != 'Z' && state != 'X' && state != 'x';
}

static bool id_is_self(const struct shmring *r, uint64_t id)
{
	return (id & ~(UINT64_C(3) << 62)) == r->self_id;
}

static void peers_changed(struct shmring *r)
{
	struct shmring_hdr *h = r->hdr;
	/* Relaxed: peers_gen is advisory, read only by monitors. */
	atomic_fetch_add_explicit(&h->peers_gen, 1, memory_order_relaxed);
	/*
	 * Sleepers on either side re-evaluate: a detach may be an end of
	 * stream, an attach may be the first consumer a producer waits for.
	 */
	wait_wake(&h->data_wait);
	wait_wake(&h->space_wait);
}

/*
 * Take the SPSC entry for one role: free, or held by a process that is
 * dead. A CAS decides between two processes racing for the same entry.
 */
static int claim_spsc(struct shmring *r, int idx, unsigned role)
{
	struct peer_entry *e = &r->hdr->peers[idx];
	uint64_t mine = r->self_id | ((uint64_t)role << 62);
	/* A1: acquire pairs with A2/A4 so a taken-over role sees its state. */
	uint64_t cur = load_acquire(&e->id);
	for (;;) {
		if (cur != 0 && (id_is_self(r, cur) || id_alive(cur)))
			return -EBUSY;
		/* A2: acq_rel: a successor's A1 sees what we did before. */
		if (cas_acq_rel(&e->id, &cur, mine))
			break;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	e->attach_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	r->slot[role == SHMRING_PRODUCER ? 0 : 1] = idx;
	return 0;
}

static void release_slot(struct shmring *r, int which)
{
	int idx = r->slot[which];
	if (idx < 0)
		return;
	struct peer_entry *e = &r->hdr->peers[idx];
	uint64_t mine = r->self_id | ((uint64_t)(which ? SHMRING_CONSUMER :
							  SHMRING_PRODUCER) << 62);
	/*
	 * A4: release: everything this process published (its last position
	 * store) happens-before a peer's acquire of the freed entry, which is
	 * how a consumer knows the final position is visible (C-EOS below).
	 */
	cas_acq_rel(&e->id, &mine, 0);
	r->slot[which] = -1;
}

int peer_attach(struct shmring *r, int role)
{
	int ret = 0;
	r->slot[0] = r->slot[1] = -1;
	if (role & SHMRING_PRODUCER) {
		ret = claim_spsc(r, PEER_SPSC_PRODUCER, SHMRING_PRODUCER);
		if (ret)
			return ret;
	}
	if (role & SHMRING_CONSUMER) {
		ret = claim_spsc(r, PEER_SPSC_CONSUMER, SHMRING_CONSUMER);
		if (ret) {
			release_slot(r, 0);
			return ret;
		}
	}
	/*
	 * A3: acq_rel: a peer that sees the role bit also sees our entry
	 * (taken above), so "ever attached and no entry" means gone.
	 */
	fetch_or_acq_rel(&r->hdr->ever_roles, (uint32_t)role);
	peers_changed(r);
	return 0;
}

void peer_detach(struct shmring *r)
{
	if (r->slot[0] < 0 && r->slot[1] < 0)
		return;
	release_slot(r, 0);
	release_slot(r, 1);
	peers_changed(r);
}

/*
 * Has every process that ever held @role closed or died? Cheap when the
 * answer is no and the peer was seen alive recently: two loads and a
 * clock read. Called with the ring empty (role = producer) or full
 * (role = consumer); the caller re-checks the ring after a yes.
 */
bool peer_side_gone(struct shmring *r, int role)
{
	struct shmring_hdr *h = r->hdr;
	/* A3': pairs with A3; a bit not yet set means "never attached". */
	if (!(load_acquire(&h->ever_roles) & (uint32_t)role))
		return false;
	int idx = role == SHMRING_PRODUCER ? PEER_SPSC_PRODUCER :
					     PEER_SPSC_CONSUMER;
	struct peer_entry *e = &h->peers[idx];
	/* C-EOS: acquire pairs with A4 in the closing peer. */
	uint64_t id = load_acquire(&e->id);
	if (id == 0)
		return true;
	if (id_is_self(r, id) || id_role(id) != (unsigned)role)
		return false;
	int which = role == SHMRING_PRODUCER ? 0 : 1;
	int64_t now = now_ns();
	if (now < r->next_live_check[which])
		return false;
	r->next_live_check[which] = now + LIVENESS_PERIOD_NS;
	if (id_alive(id))
		return false;
	/* Dead: free its entry for a successor. Losing the CAS is fine. */
	if (cas_acq_rel(&e->id, &id, 0))
		atomic_fetch_add_explicit(&h->peers_gen, 1, memory_order_relaxed);
	return true;
}

unsigned peer_count(struct shmring *r, int role)
{
	unsigned n = 0;
	for (unsigned i = 0; i < PEER_TABLE_SLOTS; i++) {
		/* Relaxed: a snapshot for shmring_info(), nothing depends on it. */
		uint64_t id = load_relaxed(&r->hdr->peers[i].id);
		if (id && (id_role(id) & (unsigned)role))
			n++;
	}
	return n;
}
