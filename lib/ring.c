/*
 * ring.c - the public entry points: create, open, close, unlink; header
 * validation; argument checks and dispatch to the ring kinds.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>

#include "atomics.h"
#include "internal.h"
#include "spsc_fast.h"

#define PAGE 4096u
#define MIN_CAPACITY 256u
#define MAX_CAPACITY (UINT64_C(1) << 40)
#define MAX_SLOTS (UINT64_C(1) << 32)
/* Huge page sizes Linux offers: 64 KiB (arm64, ppc64) to 16 GiB. */
#define MIN_HUGE_PAGE (UINT64_C(1) << 16)
#define MAX_HUGE_PAGE (UINT64_C(1) << 34)
#define OPEN_WAIT_NS (1000 * NSEC_PER_MSEC)

_Static_assert(APP_AREA_SIZE == SHMRING_APP_AREA_SIZE, "app area size");

static const char *error_text(int err);

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static uint64_t page_round(uint64_t v)
{
	return (v + PAGE - 1) & ~(uint64_t)(PAGE - 1);
}

/* Largest payload whose record fits twice in @cap bytes (see spsc.c). */
static uint64_t spsc_max_msg_for(uint64_t cap)
{
	return cap / 2 - REC_HDR_SIZE;
}

/* The same for a broadcast ring, whose records carry a number. */
static uint64_t bcast_max_msg_for(uint64_t cap)
{
	return cap / 2 - REC_HDR_SIZE - BCAST_SEQ_SIZE;
}

/*
 * A byte ring's geometry (SPSC; BCAST, whose records carry a message
 * number and whose data area ends with the subscriber table, layout.h).
 */
static int geometry_bytes(const struct shmring_opts *o, struct shmring_hdr *g,
			  bool bcast)
{
	g->capacity = o->capacity ? o->capacity : SHMRING_DEFAULT_CAPACITY;
	if (!is_pow2(g->capacity) || g->capacity < MIN_CAPACITY ||
	    g->capacity > MAX_CAPACITY)
		return -EINVAL;
	uint64_t most = bcast ? bcast_max_msg_for(g->capacity) :
				spsc_max_msg_for(g->capacity);
	if (o->max_msg) {
		g->max_msg = o->max_msg;
		if (g->max_msg > most ||
		    (!bcast && g->max_msg > SHMRING_MAX_MSG_LIMIT))
			return -EINVAL;
	} else {
		g->max_msg = SHMRING_DEFAULT_MAX_MSG < most ?
				     SHMRING_DEFAULT_MAX_MSG : most;
	}
	g->data_size = g->capacity + (bcast ? BCAST_TABLE_SIZE : 0);
	if (bcast)
		g->flags = o->flags & SHMRING_OVERWRITE;
	return 0;
}

/* An MPMC ring's geometry: slots of a fixed size. */
static int geometry_slots(const struct shmring_opts *o, struct shmring_hdr *g)
{
	g->capacity = o->capacity ? o->capacity : SHMRING_DEFAULT_SLOTS;
	if (!is_pow2(g->capacity) || g->capacity < 2 || g->capacity > MAX_SLOTS)
		return -EINVAL;
	g->max_msg = o->max_msg ? o->max_msg : SHMRING_DEFAULT_MPMC_MAX_MSG;
	if (g->max_msg > SHMRING_MAX_MSG_LIMIT)
		return -EINVAL;
	g->slot_size = mpmc_slot_size(g->max_msg);
	if (g->slot_size > MAX_CAPACITY / g->capacity)
		return -EINVAL;
	g->data_size = g->capacity * g->slot_size;
	return 0;
}

/* Geometry from options: the one place defaults and limits are applied. */
static int geometry(const struct shmring_opts *o, struct shmring_hdr *g)
{
	memset(g, 0, sizeof(*g));
	unsigned flags = SHMRING_HUGE_PAGES;
	if (o->kind == SHMRING_BCAST)
		flags |= SHMRING_OVERWRITE;
	if ((o->flags & ~flags) || (o->mode & ~07777u))
		return -EINVAL;
	int ret;
	switch (o->kind) {
	case SHMRING_SPSC:
	case SHMRING_BCAST:
		ret = geometry_bytes(o, g, o->kind == SHMRING_BCAST);
		break;
	case SHMRING_MPMC:
		ret = geometry_slots(o, g);
		break;
	default:
		return -EINVAL;
	}
	if (ret)
		return ret;
	g->kind = (uint32_t)o->kind;
	g->data_off = SHMRING_HDR_SIZE;
	g->region_size = SHMRING_HDR_SIZE + page_round(g->data_size);
	g->mode = o->mode ? o->mode : SHMRING_DEFAULT_MODE;
	return 0;
}

/*
 * The region is the header page and the data area (@need bytes), rounded
 * up to the page that backs it: a 4 KiB page (@need itself), or a huge
 * page when the ring was created on huge pages. The header does not say
 * which, so @size is accepted exactly when it is such a rounding: @need
 * rounded up to the largest power of two dividing @size, a huge page
 * size, gives @size back.
 */
static bool region_size_ok(uint64_t size, uint64_t need)
{
	if (size == need)
		return true;
	uint64_t unit = size & -size;
	return size > need && unit >= MIN_HUGE_PAGE && unit <= MAX_HUGE_PAGE &&
	       size - need < unit;
}

/* Say why a header is refused into @why (when asked); -EPROTO. */
static __attribute__((format(printf, 3, 4))) int
refuse(char *why, size_t len, const char *fmt, ...)
{
	if (why && len) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return -EPROTO;
}

