/*
 * shmring.h - message rings in shared memory between processes.
 *
 * This is the only public header of libshmring. A ring lives in a named
 * shared-memory region; one or more processes attach to it as producer,
 * consumer or both and pass messages through it without a system call on
 * the fast path. See shmring(7) for concepts and the region layout.
 *
 * Conventions for every function below:
 *  - success returns 0 or a non-negative count, failure returns -errno;
 *    errno is never set;
 *  - timeout_ns is a relative timeout in nanoseconds: -1 waits forever,
 *    0 never waits;
 *  - a handle (struct shmring *) is used by one thread at a time; several
 *    threads may each open their own handle on the same ring.
 *
 * Which calls may run concurrently on one ring (different handles):
 *
 *               | send  | recv  | open/close | unlink
 *   ------------+-------+-------+------------+-------
 *   send        | MPMC  | yes   | yes        | yes
 *   recv        | yes   | MPMC  | yes        | yes
 *
 * On an SPSC ring only one live process may hold each role; a second one
 * gets -EBUSY at open. A broadcast ring (SHMRING_BCAST) has one publisher
 * (a second live one gets -EBUSY) and many subscribers, each of which
 * receives every message; send and recv run concurrently there as on
 * SPSC.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#ifndef SHMRING_H
#define SHMRING_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(SHMRING_BUILDING) && defined(__GNUC__)
#define SHMRING_API __attribute__((visibility("default")))
#else
#define SHMRING_API
#endif

/** Opaque handle on an attached ring. */
struct shmring;

/** Kind of ring, chosen at creation. */
enum shmring_kind {
	SHMRING_SPSC = 0, /**< one producer, one consumer, variable-size records */
	SHMRING_MPMC = 1, /**< many producers and consumers, fixed-size slots */
	SHMRING_BCAST = 2, /**< one publisher, many subscribers: each gets all */
};

/** Role bits for shmring_create() and shmring_open(). 0 = monitor only. */
#define SHMRING_PRODUCER 1
#define SHMRING_CONSUMER 2

/** Defaults used where struct shmring_opts leaves a field zero. */
#define SHMRING_DEFAULT_CAPACITY ((size_t)1 << 20) /* SPSC bytes */
#define SHMRING_DEFAULT_SLOTS ((size_t)1024)       /* MPMC slots */
#define SHMRING_DEFAULT_MAX_MSG ((size_t)65536)    /* SPSC */
#define SHMRING_DEFAULT_MPMC_MAX_MSG ((size_t)240) /* MPMC: 256-byte slots */
#define SHMRING_DEFAULT_MODE 0600u

/** Largest message size the layout can describe. */
#define SHMRING_MAX_MSG_LIMIT ((size_t)1 << 30)

/** Processes that can be attached to one ring at the same time. */
#define SHMRING_MAX_PEERS 32

/** Options for shmring_create(); an all-zero struct means defaults. */
struct shmring_opts {
	enum shmring_kind kind;
	/** SPSC: data bytes; MPMC: slots. A power of two; 0 = default. */
	size_t capacity;
	/** Largest message in bytes; 0 = default (clamped to what fits). */
	size_t max_msg;
	/** Permission bits of the region, applied exactly; 0 = 0600. */
	unsigned mode;
	/** SHMRING_HUGE_PAGES or 0; other bits are reserved and must be 0. */
	unsigned flags;
};

/**
 * Flag for shmring_opts.flags: back the region with huge pages (hugetlb,
 * the default huge page size of /proc/meminfo "Hugepagesize"), which
 * rounds its size up to a whole number of huge pages. The pages come
 * from the pool the administrator reserved (vm.nr_hugepages) and are
 * taken at creation: a pool empty (the default) or too small fails the
 * creation with -ENOMEM, never a SIGBUS later. Anonymous, memfd (still
 * sealed) and System V rings take it; a "file:" path on a hugetlbfs
 * mount is on huge pages with or without it; "/name" rings live on tmpfs
 * and refuse it with -EOPNOTSUPP. See shmring(7), "Huge pages".
 */
