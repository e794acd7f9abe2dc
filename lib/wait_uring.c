/*
 * wait_uring.c - the wait layer's io_uring backend: sleep until the ring
 * moves or a watched peer process exits.
 *
 * A process killed with SIGKILL wakes nobody. A side asleep on a futex
 * would never hear of its peer's death without a timeout, and every timed
 * wake-up costs the sleeper CPU: some 70 us each on a virtual machine
 * whose idle CPU halts, so ten a second is most of the 1 ms a second a
 * blocked side may burn. io_uring waits on both at once: a futex wait
 * (IORING_OP_FUTEX_WAIT, Linux 6.7) and a poll of each peer's pidfd, which
 * turns readable when that process exits. The kernel then wakes the
 * sleeper for a publication or a death, and for nothing else.
 *
 * One io_uring per handle, set up at its first sleep and owned by the
 * process that set it up (a forked child that inherits the handle sets up
 * its own). The pidfd polls stay armed across sleeps, so that a sleep
 * costs one io_uring_enter, as a futex wait costs one futex call; only the
 * futex wait is submitted each time, and it never outlives
 * wait_uring_sleep(): a stale waiter left on the futex word would swallow
 * a wake-up meant for a live sleeper. Where io_uring or its futex
 * operation is missing or forbidden, wait_uring_sleep() answers -ENOSYS
 * once and for all and the caller sleeps in slices (wait.c).
 *
 * The caller hands the descriptors to watch with a tag each, which names
 * the process behind the descriptor (peer.c's business, not ours). A poll
 * stays armed while its tag is handed in again; one whose tag is no
 * longer handed in is cancelled at the next sleep.
 *
 * The rings shared with the kernel follow io_uring's protocol: we own the
 * submission tail and the completion head, the kernel the other two.
 */
#include "config.h"

#include <errno.h>
#include <linux/futex.h>
#include <linux/io_uring.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "atomics.h"
#include "internal.h"

/* Older kernel headers lack what Linux 6.7 added. */
#ifndef IORING_OP_FUTEX_WAIT
#define IORING_OP_FUTEX_WAIT 51
#endif
#ifndef FUTEX2_SIZE_U32
#define FUTEX2_SIZE_U32 0x02
#endif

/* Room for a poll and a cancel per watch slot, and the futex wait. */
#define URING_ENTRIES 128u

/* Watch slots: as many as there are peer entries to watch. */
#define WATCH_SLOTS PEER_SLOTS

/*
 * user_data: the kind in the top byte, for polls the watch slot in the
 * next, then a serial that makes every request's tag unique, so that the
 * completion of an earlier arming is never taken for the current one.
 */
#define UD_KIND_SHIFT 56
#define UD_ENTRY_SHIFT 48
#define UD_SERIAL_MASK ((UINT64_C(1) << UD_ENTRY_SHIFT) - 1)
#define UD_FUTEX 1u
#define UD_POLL 2u
#define UD_CANCEL 3u

struct uring {
	int fd;
	pid_t owner;
	void *sq_map, *cq_map, *sqe_map;
	size_t sq_len, cq_len, sqe_len;
	_Atomic unsigned *sq_head, *sq_tail, *cq_head, *cq_tail;
	unsigned *sq_array;
	unsigned sq_mask, cq_mask, sq_entries;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	unsigned queued; /* entries filled in since the tail was published */
	int futex_res;   /* result of the last futex wait */
	uint64_t serial;
	/*
	 * Watch slot i: the caller's tag it watches (0: free), the
	 * user_data of its armed poll (0: none), whether its exit fired.
	 */
	uint64_t tag[WATCH_SLOTS];
	uint64_t armed[WATCH_SLOTS];
	bool fired[WATCH_SLOTS];
	uint64_t pending; /* a descriptor's futex wait in flight: its tag */
};

static uint64_t ud_make(unsigned kind, unsigned entry, struct uring *u)
{
	return ((uint64_t)kind << UD_KIND_SHIFT) |
	       ((uint64_t)entry << UD_ENTRY_SHIFT) | (++u->serial & UD_SERIAL_MASK);
}