static int validate_spsc(const struct shmring_hdr *h, char *why, size_t len)
{
	if (h->capacity < MIN_CAPACITY || h->capacity > MAX_CAPACITY)
		return refuse(why, len, "inconsistent header: capacity %" PRIu64
			      " out of range", h->capacity);
	if (h->data_size != h->capacity || h->slot_size != 0)
		return refuse(why, len, "inconsistent header: data size %" PRIu64
			      ", capacity %" PRIu64 ", slot size %" PRIu64,
			      h->data_size, h->capacity, h->slot_size);
	if (h->max_msg == 0 || h->max_msg > SHMRING_MAX_MSG_LIMIT ||
	    h->max_msg > spsc_max_msg_for(h->capacity))
		return refuse(why, len, "inconsistent header: max_msg %" PRIu64
			      " for capacity %" PRIu64, h->max_msg, h->capacity);
	return 0;
}

static int validate_bcast(const struct shmring_hdr *h, char *why, size_t len)
{
	if (h->capacity < MIN_CAPACITY || h->capacity > MAX_CAPACITY)
		return refuse(why, len, "inconsistent header: capacity %" PRIu64
			      " out of range", h->capacity);
	if (h->data_size != h->capacity + BCAST_TABLE_SIZE || h->slot_size != 0)
		return refuse(why, len, "inconsistent header: data size %" PRIu64
			      ", capacity %" PRIu64 ", slot size %" PRIu64,
			      h->data_size, h->capacity, h->slot_size);
	if (h->max_msg > bcast_max_msg_for(h->capacity))
		return refuse(why, len, "inconsistent header: max_msg %" PRIu64
			      " for capacity %" PRIu64, h->max_msg, h->capacity);
	return 0;
}

static int validate_mpmc(const struct shmring_hdr *h, char *why, size_t len)
{
	if (h->capacity < 2 || h->capacity > MAX_SLOTS)
		return refuse(why, len, "inconsistent header: %" PRIu64
			      " slots, out of range", h->capacity);
	if (h->max_msg > SHMRING_MAX_MSG_LIMIT ||
	    h->slot_size != mpmc_slot_size(h->max_msg) ||
	    h->slot_size > MAX_CAPACITY / h->capacity ||
	    h->data_size != h->capacity * h->slot_size)
		return refuse(why, len, "inconsistent header: max_msg %" PRIu64
			      ", slot size %" PRIu64 ", data size %" PRIu64,
			      h->max_msg, h->slot_size, h->data_size);
	return 0;
}

/*
 * Is this header one we can trust for indexing? Every size field is
 * checked against the others and against the object's real size. The
 * first check that fails says why in @why (NULL: not asked).
 */
static int validate(const struct shmring_hdr *h, size_t mapped, char *why,
		    size_t len)
{
	if (h->magic != SHMRING_MAGIC)
		return refuse(why, len, "not a shmring region");
	if (h->version != SHMRING_LAYOUT_VERSION)
		return refuse(why, len, "layout version %" PRIu32
			      ", this library reads %u", h->version,
			      SHMRING_LAYOUT_VERSION);
	if (h->kind != SHMRING_SPSC && h->kind != SHMRING_MPMC &&
	    h->kind != SHMRING_BCAST)
		return refuse(why, len, "unknown ring kind %" PRIu32, h->kind);
	if (!is_pow2(h->capacity))
		return refuse(why, len, "inconsistent header: capacity %" PRIu64
			      " is not a power of two", h->capacity);
	if (h->data_off != SHMRING_HDR_SIZE || h->region_size != mapped)
		return refuse(why, len, "inconsistent header: region size %" PRIu64
			      ", object size %zu", h->region_size, mapped);
	if (h->flags & ~(h->kind == SHMRING_BCAST ? SHMRING_OVERWRITE : 0u))
		return refuse(why, len, "inconsistent header: flags 0x%" PRIx32,
			      h->flags);
	int ret;
	switch (h->kind) {
	case SHMRING_MPMC:
		ret = validate_mpmc(h, why, len);
		break;
	case SHMRING_BCAST:
		ret = validate_bcast(h, why, len);
		break;
	default:
		ret = validate_spsc(h, why, len);
		break;
	}
	if (ret)
		return ret;
	if (!region_size_ok(h->region_size,
			    SHMRING_HDR_SIZE + page_round(h->data_size)))
		return refuse(why, len, "inconsistent header: region size %" PRIu64
			      " for data size %" PRIu64, h->region_size,
			      h->data_size);
	return 0;
}

static int check_role(int role)
{
	return (role & ~(SHMRING_PRODUCER | SHMRING_CONSUMER)) ? -EINVAL : 0;
}

static struct shmring *handle_new(void)
{
	struct shmring *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->reg.fd = -1;
	peer_init(r);
	/*
	 * On a machine with one CPU a spinning waiter only delays the
	 * process it waits for: sleep at once there. (Not the affinity
	 * mask: processes pinned to one CPU each are the common fast case.)
	 */
	r->spin_ns = sysconf(_SC_NPROCESSORS_ONLN) == 1 ? 0 :
							 SHMRING_DEFAULT_SPIN_NS;
	r->slip_ns = SHMRING_DEFAULT_SLIP_NS;
	return r;
}

/*
 * Reap the dead peers peer.c marked (peer_dead()): the ring kind recovers
 * what each had claimed, peer.c frees its entry, the wait layer takes its
 * announcement down and wakes the sleepers, who look again. An entry
 * whose claim cannot be recovered yet goes back, for a later look.
 */