#define SHMRING_HUGE_PAGES 0x1u

/**
 * Flag for shmring_opts.flags, SHMRING_BCAST only: the publisher never
 * waits and overwrites the oldest messages; a subscriber it overtook gets
 * -EOVERFLOW once, and shmring_lost() counts what it missed. Without it a
 * broadcast ring is lossless (back-pressure): the publisher waits for the
 * slowest live subscriber. See shmring(7), "Broadcast rings".
 */
#define SHMRING_OVERWRITE 0x2u

/** Where shmring_seek() moves a subscriber of a broadcast ring. */
#define SHMRING_SEEK_OLDEST 0 /**< to the oldest message still intact */
#define SHMRING_SEEK_NEWEST 1 /**< past every message published so far */

/** Read-only facts about an attached ring, filled by shmring_info(). */
struct shmring_info {
	enum shmring_kind kind;
	size_t capacity;       /**< as created */
	size_t max_msg;        /**< largest message accepted */
	size_t region_size;    /**< bytes mapped, header included */
	pid_t creator_pid;     /**< process that created the ring */
	uint64_t created_ns;   /**< CLOCK_REALTIME at creation, ns */
	size_t used;           /**< bytes (SPSC) or slots (MPMC) in use now */
	unsigned producers;    /**< producer processes attached now */
	unsigned consumers;    /**< consumer processes attached now */
	unsigned layout_version; /**< of the region's header */
	unsigned mode;         /**< permission bits given at creation */
	size_t slot_size;      /**< MPMC: bytes per slot; SPSC: 0 */
	uint64_t prod_pos;     /**< producer position (bytes or slots) */
	uint64_t cons_pos;     /**< consumer position */
	unsigned data_waiters; /**< consumers asleep waiting for data */
	unsigned space_waiters; /**< producers asleep waiting for room */
	int creator_alive;     /**< 1 if the creating process still runs */
	uint64_t flags;        /**< SHMRING_OVERWRITE if created with it */
	uint64_t oldest_pos;   /**< BCAST: the oldest message still intact */
	uint64_t reserved[6];  /**< room to grow without breaking the ABI */
};

/** One attached process, as listed by shmring_peers(). */
struct shmring_peer {
	pid_t pid;
	int role;             /**< SHMRING_PRODUCER and/or SHMRING_CONSUMER */
	uint64_t attach_ns;   /**< CLOCK_REALTIME of the attach */
	int alive;            /**< 0 if the process has died (not yet reaped) */
};

/** One subscriber of a broadcast ring, as listed by shmring_subscribers(). */
struct shmring_subscriber {
	pid_t pid;
	int alive;            /**< 0 if the process has died (not yet reaped) */
	uint64_t pos;         /**< position of the next message it reads */
	uint64_t lag;         /**< bytes published that it has not read */
	uint64_t lost;        /**< messages it missed (overwrite mode) */
	uint64_t reserved[4]; /**< room to grow without breaking the ABI */
};

/**
 * Counters of a ring, filled by shmring_stats(): the sum over every
 * process that is or was attached. Each process counts on its own cache
 * line, so counting costs the fast path nothing measurable.
 */
struct shmring_stats {
	uint64_t msgs_sent, bytes_sent; /**< messages published */
	uint64_t msgs_recv, bytes_recv; /**< messages consumed */
	uint64_t times_full;  /**< sends that found the ring full */
	uint64_t times_empty; /**< receives that found the ring empty */
	uint64_t sleeps;      /**< futex sleeps and descriptor armings, both sides */
	uint64_t wakeups;     /**< futex wake calls issued, both sides */
	uint64_t last_attach_ns, last_detach_ns; /**< CLOCK_REALTIME, 0 = never */
	size_t used;          /**< bytes (SPSC) or slots (MPMC) in use now */
	unsigned producers;   /**< producer processes attached now */
	unsigned consumers;   /**< consumer processes attached now */
	/** BCAST: messages the subscribers attached now missed, summed. */
	uint64_t msgs_lost;
	uint64_t reserved[7]; /**< room to grow without breaking the ABI */
};