static void uring_unmap(struct uring *u)
{
	if (u->sqe_map)
		munmap(u->sqe_map, u->sqe_len);
	if (u->cq_map && u->cq_map != u->sq_map)
		munmap(u->cq_map, u->cq_len);
	if (u->sq_map)
		munmap(u->sq_map, u->sq_len);
	if (u->fd >= 0)
		close(u->fd);
}

/* Does the kernel know IORING_OP_FUTEX_WAIT? Asked once, at setup. */
static bool has_futex_op(int fd)
{
	size_t len = sizeof(struct io_uring_probe) +
		     256 * sizeof(struct io_uring_probe_op);
	struct io_uring_probe *p = calloc(1, len);
	bool ok = false;
	if (!p)
		return false;
	if (syscall(SYS_io_uring_register, fd, IORING_REGISTER_PROBE, p, 256) == 0)
		ok = p->last_op >= IORING_OP_FUTEX_WAIT &&
		     (p->ops[IORING_OP_FUTEX_WAIT].flags & IO_URING_OP_SUPPORTED);
	free(p);
	return ok;
}

static struct uring *uring_setup(void)
{
	struct io_uring_params p;
	struct uring *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	memset(&p, 0, sizeof(p));
	u->fd = (int)syscall(SYS_io_uring_setup, URING_ENTRIES, &p);
	if (u->fd < 0 || !(p.features & IORING_FEAT_EXT_ARG) ||
	    !has_futex_op(u->fd))
		goto fail;
	u->owner = getpid();
	u->sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	u->cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		if (u->cq_len > u->sq_len)
			u->sq_len = u->cq_len;
		u->cq_len = u->sq_len;
	}
	u->sq_map = mmap(NULL, u->sq_len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_POPULATE, u->fd, IORING_OFF_SQ_RING);
	if (u->sq_map == MAP_FAILED) {
		u->sq_map = NULL;
		goto fail;
	}
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		u->cq_map = u->sq_map;
	} else {
		u->cq_map = mmap(NULL, u->cq_len, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_POPULATE, u->fd,
				 IORING_OFF_CQ_RING);
		if (u->cq_map == MAP_FAILED) {
			u->cq_map = NULL;
			goto fail;
		}
	}
	u->sqe_len = p.sq_entries * sizeof(struct io_uring_sqe);
	u->sqe_map = mmap(NULL, u->sqe_len, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_POPULATE, u->fd, IORING_OFF_SQES);
	if (u->sqe_map == MAP_FAILED) {
		u->sqe_map = NULL;
		goto fail;
	}
	unsigned char *sq = u->sq_map, *cq = u->cq_map;
	u->sq_head = (_Atomic unsigned *)(void *)(sq + p.sq_off.head);
	u->sq_tail = (_Atomic unsigned *)(void *)(sq + p.sq_off.tail);
	u->sq_mask = *(unsigned *)(void *)(sq + p.sq_off.ring_mask);
	u->sq_entries = p.sq_entries;
	u->sq_array = (unsigned *)(void *)(sq + p.sq_off.array);
	u->cq_head = (_Atomic unsigned *)(void *)(cq + p.cq_off.head);
	u->cq_tail = (_Atomic unsigned *)(void *)(cq + p.cq_off.tail);
	u->cq_mask = *(unsigned *)(void *)(cq + p.cq_off.ring_mask);
	u->cqes = (struct io_uring_cqe *)(void *)(cq + p.cq_off.cqes);
	u->sqes = u->sqe_map;
	return u;
fail:
	uring_unmap(u);
	free(u);
	return NULL;
}

/* A free submission entry, zeroed, or NULL if the queue is full. */
static struct io_uring_sqe *sqe_next(struct uring *u)
{
	/* Relaxed: only this process writes the tail. */
	unsigned tail = load_relaxed(u->sq_tail) + u->queued;
	/*
	 * Acquire pairs with the kernel's release of the head once it has
	 * read the entries: a slot behind the head is ours to fill again.
	 */
	unsigned head = load_acquire(u->sq_head);
	if (tail - head >= u->sq_entries)
		return NULL;
	unsigned idx = tail & u->sq_mask;
	struct io_uring_sqe *s = &u->sqes[idx];
	memset(s, 0, sizeof(*s));
	u->sq_array[idx] = idx;
	u->queued++;
	return s;
}