static void reap_dead(struct shmring *r)
{
	uint32_t dead = peer_dead(r);
	for (int i = 0; dead; i++, dead >>= 1) {
		if (!(dead & 1))
			continue;
		uint64_t claim = peer_dead_claim(r, i);
		if (r->kind == SHMRING_MPMC && claim != CLAIM_NONE &&
		    !mpmc_recover(r, claim, i)) {
			peer_dead_keep(r, i);
			continue;
		}
		wait_forget(r, i);
		peer_dead_free(r, i);
	}
	wait_wake_all(r);
}

/* Take the trusted geometry into the handle and attach in @role. */
static int attach(struct shmring *r, int role, const struct shmring_hdr *id)
{
	r->hdr = r->reg.base;
	r->kind = id->kind;
	r->cap = id->capacity;
	r->mask = id->capacity - 1;
	r->max_msg = id->max_msg;
	r->slot_size = id->slot_size;
	r->data = (unsigned char *)r->reg.base + SHMRING_HDR_SIZE;
	r->role = role;
	r->overwrite = (id->flags & SHMRING_OVERWRITE) != 0;
	int ret = peer_self_id(&r->self_id);
	if (ret)
		return ret;
	if (role) {
		r->light_fence = wait_register();
		ret = peer_attach(r, role);
		/* A full table may hold dead peers: reap them, then again. */
		if (ret == -EUSERS && peer_find_dead(r)) {
			reap_dead(r);
			ret = peer_attach(r, role);
		}
		wait_wake_all(r);
		if (ret)
			return ret;
	}
	/*
	 * SPSC after: the positions are read once the role is ours, so that
	 * a predecessor that closes meanwhile has published its last one
	 * (A4 in peer.c, acquired by our attach CAS).
	 */
	if (r->kind == SHMRING_SPSC)
		spsc_init(r);
	if (r->kind == SHMRING_BCAST)
		return bcast_init(r);
	return 0;
}

/*
 * The region is fresh and zero-filled: fill in the identity, then publish
 * READY last. An opener that sees READY sees all of it.
 */
static void format(struct shmring_hdr *h, const struct shmring_hdr *g)
{
	h->magic = SHMRING_MAGIC;
	h->version = SHMRING_LAYOUT_VERSION;
	h->kind = g->kind;
	h->flags = g->flags;
	h->capacity = g->capacity;
	h->max_msg = g->max_msg;
	h->slot_size = g->slot_size;
	h->data_off = g->data_off;
	h->data_size = g->data_size;
	h->region_size = g->region_size;
	h->mode = g->mode;
	h->creator_pid = (uint32_t)getpid();
	uint64_t start;
	if (peer_self_start(&start) == 0)
		h->creator_start = start;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	h->created_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	if (g->kind == SHMRING_MPMC)
		mpmc_format(h, (unsigned char *)h + SHMRING_HDR_SIZE);
	/* I1: release pairs with I2 in open: the identity is visible first. */
	store_release(&h->state, SHMRING_STATE_READY);
}

/*
 * Create a ring: in the named object @name, or (name NULL) in unnamed
 * memory of kind @unnamed. On failure nothing is left behind.
 */
static int create(const char *name, int unnamed, const struct shmring_opts *o,
		  int role, struct shmring **out)
{
	static const struct shmring_opts defaults;
	struct shmring_hdr g;
	if (!out || check_role(role))
		return -EINVAL;
	int ret = name ? region_check_name(name) : 0;
	if (ret)
		return ret;
	ret = geometry(o ? o : &defaults, &g);
	if (ret)
		return ret;

	struct shmring *r = handle_new();
	if (!r)
		return -ENOMEM;
	int huge = o && (o->flags & SHMRING_HUGE_PAGES);
	ret = name ? region_create(name, g.region_size, g.mode, huge, &r->reg) :
		     region_create_unnamed(unnamed, g.region_size, huge,
					   &r->reg);
	if (ret) {
		free(r);
		return ret;
	}
	/* Huge pages round the region up: the header records what is mapped. */
	g.region_size = r->reg.size;
	format(r->reg.base, &g);
	ret = region_share(&r->reg);
	if (!ret)
		ret = attach(r, role, &g);
	if (ret) {
		wait_fini(r);
		peer_fini(r);
		region_close(&r->reg);
		if (name)
			region_unlink(name);
		free(r);
		return ret;
	}
	*out = r;
	return 0;
}

SHMRING_API int shmring_create(const char *name, const struct shmring_opts *o,
			       int role, struct shmring **out)
{
	if (!name)
		return -EINVAL;
	return create(name, 0, o, role, out);
}

SHMRING_API int shmring_create_anon(const struct shmring_opts *o,
				    struct shmring **out)
{
	return create(NULL, REGION_ANON, o, 0, out);
}

SHMRING_API int shmring_create_memfd(const struct shmring_opts *o, int role,
				     struct shmring **out)
{
	return create(NULL, REGION_MEMFD, o, role, out);
}