/**
 * Create a new ring and attach to it.
 *
 * @param name  "/name" as for shm_open(3): one leading '/', no other '/',
 *              at most 255 bytes, not "/." or "/..".
 * @param o     options, or NULL for defaults.
 * @param role  SHMRING_PRODUCER, SHMRING_CONSUMER, both, or 0 (create only).
 * @param out   receives the handle on success.
 * @return 0, or
 *   -EINVAL  bad name, options or role;
 *   -EEXIST  an object of that name exists (creation is exclusive);
 *   -EACCES  permission denied by the system;
 *   -ENOSPC  not enough shared memory to back the whole region;
 *   -EFBIG   "/name" or "file:" region larger than RLIMIT_FSIZE allows;
 *   -ENOMEM  out of memory or address space; with SHMRING_HUGE_PAGES (or
 *            a "file:" path on hugetlbfs), not enough free huge pages:
 *            none reserved, or the pool exhausted;
 *   -EPERM   "sysv:" with SHMRING_HUGE_PAGES: the caller may not have
 *            System V huge pages (neither CAP_IPC_LOCK nor the group
 *            vm.hugetlb_shm_group; older kernels: past RLIMIT_MEMLOCK);
 *   -EOPNOTSUPP  SHMRING_HUGE_PAGES on a "/name" ring (tmpfs), on a
 *            "file:" path outside hugetlbfs, or on a kernel without
 *            huge pages;
 *   -EMFILE, -ENFILE  out of file descriptors;
 *   for "file:" and "sysv:" names, other errors of open(2) and shmget(2)
 *   pass through (e.g. -ELOOP, -ENOTDIR).
 */
SHMRING_API int shmring_create(const char *name, const struct shmring_opts *o,
			       int role, struct shmring **out);

/**
 * Create an unnamed ring in anonymous shared memory (MAP_SHARED |
 * MAP_ANONYMOUS), for related processes: create it before fork(), then
 * in each process call shmring_attach() with the role that process takes.
 * The handle returned holds no role; close it in each process when done.
 *
 * @return 0, or -EINVAL bad options, -ENOMEM (with SHMRING_HUGE_PAGES:
 *   not enough free huge pages), -EOPNOTSUPP (SHMRING_HUGE_PAGES on a
 *   kernel without huge pages).
 */
SHMRING_API int shmring_create_anon(const struct shmring_opts *o,
				    struct shmring **out);

/**
 * Create an unnamed ring in a memfd, sealed against shrinking and growing
 * so that no holder of the descriptor can truncate it under another's
 * mapping. Give shmring_fd() to another process (over a UNIX socket with
 * shmring_send_fd()); it attaches with shmring_open_fd().
 *
 * @return 0, or the errors of shmring_create() but -EEXIST, -EACCES and
 *   -EPERM.
 */
SHMRING_API int shmring_create_memfd(const struct shmring_opts *o, int role,
				     struct shmring **out);

/**
 * Attach to the memfd ring behind descriptor @fd (it is duplicated; the
 * caller keeps and closes its own). A memfd without the seals that
 * shmring_create_memfd() sets is refused.
 *
 * @return 0, or -EINVAL bad fd or role, -EPROTO not a sealed ring,
 *   -EBUSY, -EUSERS, -ENOMEM, -EMFILE.
 */
SHMRING_API int shmring_open_fd(int fd, int role, struct shmring **out);

/**
 * A new handle on the ring behind @r, in this process, holding @role:
 * how each process takes its role on an anonymous ring after fork(), and
 * how each thread gets a handle of its own. Independent of @r: either may
 * be closed first.
 *
 * @return 0, or -EINVAL, -EPERM (a role on a read-only handle), -EBUSY,
 *   -EUSERS, -EPROTO (the ring's header went bad since), -ENOMEM,
 *   -EMFILE.
 */
SHMRING_API int shmring_attach(struct shmring *r, int role,
			       struct shmring **out);