/* How many published entries the kernel has not read yet. */
static unsigned sq_unread(struct uring *u)
{
	/* Acquire: as in sqe_next(). */
	return load_relaxed(u->sq_tail) - load_acquire(u->sq_head);
}

/* Hand the entries filled in to the kernel; how many it has not read. */
static unsigned sq_publish(struct uring *u)
{
	unsigned tail = load_relaxed(u->sq_tail) + u->queued;
	u->queued = 0;
	/*
	 * Release pairs with the kernel's acquire of the tail: it sees the
	 * entries before it filled in.
	 */
	store_release(u->sq_tail, tail);
	return sq_unread(u);
}

static int enter(struct uring *u, unsigned submit, unsigned wait, int64_t rel_ns)
{
	struct __kernel_timespec ts = {
		.tv_sec = rel_ns / NSEC_PER_SEC,
		.tv_nsec = rel_ns % NSEC_PER_SEC,
	};
	struct io_uring_getevents_arg arg = { .ts = (uint64_t)(uintptr_t)&ts };
	unsigned flags = wait ? IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG : 0;
	long ret = syscall(SYS_io_uring_enter, u->fd, submit, wait, flags,
			   wait ? &arg : NULL, wait ? sizeof(arg) : 0);
	return ret < 0 ? -errno : (int)ret;
}

/*
 * Take every completion posted. Sets *futex_done when the futex wait
 * tagged @futex_ud completed; returns whether a watched process exited.
 */
static bool take_completions(struct uring *u, uint64_t futex_ud,
			     bool *futex_done)
{
	bool fired = false;
	/* Relaxed: only this process writes the head. */
	unsigned head = load_relaxed(u->cq_head);
	/*
	 * Acquire pairs with the kernel's release of the tail: the entries
	 * before it are written.
	 */
	unsigned tail = load_acquire(u->cq_tail);
	for (; head != tail; head++) {
		const struct io_uring_cqe *c = &u->cqes[head & u->cq_mask];
		uint64_t ud = c->user_data;
		unsigned i = (unsigned)(ud >> UD_ENTRY_SHIFT) & 0xff;
		if (ud == futex_ud) {
			*futex_done = true;
			u->futex_res = c->res;
		} else if (ud >> UD_KIND_SHIFT == UD_POLL && i < WATCH_SLOTS &&
			   u->armed[i] == ud) {
			u->armed[i] = 0;
			/*
			 * Readable: the process exited. An error says the
			 * poll cannot watch it: either way it is not armed
			 * again for that process, and the caller looks.
			 */
			if (c->res != -ECANCELED) {
				u->fired[i] = true;
				fired = true;
			}
		}
		/* Anything else: a cancel, or an arming since replaced. */
	}
	/*
	 * Release pairs with the kernel's acquire of the head: it may reuse
	 * the entries we have read.
	 */
	store_release(u->cq_head, head);
	return fired;
}

/*
 * Make sure the futex wait tagged @ud is over: cancel it if it is still
 * waiting, and take its completion. False if that could not be made sure.
 */
static bool futex_wait_end(struct uring *u, uint64_t ud, bool *fired)
{
	bool done = false;
	for (int round = 0; round < 4 && !done; round++) {
		struct io_uring_sync_cancel_reg reg = {
			.addr = ud,
			.timeout = { .tv_sec = -1, .tv_nsec = -1 },
		};
		/* 0: cancelled; -ENOENT: it completed, or is not submitted yet. */
		syscall(SYS_io_uring_register, u->fd, IORING_REGISTER_SYNC_CANCEL,
			&reg, 1);
		*fired |= take_completions(u, ud, &done);
		if (done)
			break;
		/*
		 * Not seen yet: submit whatever the kernel has not read and
		 * wait a moment for the completion to be posted.
		 */
		enter(u, sq_unread(u), 1, NSEC_PER_MSEC);
		*fired |= take_completions(u, ud, &done);
	}
	return done;
}

void wait_uring_fini(struct shmring *r)
{
	struct uring *u = r->ur;
	if (!u)
		return;
	/*
	 * Closing the ring cancels what is still armed on it. A forked
	 * child closes and unmaps only its own copies.
	 */
	uring_unmap(u);
	free(u);
	r->ur = NULL;
}