/* A mapped region becomes a handle: validated, then attached in @role. */
static int adopt(struct shmring *r, int role, struct shmring **out)
{
	struct shmring_hdr *h = r->reg.base;
	/*
	 * The identity is copied once and only the copy is validated and
	 * used: a peer rewriting the header meanwhile cannot make us use a
	 * field other than the one we checked.
	 */
	struct shmring_hdr *copy = malloc(sizeof(*copy)); /* 4 KiB */
	int ret = copy ? 0 : -ENOMEM;
	/* I2: acquire pairs with I1 in create. */
	if (!ret && load_acquire(&h->state) != SHMRING_STATE_READY)
		ret = -EPROTO;
	if (!ret) {
		memcpy(copy, h, offsetof(struct shmring_hdr, ever_roles));
		ret = validate(copy, r->reg.size, NULL, 0);
	}
	if (!ret)
		ret = region_share(&r->reg);
	if (!ret)
		ret = attach(r, role, copy);
	free(copy);
	if (ret) {
		wait_fini(r);
		peer_fini(r);
		region_close(&r->reg);
		free(r);
		return ret;
	}
	*out = r;
	return 0;
}

/*
 * For tests and fuzzers only (hidden, reachable when linking the static
 * library): a handle over @size bytes at @base that the caller owns and
 * keeps mapped, validated and attached exactly as an opened region.
 */
int ring_adopt_memory(void *base, size_t size, int role, struct shmring **out)
{
	if (!base || !out || check_role(role) || size < SHMRING_HDR_SIZE)
		return -EINVAL;
	struct shmring *r = handle_new();
	if (!r)
		return -ENOMEM;
	r->reg.base = base;
	r->reg.size = size;
	r->reg.shmid = -1;
	r->reg.kind = REGION_BORROWED;
	r->reg.writable = 1;
	return adopt(r, role, out);
}

SHMRING_API int shmring_open_fd(int fd, int role, struct shmring **out)
{
	if (!out || check_role(role) || fd < 0)
		return -EINVAL;
	struct shmring *r = handle_new();
	if (!r)
		return -ENOMEM;
	int ret = region_open_fd(fd, role != 0, SHMRING_HDR_SIZE, &r->reg);
	if (ret) {
		free(r);
		return ret == -EBADF ? -EINVAL : ret;
	}
	return adopt(r, role, out);
}

SHMRING_API int shmring_attach(struct shmring *r, int role,
			       struct shmring **out)
{
	if (!r || !out || check_role(role))
		return -EINVAL;
	struct shmring *n = handle_new();
	if (!n)
		return -ENOMEM;
	int ret = region_dup(&r->reg, role != 0, &n->reg);
	if (ret) {
		free(n);
		return ret;
	}
	return adopt(n, role, out);
}

SHMRING_API int shmring_fd(struct shmring *r)
{
	if (!r || r->reg.fd < 0 || r->reg.kind != REGION_MEMFD)
		return -EINVAL;
	return r->reg.fd;
}

SHMRING_API int shmring_send_fd(int sock, int fd)
{
	if (sock < 0 || fd < 0)
		return -EINVAL;
	return region_send_fd(sock, fd);
}

SHMRING_API int shmring_recv_fd(int sock, int *fd)
{
	if (sock < 0 || !fd)
		return -EINVAL;
	return region_recv_fd(sock, fd);
}

SHMRING_API int shmring_sync(struct shmring *r)
{
	if (!r)
		return -EINVAL;
	/* Only a file outlives a reboot; for the rest there is nothing to do. */
	if (r->reg.kind != REGION_FILE)
		return 0;
	return msync(r->reg.base, r->reg.size, MS_SYNC) < 0 ? -errno : 0;
}

/*
 * Map @name and wait, a bounded time, until its creator has published
 * READY: an object still too short or INITIALISING may be a ring being
 * created right now.
 */
static int map_ready(const char *name, int writable, struct region *reg)
{
	int64_t deadline = now_ns() + OPEN_WAIT_NS;
	for (;;) {
		int ret = region_open(name, writable, SHMRING_HDR_SIZE, reg);
		if (ret == 0) {
			struct shmring_hdr *h = reg->base;
			/* I3: acquire pairs with I1 in create, as I2. */
			uint32_t state = load_acquire(&h->state);
			/* READY: adopt() validates a copy of the header. */
			if (state == SHMRING_STATE_READY)
				return 0;
			region_close(reg);
			if (state != SHMRING_STATE_INITIALISING)
				return -EPROTO;
		} else if (ret != -EPROTO) {
			return ret;
		}
		if (now_ns() >= deadline)
			return -EPROTO;
		struct timespec pause = { 0, 2 * NSEC_PER_MSEC };
		nanosleep(&pause, NULL);
	}
}

SHMRING_API int shmring_open(const char *name, int role, struct shmring **out)
{
	if (!out || check_role(role))
		return -EINVAL;
	int ret = region_check_name(name);
	if (ret)
		return ret;
	struct shmring *r = handle_new();
	if (!r)
		return -ENOMEM;
	/* Role 0 is a monitor: a read-only mapping, nothing written. */
	ret = map_ready(name, role != 0, &r->reg);
	if (ret) {
		free(r);
		return ret;
	}
	return adopt(r, role, out);
}

SHMRING_API int shmring_close(struct shmring *r)
{
	if (!r)
		return -EINVAL;
	/*
	 * A handle inherited across fork() names its parent in the peer
	 * table: closing it in the child only unmaps, it detaches nobody.
	 */
	poll_fini(r);
	if (r->role && peer_owns(r)) {
		/* Dead peers marked and not yet reaped: not left marked. */
		if (peer_dead(r))
			reap_dead(r);
		if (r->kind == SHMRING_MPMC)
			mpmc_close(r);
		peer_detach(r);
		wait_wake_all(r);
	}
	wait_fini(r);
	peer_fini(r);
	region_close(&r->reg);
	free(r);
	return 0;
}