/**
 * The memfd behind a ring from shmring_create_memfd() or
 * shmring_open_fd(), owned by the handle (do not close it).
 *
 * @return the descriptor, or -EINVAL for a ring of another kind.
 */
SHMRING_API int shmring_fd(struct shmring *r);

/**
 * Send descriptor @fd over the connected UNIX socket @sock (SCM_RIGHTS).
 * @return 0, or -errno of sendmsg(2) (e.g. -EPIPE, -ENOTSOCK), -EINVAL.
 */
SHMRING_API int shmring_send_fd(int sock, int fd);

/**
 * Receive a descriptor sent by shmring_send_fd() into *fd (close-on-exec).
 * @return 0, or -EPIPE peer closed, -EPROTO no descriptor came, -errno of
 *   recvmsg(2), -EINVAL.
 */
SHMRING_API int shmring_recv_fd(int sock, int *fd);

/**
 * Flush a file-backed ring ("file:PATH") to its file (msync), so that what
 * was committed survives a reboot. A no-op for the other kinds.
 *
 * @return 0, or -EINVAL, -EIO.
 */
SHMRING_API int shmring_sync(struct shmring *r);

/**
 * Attach to an existing ring.
 *
 * A ring still being created is waited for, a bounded time (about one
 * second). Role 0 attaches read-only, as a monitor.
 *
 * @return 0, or
 *   -EINVAL  bad name or role;
 *   -ENOENT  no such ring;
 *   -EACCES  permission denied;
 *   -EPROTO  not a shmring region, another layout version, an inconsistent
 *            header, or a ring whose creation never finished;
 *   -EBUSY   SPSC role already held by a live process;
 *   -EUSERS  SHMRING_MAX_PEERS processes are attached already;
 *   -ENOMEM, -EMFILE, -ENFILE  out of resources;
 *   for "file:" and "sysv:" names, other errors of open(2) and shmget(2)
 *   pass through (e.g. -ELOOP: the path is a symbolic link, refused).
 */
SHMRING_API int shmring_open(const char *name, int role, struct shmring **out);

/**
 * Detach and free the handle. Closing the last producer is an end of
 * stream for the consumers; closing the last consumer makes send fail
 * with -EPIPE. A zero-copy reservation not committed is dropped.
 * The region itself stays until shmring_unlink().
 *
 * @return 0, or -EINVAL for a NULL handle.
 */
SHMRING_API int shmring_close(struct shmring *r);

/**
 * Remove the ring's name. Attached processes keep working; the memory is
 * freed when the last one detaches.
 *
 * @return 0, or -EINVAL bad name, -ENOENT no such object, -EACCES or
 *   -EPERM not allowed (System V: not the owner), -EPROTO a "file:" name
 *   that is not a ring (it is left alone); for "file:" and "sysv:" names
 *   other errors of open(2), shmget(2) or unlink(2) pass through (e.g.
 *   -ELOOP for a symbolic link, -ENOTDIR).
 */
SHMRING_API int shmring_unlink(const char *name);

/**
 * Send one message of len bytes (0 allowed), waiting up to timeout_ns for
 * room.
 *
 * @return 0, or
 *   -EMSGSIZE  len is larger than the ring's max_msg;
 *   -EPIPE     every consumer that ever attached has closed (seen at
 *              once) or died (seen within about 100 ms: the liveness of
 *              consumers is looked at on one send in 256 and whenever the
 *              ring is full, at most every 20 ms);
 *   -EAGAIN    ring full and timeout_ns is 0;
 *   -ETIMEDOUT ring still full when the timeout expired;
 *   -EPERM     the handle is not a producer;
 *   -EBUSY     a zero-copy reservation is open on this handle;
 *   -EBADMSG   the ring's shared state is corrupt;
 *   -EINVAL    NULL handle, or msg NULL with len > 0.
 */
SHMRING_API int shmring_send(struct shmring *r, const void *msg, size_t len,
			     int64_t timeout_ns);