/* Queue the cancel of the poll armed in watch slot @i, and free the slot. */
static void unwatch(struct uring *u, unsigned i)
{
	if (u->armed[i]) {
		struct io_uring_sqe *s = sqe_next(u);
		if (s) {
			s->opcode = IORING_OP_ASYNC_CANCEL;
			s->addr = u->armed[i];
			s->user_data = ud_make(UD_CANCEL, 0, u);
		}
	}
	u->armed[i] = 0;
	u->tag[i] = 0;
	u->fired[i] = false;
}

static bool watched(const struct peer_fd *fds, int n, uint64_t tag)
{
	for (int k = 0; k < n; k++)
		if (fds[k].tag == tag)
			return true;
	return false;
}

/* A watch slot for @tag: its own, else a free one (there is always one). */
static unsigned slot_for(const struct uring *u, uint64_t tag)
{
	unsigned free_slot = WATCH_SLOTS;
	for (unsigned i = 0; i < WATCH_SLOTS; i++) {
		if (u->tag[i] == tag)
			return i;
		if (!u->tag[i] && free_slot == WATCH_SLOTS)
			free_slot = i;
	}
	return free_slot;
}

/*
 * Arm a poll on each of @fds not armed yet, and cancel those no longer
 * handed in. -EAGAIN if one of them already exited (the caller reaps it,
 * in slices) or the queue is full.
 */
static int arm_watches(struct uring *u, const struct peer_fd *fds, int n)
{
	for (unsigned i = 0; i < WATCH_SLOTS; i++)
		if (u->tag[i] && !watched(fds, n, u->tag[i]))
			unwatch(u, i);
	for (int k = 0; k < n; k++) {
		unsigned i = slot_for(u, fds[k].tag);
		if (i == WATCH_SLOTS)
			return -EAGAIN;
		if (u->tag[i] == fds[k].tag && u->fired[i])
			return -EAGAIN;
		if (u->tag[i] == fds[k].tag && u->armed[i])
			continue;
		struct io_uring_sqe *s = sqe_next(u);
		if (!s)
			return -EAGAIN;
		s->opcode = IORING_OP_POLL_ADD;
		s->fd = fds[k].fd;
		s->poll32_events = POLLIN;
		s->user_data = u->armed[i] = ud_make(UD_POLL, i, u);
		u->tag[i] = fds[k].tag;
	}
	return 0;
}

/* The io_uring of this handle and process, set up at its first sleep. */
static struct uring *uring_of(struct shmring *r)
{
	if (r->ur_none)
		return NULL;
	if (r->ur && r->ur->owner != getpid())
		wait_uring_fini(r);
	if (!r->ur) {
		r->ur = uring_setup();
		if (!r->ur)
			r->ur_none = true;
	}
	return r->ur;
}

/* Queue the futex wait on @word while it reads @val; its user_data. */
static uint64_t queue_futex_wait(struct uring *u, _Atomic uint32_t *word,
				 uint32_t val)
{
	struct io_uring_sqe *s = sqe_next(u);
	if (!s)
		return 0;
	uint64_t fud = ud_make(UD_FUTEX, 0, u);
	s->opcode = IORING_OP_FUTEX_WAIT;
	s->fd = FUTEX2_SIZE_U32; /* shared: no FUTEX2_PRIVATE */
	s->addr = (uint64_t)(uintptr_t)word;
	s->off = val;
	s->addr3 = FUTEX_BITSET_MATCH_ANY;
	s->user_data = fud;
	return fud;
}

/*
 * Submit, and wait until the futex wait tagged @fud completes, a watched
 * exit fires or @rel_ns passes. Enter returns on a completion (maybe one
 * that concerns nothing now: a cancel, an arming since replaced), the
 * timeout (-ETIME), or a signal (-EINTR, or the count submitted if it
 * submitted any). A signal does not end the sleep (the caller would only
 * start it again): wait on for the time left with the futex wait armed.
 * Returns whether a watched process exited; *done, whether the wait did.
 */