SHMRING_API int shmring_unlink(const char *name)
{
	int ret = region_check_name(name);
	if (ret)
		return ret;
	/*
	 * A file: name could be any file of the caller's: remove it only if
	 * it is a ring (POSIX and System V names live in their own spaces).
	 */
	if (!strncmp(name, "file:", 5)) {
		struct region reg;
		ret = region_open(name, 0, SHMRING_HDR_SIZE, &reg);
		if (ret)
			return ret;
		bool ring = ((struct shmring_hdr *)reg.base)->magic == SHMRING_MAGIC;
		region_close(&reg);
		if (!ring)
			return -EPROTO;
	}
	return region_unlink(name);
}

/*
 * Why the region mapped at @reg is not a ring a monitor could open, as
 * shmring_check() reports it: -ENOMSG without the magic, -EPROTO with the
 * first check that fails, or 0.
 */
static int diagnose(struct region *reg, char *why, size_t len)
{
	struct shmring_hdr *h = reg->base;
	if (reg->size < sizeof(h->magic) || h->magic != SHMRING_MAGIC) {
		refuse(why, len, "not a shmring region");
		return -ENOMSG;
	}
	if (reg->size < SHMRING_HDR_SIZE)
		return refuse(why, len, "truncated: %zu bytes, the header alone "
			      "is %u", reg->size, SHMRING_HDR_SIZE);
	/* I4: acquire pairs with I1 in create, as I2. */
	uint32_t state = load_acquire(&h->state);
	if (state == SHMRING_STATE_INITIALISING)
		return refuse(why, len, "its creation never finished");
	if (state != SHMRING_STATE_READY)
		return refuse(why, len, "bad state word 0x%08" PRIx32, state);
	/* A copy, as adopt() validates one. */
	struct shmring_hdr *copy = malloc(sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	memcpy(copy, h, offsetof(struct shmring_hdr, ever_roles));
	int ret = validate(copy, reg->size, why, len);
	free(copy);
	return ret;
}

SHMRING_API int shmring_check(const char *name, char *why, size_t len)
{
	if (!why && len)
		return -EINVAL;
	if (why && len)
		why[0] = '\0';
	int ret = region_check_name(name);
	if (ret)
		return ret;
	struct region reg;
	/* Read-only, whatever its size: the checks say what is wrong. */
	ret = region_open(name, 0, 1, &reg);
	if (ret == -EPROTO) {
		/* Empty, or not a regular file or segment. */
		refuse(why, len, "not a shmring region");
		return -ENOMSG;
	}
	if (!ret) {
		ret = diagnose(&reg, why, len);
		region_close(&reg);
	}
	if (ret && why && len && !why[0])
		snprintf(why, len, "%s", error_text(ret));
	else if (!ret && why && len)
		snprintf(why, len, "a usable ring");
	return ret;
}

/* ---- messages ------------------------------------------------------- */

/* Does @r hold @role? -EINVAL for no handle, -EPERM for another role. */
static int check_holds(struct shmring *r, int role)
{
	if (!r)
		return -EINVAL;
	return (r->role & role) ? 0 : -EPERM;
}

/*
 * The ring kinds' calls that may wait, each with what the layers below
 * report done here: a call that found a dead peer returns PEER_DEAD
 * before it took or gave anything; reap it (reap_dead()), then call again
 * for the time the wait had left (r->wait_left, kept by wait_for()).
 */
#define KIND_CALL(r, fn, ...)                                                 \
	((r)->kind == SHMRING_MPMC  ? mpmc_##fn((r), __VA_ARGS__) :           \
	 (r)->kind == SHMRING_BCAST ? bcast_##fn((r), __VA_ARGS__) :          \
				      spsc_##fn((r), __VA_ARGS__))

/* The body of each kind_*() below: the call, then reap and call again. */
#define KIND_RETRY(type, r, timeout_ns, fn, ...)                              \
	for (;;) {                                                            \
		(r)->wait_left = (timeout_ns);                                \
		type ret_ = KIND_CALL(r, fn, __VA_ARGS__);                    \
		if (ret_ != PEER_DEAD)                                        \
			return ret_;                                          \
		reap_dead(r);                                                 \
		(timeout_ns) = (r)->wait_left;                                \
	}

static int kind_send(struct shmring *r, const struct iovec *msgs, size_t n,
		     int64_t timeout_ns)
{
	KIND_RETRY(int, r, timeout_ns, send_burst, msgs, n, timeout_ns);
}

static int kind_recv(struct shmring *r, struct iovec *bufs, size_t n,
		     int64_t timeout_ns)
{
	KIND_RETRY(int, r, timeout_ns, recv_burst, bufs, n, timeout_ns);
}

static int kind_reserve(struct shmring *r, size_t len, void **buf,
			int64_t timeout_ns)
{
	KIND_RETRY(int, r, timeout_ns, reserve, len, buf, timeout_ns);
}

static ssize_t kind_peek(struct shmring *r, const void **msg,
			 int64_t timeout_ns)
{
	KIND_RETRY(ssize_t, r, timeout_ns, peek, msg, timeout_ns);
}

/* The readiness of one ring kind; PEER_DEAD as the kinds' calls return it. */
static int kind_ready(struct shmring *r, bool in)
{
	switch (r->kind) {
	case SHMRING_SPSC:
		return spsc_ready(r, in);
	case SHMRING_MPMC:
		return mpmc_ready(r, in);
	case SHMRING_BCAST:
		return in ? bcast_can_recv(r) : bcast_can_send(r);
	default:
		return 1; /* unknown: readable, the call says why */
	}
}

/*
 * Readiness of @r in direction *(int *)arg (1 in, 0 out), for poll.c: one
 * plain function per ring kind, chosen here, where the kinds are known. A
 * dead peer found on the way is reaped here, as after a call
 * (kind_send()), and the kind asked again.
 */
static int ring_ready(struct shmring *r, void *arg)
{
	bool in = *(int *)arg;
	for (;;) {
		int ret = kind_ready(r, in);
		if (ret != PEER_DEAD)
			return ret;
		reap_dead(r);
	}
}

/*
 * After a call in direction @dir: one that found the ring empty (full)
 * re-arms the handle's descriptor for that direction, if it has one
 * (poll.c). A branch on a result the fast path returns anyway.
 */
static inline __attribute__((always_inline)) ssize_t
rearm_after(struct shmring *r, ssize_t ret, int dir)
{
	if (__builtin_expect(ret == -EAGAIN || ret == -ETIMEDOUT, 0) &&
	    r->pd[dir])
		poll_rearm(r, dir, ring_ready);
	return ret;
}

/*
 * The public calls below go through these, never through each other: a
 * call to an exported function from inside the library goes through the
 * PLT, which costs on a path measured in nanoseconds.
 */
static int send_burst(struct shmring *r, const struct iovec *msgs, size_t n,
		      int64_t timeout_ns)
{
	int ret = check_holds(r, SHMRING_PRODUCER);
	if (ret)
		return ret;
	if (!msgs && n)
		return -EINVAL;
	if (r->rsv_open)
		return -EBUSY;
	if (n > INT32_MAX)
		n = INT32_MAX;
	return kind_send(r, msgs, n, timeout_ns);
}

SHMRING_API int shmring_send_burst(struct shmring *r, const struct iovec *msgs,
				   size_t n, int64_t timeout_ns)
{
	return (int)rearm_after(r, send_burst(r, msgs, n, timeout_ns), 0);
}

/*
 * One message as a burst of one, through the ring kind's general path:
 * the SPSC fast paths' way out (spsc_fast.h), and shmring_send() and
 * shmring_recv() for every other handle (send_one(), recv_one()). Then
 * the fast paths again with memcpy(), for a message over 64 bytes.
 */
__attribute__((noinline)) int spsc_send1_slow(struct shmring *r,
					      const void *msg, size_t len,
					      int64_t timeout_ns)
{
	struct iovec v = { .iov_base = (void *)msg, .iov_len = len };
	int ret = kind_send(r, &v, 1, timeout_ns);
	return ret < 0 ? ret : 0;
}

__attribute__((noinline)) int spsc_send1_large(struct shmring *r,
					       const void *msg, size_t len,
					       int64_t timeout_ns)
{
	return spsc_send1_body(r, msg, len, timeout_ns, false);
}

__attribute__((noinline)) ssize_t spsc_recv1_slow(struct shmring *r,
						  void *buf, size_t cap,
						  int64_t timeout_ns)
{
	/* An SPSC receive that waits spins on the next header alone first. */
	if (r->kind == SHMRING_SPSC) {
		ssize_t got = spsc_recv1_await(r, buf, cap, &timeout_ns);
		if (got != -EAGAIN)
			return got;
	}
	struct iovec v = { .iov_base = buf, .iov_len = cap };
	int ret = kind_recv(r, &v, 1, timeout_ns);
	return ret < 0 ? ret : (ssize_t)v.iov_len;
}

__attribute__((noinline)) ssize_t spsc_recv1_large(struct shmring *r,
						   void *buf, size_t cap,
						   int64_t timeout_ns)
{
	return spsc_recv1_body(r, buf, cap, timeout_ns, false);
}

/* shmring_send() when the SPSC fast path is not for this call or handle. */
static __attribute__((noinline)) int send_one(struct shmring *r,
					      const void *msg, size_t len,
					      int64_t timeout_ns)
{
	if (!msg && len)
		return -EINVAL;
	int ret = check_holds(r, SHMRING_PRODUCER);
	if (ret)
		return ret;
	if (r->rsv_open)
		return -EBUSY;
	return spsc_send1_slow(r, msg, len, timeout_ns);
}

/*
 * A producer of an SPSC ring with no reservation open takes the fast path
 * in line; everything else goes to send_one(), out of line, so that the
 * fast path saves no registers for it.
 */
static inline __attribute__((always_inline)) int
send1(struct shmring *r, const void *msg, size_t len, int64_t timeout_ns)
{
	if (r && r->kind == SHMRING_SPSC && (r->role & SHMRING_PRODUCER) &&
	    !r->rsv_open && (msg || !len))
		return spsc_send1(r, msg, len, timeout_ns);
	return send_one(r, msg, len, timeout_ns);
}

SHMRING_API int shmring_send(struct shmring *r, const void *msg, size_t len,
			     int64_t timeout_ns)
{
	return (int)rearm_after(r, send1(r, msg, len, timeout_ns), 0);
}

SHMRING_API int shmring_try_send(struct shmring *r, const void *msg, size_t len)
{
	return (int)rearm_after(r, send1(r, msg, len, 0), 0);
}

static int recv_burst(struct shmring *r, struct iovec *bufs, size_t n,
		      int64_t timeout_ns)
{
	int ret = check_holds(r, SHMRING_CONSUMER);
	if (ret)
		return ret;
	if (!bufs && n)
		return -EINVAL;
	if (n > INT32_MAX)
		n = INT32_MAX;
	return kind_recv(r, bufs, n, timeout_ns);
}

SHMRING_API int shmring_recv_burst(struct shmring *r, struct iovec *bufs,
				   size_t n, int64_t timeout_ns)
{
	return (int)rearm_after(r, recv_burst(r, bufs, n, timeout_ns), 1);
}

/* shmring_recv() when the SPSC fast path is not for this call or handle. */
static __attribute__((noinline)) ssize_t recv_one(struct shmring *r,
						  void *buf, size_t cap,
						  int64_t timeout_ns)
{
	if (!buf && cap)
		return -EINVAL;
	int ret = check_holds(r, SHMRING_CONSUMER);
	if (ret)
		return ret;
	return spsc_recv1_slow(r, buf, cap, timeout_ns);
}

/* As send1(), for a consumer of an SPSC ring. */
static inline __attribute__((always_inline)) ssize_t
recv1(struct shmring *r, void *buf, size_t cap, int64_t timeout_ns)
{
	if (r && r->kind == SHMRING_SPSC && (r->role & SHMRING_CONSUMER) &&
	    (buf || !cap))
		return spsc_recv1(r, buf, cap, timeout_ns);
	return recv_one(r, buf, cap, timeout_ns);
}

SHMRING_API ssize_t shmring_recv(struct shmring *r, void *buf, size_t cap,
				 int64_t timeout_ns)
{
	return rearm_after(r, recv1(r, buf, cap, timeout_ns), 1);
}

SHMRING_API ssize_t shmring_try_recv(struct shmring *r, void *buf, size_t cap)
{
	return rearm_after(r, recv1(r, buf, cap, 0), 1);
}

SHMRING_API int shmring_reserve(struct shmring *r, size_t len, void **buf,
				int64_t timeout_ns)
{
	int ret = check_holds(r, SHMRING_PRODUCER);
	if (ret)
		return ret;
	if (!buf)
		return -EINVAL;
	return (int)rearm_after(r, kind_reserve(r, len, buf, timeout_ns), 0);
}

SHMRING_API int shmring_commit(struct shmring *r, size_t len)
{
	int ret = check_holds(r, SHMRING_PRODUCER);
	if (ret)
		return ret;
	switch (r->kind) {
	case SHMRING_MPMC:
		return mpmc_commit(r, len);
	case SHMRING_BCAST:
		return bcast_commit(r, len);
	default:
		return spsc_commit(r, len);
	}
}

SHMRING_API ssize_t shmring_peek(struct shmring *r, const void **msg,
				 int64_t timeout_ns)
{
	int ret = check_holds(r, SHMRING_CONSUMER);
	if (ret)
		return ret;
	if (!msg)
		return -EINVAL;
	return rearm_after(r, kind_peek(r, msg, timeout_ns), 1);
}

SHMRING_API int shmring_release(struct shmring *r)
{
	int ret = check_holds(r, SHMRING_CONSUMER);
	if (ret)
		return ret;
	switch (r->kind) {
	case SHMRING_MPMC:
		return mpmc_release(r);
	case SHMRING_BCAST:
		return bcast_release(r);
	default:
		return spsc_release(r);
	}
}

SHMRING_API int shmring_seek(struct shmring *r, int whence)
{
	if (!r || r->kind != SHMRING_BCAST)
		return -EINVAL;
	int ret = check_holds(r, SHMRING_CONSUMER);
	return ret ? ret : bcast_seek(r, whence);
}

SHMRING_API int shmring_subscribers(struct shmring *r,
				    struct shmring_subscriber *subs, size_t n)
{
	if (!r || (!subs && n) || r->kind != SHMRING_BCAST)
		return -EINVAL;
	return bcast_list(r, subs, n);
}

SHMRING_API int shmring_lost(struct shmring *r, uint64_t *count)
{
	int ret = check_holds(r, SHMRING_CONSUMER);
	if (ret)
		return ret;
	if (!count)
		return -EINVAL;
	/* Only a broadcast ring in overwrite mode loses messages. */
	*count = r->kind == SHMRING_BCAST ? r->lost : 0;
	return 0;
}

/* Bytes (SPSC, BCAST) or slots (MPMC) in use now. */
static size_t used_of(struct shmring *r)
{
	switch (r->kind) {
	case SHMRING_MPMC:
		return mpmc_used(r);
	case SHMRING_BCAST:
		return bcast_used(r);
	default:
		return spsc_used(r);
	}
}

/* ---- readiness -------------------------------------------------------- */

SHMRING_API int shmring_poll_fd(struct shmring *r, short events)
{
	if (!r || (events != POLLIN && events != POLLOUT))
		return -EINVAL;
	int dir = events == POLLIN;
	int ret = check_holds(r, dir ? SHMRING_CONSUMER : SHMRING_PRODUCER);
	return ret ? ret : poll_fd(r, dir, ring_ready);
}

SHMRING_API int shmring_poll(struct shmring_pollitem *items, unsigned n,
			     int64_t timeout_ns)
{
	if (!items || !n || n > SHMRING_POLL_MAX)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		struct shmring *r = items[i].ring;
		short ev = items[i].events;
		if (!r || !(ev & (POLLIN | POLLOUT)))
			return -EINVAL;
		if (((ev & POLLIN) && check_holds(r, SHMRING_CONSUMER)) ||
		    ((ev & POLLOUT) && check_holds(r, SHMRING_PRODUCER)))
			return -EPERM;
	}
	return poll_rings(items, n, timeout_ns, ring_ready);
}

/* ---- information ---------------------------------------------------- */

SHMRING_API int shmring_info(struct shmring *r, struct shmring_info *info)
{
	if (!r || !info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->kind = (enum shmring_kind)r->kind;
	info->capacity = (size_t)r->cap;
	info->max_msg = (size_t)r->max_msg;
	info->region_size = r->reg.size;
	info->creator_pid = (pid_t)r->hdr->creator_pid;
	info->created_ns = r->hdr->created_ns;
	info->used = used_of(r);
	info->producers = peer_count(r, SHMRING_PRODUCER);
	info->consumers = peer_count(r, SHMRING_CONSUMER);
	info->layout_version = r->hdr->version;
	info->mode = r->hdr->mode;
	info->slot_size = (size_t)r->slot_size;
	/* Relaxed: a snapshot for display. */
	info->prod_pos = load_relaxed(&r->hdr->prod_pos);
	info->cons_pos = load_relaxed(&r->hdr->cons_pos);
	info->data_waiters = (unsigned)__builtin_popcount(
		load_relaxed(&r->hdr->data_wait.waiters));
	info->space_waiters = (unsigned)__builtin_popcount(
		load_relaxed(&r->hdr->space_wait.waiters));
	info->creator_alive = peer_pid_alive(r->hdr->creator_pid,
					     r->hdr->creator_start);
	info->flags = r->overwrite ? SHMRING_OVERWRITE : 0;
	if (r->kind == SHMRING_BCAST)
		info->oldest_pos = bcast_oldest(r);
	return 0;
}

SHMRING_API int shmring_peers(struct shmring *r, struct shmring_peer *peers,
			      size_t n)
{
	if (!r || (!peers && n))
		return -EINVAL;
	return peer_list(r, peers, n);
}

SHMRING_API int shmring_stats(struct shmring *r, struct shmring_stats *st)
{
	if (!r || !st)
		return -EINVAL;
	const struct shmring_hdr *h = r->hdr;
	const struct totals *t = &h->totals;
	/* Relaxed throughout: statistics, each counter read once. */
#define RD(x) load_relaxed(&(x))
	memset(st, 0, sizeof(*st));
	st->msgs_sent = RD(t->sent);
	st->bytes_sent = RD(t->sent_bytes);
	st->msgs_recv = RD(t->recvd);
	st->bytes_recv = RD(t->recvd_bytes);
	st->times_full = RD(t->full);
	st->times_empty = RD(t->empty);
	st->sleeps = RD(t->sleeps);
	st->wakeups = RD(t->wakeups);
	st->last_attach_ns = RD(t->last_attach_ns);
	st->last_detach_ns = RD(t->last_detach_ns);
	for (unsigned i = 0; i < PEER_SLOTS; i++) {
		if (!RD(h->peer_id[i]))
			continue;
		const struct peer_line *l = &h->claims[i];
		st->msgs_sent += RD(l->sent);
		st->bytes_sent += RD(l->sent_bytes);
		st->msgs_recv += RD(l->recvd);
		st->bytes_recv += RD(l->recvd_bytes);
		st->times_full += RD(l->full);
		st->times_empty += RD(l->empty);
		st->sleeps += RD(l->sleeps);
	}
#undef RD
	st->used = used_of(r);
	if (r->kind == SHMRING_BCAST)
		st->msgs_lost = bcast_lost_sum(r);
	st->producers = peer_count(r, SHMRING_PRODUCER);
	st->consumers = peer_count(r, SHMRING_CONSUMER);
	return 0;
}

SHMRING_API int shmring_app_area(struct shmring *r, void **area, size_t *size)
{
	if (!r || !area || !size)
		return -EINVAL;
	*area = r->hdr->app;
	*size = APP_AREA_SIZE;
	return 0;
}

SHMRING_API int shmring_set_spin(struct shmring *r, uint64_t spin_ns)
{
	if (!r)
		return -EINVAL;
	r->spin_ns = spin_ns;
	return 0;
}

SHMRING_API int shmring_set_slip(struct shmring *r, uint64_t slip_ns)
{
	if (!r)
		return -EINVAL;
	r->slip_ns = slip_ns;
	return 0;
}

SHMRING_API const char *shmring_strerror(int err)
{
	return error_text(err);
}

static const char *error_text(int err)
{
	switch (err) {
	case 0: return "success";
	case -EAGAIN: return "ring full (send) or empty (receive)";
	case -ETIMEDOUT: return "timed out waiting for the ring";
	case -EMSGSIZE: return "message larger than max_msg or receive buffer";
	case -EPIPE: return "end of stream: the other side has closed or died";
	case -ENOENT: return "no such ring";
	case -EEXIST: return "a ring or object of that name exists";
	case -EACCES: return "permission denied";
	case -EINVAL: return "invalid argument";
	case -EPROTO: return "not a shmring region, or an inconsistent header";
	case -ENOMSG: return "not a shmring region: no shmring magic";
	case -EBUSY: return "role already held by a live process, or busy";
	case -EPERM: return "not permitted: the handle does not hold that role, "
			    "or System V huge pages are not allowed";
	case -EBADMSG: return "corrupt ring state or record";
	case -EUSERS: return "too many processes attached";
	case -ENOSPC: return "not enough shared memory for the ring";
	case -ENOMEM: return "out of memory, or not enough free huge pages";
	case -EOPNOTSUPP: return "not supported";
	case -EOVERFLOW: return "overtaken by the publisher: messages were lost";
	case -ESTALE: return "the peeked message was overwritten while held";
	default: {
		/* Errors passed through from the system (ELOOP, EMFILE...). */
		const char *s = err < 0 && err != INT_MIN ?
					strerrordesc_np(-err) : NULL;
		return s ? s : "unknown error";
	}
	}
}