/**
 * Receive one message into buf, waiting up to timeout_ns for one.
 *
 * @return the message length, or
 *   -EMSGSIZE  cap is smaller than the next message (it stays in the ring;
 *              shmring_peek() tells its size);
 *   -EPIPE     ring empty and every producer that ever attached has closed
 *              or died (end of stream);
 *   -EAGAIN    ring empty and timeout_ns is 0;
 *   -ETIMEDOUT ring still empty when the timeout expired;
 *   -EOVERFLOW broadcast ring in overwrite mode: the publisher overtook
 *              this subscriber (once per overtaking; the next receive
 *              returns the oldest message intact; see shmring_lost());
 *   -EPERM     the handle is not a consumer;
 *   -EBADMSG   the next record is corrupt;
 *   -EINVAL    NULL handle, or buf NULL with cap > 0.
 */
SHMRING_API ssize_t shmring_recv(struct shmring *r, void *buf, size_t cap,
				 int64_t timeout_ns);

/** shmring_send() with timeout_ns = 0: -EAGAIN when full. */
SHMRING_API int shmring_try_send(struct shmring *r, const void *msg,
				 size_t len);

/** shmring_recv() with timeout_ns = 0: -EAGAIN when empty. */
SHMRING_API ssize_t shmring_try_recv(struct shmring *r, void *buf, size_t cap);

/**
 * Send up to n messages, described by msgs[i].iov_base / iov_len, waiting
 * up to timeout_ns until at least one fits, then sending as many as fit
 * now, in order, published together.
 *
 * @return the number sent (>= 1; 0 when n is 0), or the errors of
 *   shmring_send(); a message larger than max_msg stops the burst there
 *   (-EMSGSIZE if it is the first).
 */
SHMRING_API int shmring_send_burst(struct shmring *r, const struct iovec *msgs,
				   size_t n, int64_t timeout_ns);

/**
 * Receive up to n messages into bufs[i], waiting up to timeout_ns until at
 * least one is there. Each bufs[i].iov_len is the capacity on entry and
 * the message length on return.
 *
 * @return the number received (>= 1; 0 when n is 0), or the errors of
 *   shmring_recv(); a message larger than its buffer stops the burst
 *   there and stays in the ring (-EMSGSIZE if it is the first).
 */
SHMRING_API int shmring_recv_burst(struct shmring *r, struct iovec *bufs,
				   size_t n, int64_t timeout_ns);

/**
 * Zero-copy send, first half: reserve room for a message of up to len
 * bytes and return a pointer to it in *buf. Write the message there, then
 * shmring_commit(). One reservation at a time per handle.
 *
 * @return 0, or the errors of shmring_send(); -EBUSY if a reservation is
 *   already open on this handle.
 */
SHMRING_API int shmring_reserve(struct shmring *r, size_t len, void **buf,
				int64_t timeout_ns);

/**
 * Zero-copy send, second half: publish the reserved message with its
 * final length len (at most the reserved length).
 *
 * @return 0, or -EINVAL no reservation open or len too large, -EPERM;
 *   -EBADMSG (MPMC) the slot was taken from this process by a peer that
 *   judged it dead: the message did not go.
 */
SHMRING_API int shmring_commit(struct shmring *r, size_t len);

/**
 * Zero-copy receive, first half: wait up to timeout_ns for a message and
 * point *msg at it, inside the ring. The message stays valid, and stays in
 * the ring, until shmring_release(). Peeking again without releasing
 * returns the same message.
 *
 * @return the message length, or the errors of shmring_recv() but
 *   -EMSGSIZE.
 */
SHMRING_API ssize_t shmring_peek(struct shmring *r, const void **msg,
				 int64_t timeout_ns);

/**
 * Zero-copy receive, second half: consume the message returned by the
 * last shmring_peek(), making its room available to producers.
 *
 * @return 0, or -EINVAL if nothing is peeked, -EPERM; -ESTALE (broadcast
 *   ring in overwrite mode) the message was overwritten while held: what
 *   was read through the pointer must be discarded.
 */
SHMRING_API int shmring_release(struct shmring *r);

/**
 * Fill *info with the ring's parameters and its state now.
 *
 * @return 0, or -EINVAL for NULL arguments.
 */