static bool wait_events(struct uring *u, uint64_t fud, int64_t rel_ns,
			bool *done)
{
	int64_t end = now_ns() + rel_ns;
	int ret = enter(u, sq_publish(u), 1, rel_ns);
	bool fired = take_completions(u, fud, done);
	while (!*done && !fired && ret != -ETIME &&
	       (ret >= 0 || ret == -EINTR || ret == -EAGAIN || ret == -EBUSY)) {
		int64_t left = end - now_ns();
		if (left <= 0)
			break;
		ret = enter(u, sq_unread(u), 1, left);
		fired = take_completions(u, fud, done);
	}
	return fired;
}

int wait_uring_sleep(struct shmring *r, _Atomic uint32_t *word, uint32_t val,
		     const struct peer_fd *fds, int n, int64_t rel_ns)
{
	struct uring *u = uring_of(r);
	if (!u)
		return -ENOSYS;
	int ret = arm_watches(u, fds, n);
	uint64_t fud = ret ? 0 : queue_futex_wait(u, word, val);
	if (!fud) {
		/* Hand over what was queued (cancels, polls) all the same. */
		enter(u, sq_publish(u), 0, 0);
		return -EAGAIN;
	}
	bool done = false;
	bool fired = wait_events(u, fud, rel_ns, &done);
	/*
	 * Woken (0), the word had moved (-EAGAIN), cancelled: all fine.
	 * Anything else means this kernel cannot do the wait after all.
	 */
	bool refused = done && u->futex_res != 0 && u->futex_res != -EAGAIN &&
		       u->futex_res != -ECANCELED && u->futex_res != -EINTR;
	if (refused || (!done && !futex_wait_end(u, fud, &fired))) {
		/*
		 * The wait failed, or could not be accounted for: drop
		 * io_uring for this handle (closing it cancels all) and sleep
		 * in slices.
		 */
		wait_uring_fini(r);
		r->ur_none = true;
	}
	return fired;
}

/*
 * ---- A ring of its own for a pollable descriptor (poll.c) ----
 *
 * The io_uring instance's descriptor is the handle's pollable one: it
 * polls readable while a completion is posted and not yet taken. Arming
 * submits a futex wait on the ring's futex word (and polls of the peers'
 * pidfds) without waiting for it; the kernel posts a completion when a
 * publisher wakes the word or a watched peer exits, and the descriptor
 * turns readable. Where the condition already holds, a no-op is posted
 * instead, so that the descriptor is readable at once.
 */
struct uring *wait_uring_open(void)
{
	return uring_setup();
}

int wait_uring_fd(const struct uring *u)
{
	return u->fd;
}

void wait_uring_close(struct uring *u)
{
	uring_unmap(u);
	free(u);
}

/*
 * Take every completion posted, so that the descriptor stops polling
 * readable. Returns 1 while the futex wait armed last is still pending,
 * 0 if none is, with *fired set when a watched peer exited.
 */
int wait_uring_drain(struct uring *u, bool *fired)
{
	bool done = false;
	*fired |= take_completions(u, u->pending, &done);
	if (done)
		u->pending = 0;
	return u->pending != 0;
}

/* Post a completion now: the descriptor polls readable at once. */
int wait_uring_post(struct uring *u)
{
	struct io_uring_sqe *s = sqe_next(u);
	if (!s)
		return -EAGAIN;
	s->opcode = IORING_OP_NOP;
	s->user_data = ud_make(UD_CANCEL, 0, u);
	int ret = enter(u, sq_publish(u), 0, 0);
	return ret < 0 ? ret : 0;
}

/*
 * Arm: a futex wait on @word while it holds @val, unless one is pending
 * already, and a poll of each of @fds not watched yet. Submits without
 * waiting. A watched peer whose exit was reported already is posted at
 * once (the caller looks).
 */
int wait_uring_arm(struct uring *u, _Atomic uint32_t *word, uint32_t val,
		   const struct peer_fd *fds, int n)
{
	if (arm_watches(u, fds, n)) {
		enter(u, sq_publish(u), 0, 0);
		return wait_uring_post(u);
	}
	if (!u->pending) {
		u->pending = queue_futex_wait(u, word, val);
		if (!u->pending)
			return -EAGAIN;
	}
	int ret = enter(u, sq_publish(u), 0, 0);
	return ret < 0 ? ret : 0;
}