SHMRING_API int shmring_info(struct shmring *r, struct shmring_info *info);

/**
 * List up to @n attached processes into @peers, checking each one's
 * liveness (pid and start time: a reused pid is not taken for the peer).
 *
 * @return the number of entries filled, or -EINVAL.
 */
SHMRING_API int shmring_peers(struct shmring *r, struct shmring_peer *peers,
			      size_t n);

/**
 * Fill *st with the ring's counters now. Works on any handle, a read-only
 * monitor (role 0) included. The figures are a snapshot: counters move
 * while they are summed.
 *
 * @return 0, or -EINVAL for NULL arguments.
 */
SHMRING_API int shmring_stats(struct shmring *r, struct shmring_stats *st);

/**
 * The application area: SHMRING_APP_AREA_SIZE bytes inside the region,
 * zero at creation, shared by every attached process and left alone by
 * the library (a place for a counter, a configuration word, a version).
 * 64-byte aligned; use atomics to share it. A monitor (role 0) handle
 * maps it read-only: writing through it faults.
 *
 * @return 0, or -EINVAL for NULL arguments.
 */
SHMRING_API int shmring_app_area(struct shmring *r, void **area, size_t *size);
#define SHMRING_APP_AREA_SIZE 512

/**
 * Set how long a blocking call on this handle spins, polling the ring,
 * before it sleeps on a futex. 0 sleeps at once. The default is
 * SHMRING_DEFAULT_SPIN_NS.
 *
 * @return 0, or -EINVAL for a NULL handle.
 */
SHMRING_API int shmring_set_spin(struct shmring *r, uint64_t spin_ns);
#define SHMRING_DEFAULT_SPIN_NS ((uint64_t)50000)

/**
 * Set how long a consumer of an SPSC ring that catches up with its
 * producer in the middle of a stream waits before it looks at the ring
 * again ("temporal slipping"). A receive that finds the ring empty after
 * this handle took 16 or more messages since it last found it empty
 * waits @slip_ns, reading nothing, within its spin (never longer than
 * the spin or the call's timeout), and then waits as usual. Reading at
 * once would pull the cache line the producer is writing to this CPU
 * and back on every message, which slows both sides; after the slip the
 * producer is some messages ahead. A message that arrives during the
 * slip waits for the rest of it; a consumer that takes one message at a
 * time (request and response) never slips. 0 turns it off. The default
 * is SHMRING_DEFAULT_SLIP_NS. Subscribers of a broadcast ring slip
 * likewise; MPMC handles ignore it.
 *
 * @return 0, or -EINVAL for a NULL handle.
 */
SHMRING_API int shmring_set_slip(struct shmring *r, uint64_t slip_ns);
#define SHMRING_DEFAULT_SLIP_NS ((uint64_t)2000)

/**
 * Say whether the object called @name is a ring a process could open,
 * and if not, why: for tools that survey shared memory, and for error
 * messages better than "-EPROTO". Maps the object read-only, changes
 * nothing, does not wait (a ring being created at that moment reads as
 * one whose creation never finished; shmring_open() waits for it).
 *
 * @param name  a ring name, as for shmring_open()
 * @param why   receives one line saying what was found (the first check
 *              that fails: "truncated: ...", "layout version ...",
 *              "inconsistent header: capacity 3 is not a power of two",
 *              ...), NUL-terminated and cut to @len bytes; NULL with
 *              @len 0 when only the verdict is wanted
 * @return 0 for a usable ring; -ENOMSG when the object does not carry
 *         the shmring magic (another program's object; shmring_open()
 *         says -EPROTO for it too); -EPROTO for a shmring region that
 *         cannot be used (corrupt or inconsistent header, another layout
 *         version, creation unfinished); -EINVAL for a bad name, or @why
 *         NULL with @len not 0; -ENOENT, -EACCES, -ENOMEM and the errors
 *         of opening the object as for shmring_open().
 */
SHMRING_API int shmring_check(const char *name, char *why, size_t len);

/**
 * Move the cursor of a subscriber of a broadcast ring: @whence
 * SHMRING_SEEK_OLDEST goes back to the oldest message still intact in
 * the ring (history for a late joiner), SHMRING_SEEK_NEWEST skips every
 * message published so far. A peeked message is dropped. Messages
 * skipped or replayed so are not counted by shmring_lost().
 *
 * @return 0, or -EINVAL (NULL handle, bad @whence, not a broadcast
 *   ring), -EPERM (the handle is not a subscriber), -EBADMSG (the
 *   ring's shared state is corrupt).
 */
SHMRING_API int shmring_seek(struct shmring *r, int whence);

/**
 * List up to @n subscribers of a broadcast ring into @subs: each one's
 * position, how far behind the publisher it is, and what it lost. Works
 * on any handle, a read-only monitor (role 0) included; a snapshot.
 *
 * @return the number of entries filled, or -EINVAL (NULL arguments, or
 *   not a broadcast ring).
 */
SHMRING_API int shmring_subscribers(struct shmring *r,
				    struct shmring_subscriber *subs, size_t n);

/**
 * Store in *count how many messages this subscriber missed because the
 * publisher of an overwrite-mode broadcast ring overtook it. Always 0
 * for back-pressure and other kinds of ring.
 *
 * @return 0, or -EINVAL (NULL argument), -EPERM (not a consumer).
 */
SHMRING_API int shmring_lost(struct shmring *r, uint64_t *count);

/**
 * A descriptor that polls readable (POLLIN on it, with poll, select,
 * epoll level- or edge-triggered, libuv, libevent) when a call on @r in
 * the direction of @events would not return -EAGAIN: for POLLIN (a
 * consumer), a message, end of stream or an error to report; for POLLOUT
 * (a producer), room for a max_msg message, or -EPIPE. Owned by the
 * handle: the same one on every call for the same @events, closed by
 * shmring_close(); never close it yourself. Re-arming rule: it stays
 * readable until a call in that direction returns -EAGAIN (or
 * -ETIMEDOUT); from then on it turns readable again as soon as the
 * condition holds. Readiness may be spurious (the call then returns
 * -EAGAIN and re-arms it), never missed. Per process: a forked child
 * that calls it gets a descriptor of its own. See shmring_poll_fd(3).
 *
 * @param events POLLIN or POLLOUT (from <poll.h>), not both.
 * @return the descriptor (>= 0), or -EINVAL (NULL handle, @events not
 *         exactly one of POLLIN, POLLOUT), -EPERM (the handle does not
 *         hold the role for that direction), -ENOMEM, -EMFILE, -ENFILE.
 */
SHMRING_API int shmring_poll_fd(struct shmring *r, short events);

/** One ring for shmring_poll(): @events in, @revents out (as poll(2)). */
struct shmring_pollitem {
	struct shmring *ring;
	short events;  /**< POLLIN, POLLOUT or both */
	short revents; /**< POLLIN, POLLOUT, POLLHUP (end of stream) */
};
#define SHMRING_POLL_MAX 128 /**< items one shmring_poll() call takes */

/**
 * poll(2) over rings of any kinds, backings and directions: wait until
 * at least one item is ready (as shmring_poll_fd() defines it) or
 * @timeout_ns passes (-1 forever, 0 never waits), and set every item's
 * revents: POLLIN, POLLOUT, and POLLHUP with it where the call would
 * return -EPIPE (end of stream, or no consumer left).
 *
 * @return how many items are ready, 0 on timeout, or -EINVAL (NULL
 *         @items or ring, @n 0 or above SHMRING_POLL_MAX, no POLLIN/POLLOUT in
 *         an item's events), -EPERM (an item asks a direction its
 *         handle has no role for), -EINTR (a signal handler ran while
 *         it slept).
 */
SHMRING_API int shmring_poll(struct shmring_pollitem *items, unsigned n,
			     int64_t timeout_ns);

/**
 * Describe an error code returned by this library (e.g. -EPIPE).
 * @return a static string, never NULL.
 */
SHMRING_API const char *shmring_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* SHMRING_H */
