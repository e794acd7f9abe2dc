/*
 * cli-probe.c - the survey of /dev/shm: which objects are rings, which
 * of those are corrupt or stale, and why a ring could not be opened.
 *
 * The library answers -EPROTO alike for "not a ring" and "a broken ring";
 * to tell them apart this file alone reads the region's first bytes
 * itself (lib/layout.h gives the magic and the header's offsets). It only
 * reads a copy, never maps the object.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "layout.h"

/* A copy of an object's header bytes. */
struct raw {
	unsigned char b[SHMRING_HDR_SIZE];
	size_t n;      /* bytes read */
	uint64_t size; /* of the whole object */
};

/*
 * Read the header of /dev/shm/@entry into @raw. Anything but a regular
 * file (a FIFO, a directory) reads as empty: it cannot be a ring.
 */
static int read_raw(const char *entry, struct raw *raw)
{
	char path[sizeof(CLI_SHM_DIR) + NAME_MAX + 2];
	struct stat st;
	int fd, ret = 0;

	raw->n = 0;
	raw->size = 0;
	snprintf(path, sizeof(path), CLI_SHM_DIR "/%s", entry);
	/* O_NONBLOCK: opening a FIFO someone left here must not hang. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode))
		goto out;
	raw->size = (uint64_t)st.st_size;
	while (raw->n < sizeof(raw->b)) {
		ssize_t got = pread(fd, raw->b + raw->n, sizeof(raw->b) - raw->n,
				    (off_t)raw->n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			ret = -errno;
			break;
		}
		if (got == 0)
			break;
		raw->n += (size_t)got;
	}
out:
	close(fd);
	return ret;
}

static uint64_t raw_u64(const struct raw *raw, size_t off)
{
	uint64_t v = 0;

	if (off + sizeof(v) <= raw->n)
		memcpy(&v, raw->b + off, sizeof(v));
	return v;
}

static uint32_t raw_u32(const struct raw *raw, size_t off)
{
	uint32_t v = 0;

	if (off + sizeof(v) <= raw->n)
		memcpy(&v, raw->b + off, sizeof(v));
	return v;
}

static bool raw_magic(const struct raw *raw)
{
	return raw->n >= sizeof(uint64_t) &&
	       raw_u64(raw, offsetof(struct shmring_hdr, magic)) == SHMRING_MAGIC;
}

int cli_probe_magic(const char *entry)
{
	struct raw raw;
	int ret = read_raw(entry, &raw);

	return ret ? ret : raw_magic(&raw);
}

#define HDR(field) offsetof(struct shmring_hdr, field)

/* Say which part of a header with the magic the library refused. */
static void raw_reason(const struct raw *raw, char *buf, size_t n)
{
	uint32_t version = raw_u32(raw, HDR(version));
	uint32_t state = raw_u32(raw, HDR(state));
	uint32_t kind = raw_u32(raw, HDR(kind));
	uint64_t cap = raw_u64(raw, HDR(capacity));
	uint64_t region = raw_u64(raw, HDR(region_size));

	if (raw->size < SHMRING_HDR_SIZE || raw->n < SHMRING_HDR_SIZE)
		snprintf(buf, n,
			 "truncated: %" PRIu64 " bytes, the header alone is %u",
			 raw->size, SHMRING_HDR_SIZE);
	else if (version != SHMRING_LAYOUT_VERSION)
		snprintf(buf, n, "layout version %" PRIu32 ", this tool reads %u",
			 version, SHMRING_LAYOUT_VERSION);
	else if (state == SHMRING_STATE_INITIALISING)
		snprintf(buf, n, "its creation never finished");
	else if (state != SHMRING_STATE_READY)
		snprintf(buf, n, "bad state word 0x%08" PRIx32, state);
	else if (kind != SHMRING_SPSC && kind != SHMRING_MPMC)
		snprintf(buf, n, "unknown ring kind %" PRIu32, kind);
	else if (!cap || (cap & (cap - 1)))
		snprintf(buf, n,
			 "inconsistent header: capacity %" PRIu64
			 " is not a power of two",
			 cap);
	else if (region != raw->size)
		snprintf(buf, n,
			 "inconsistent header: region size %" PRIu64
			 ", object size %" PRIu64,
			 region, raw->size);
	else
		snprintf(buf, n, "inconsistent header");
}

void cli_open_reason(const char *name, int err, char *buf, size_t n)
{
	struct raw raw;

	/* Only a POSIX ring can be read here without the library. */
	if (err == -EPROTO && name[0] == '/' && !strchr(name + 1, '/') &&
	    read_raw(name + 1, &raw) == 0 && raw_magic(&raw)) {
		raw_reason(&raw, buf, n);
		return;
	}
	if (err == -EPROTO)
		snprintf(buf, n, "not a shmring region");
	else
		snprintf(buf, n, "%s", shmring_strerror(err));
}

void cli_err_open(const char *name, int err)
{
	char reason[160];

	if (err == -EINVAL) {
		cli_err(name, "invalid ring name (expected /NAME, file:PATH or "
			      "sysv:KEY)");
		return;
	}
	cli_open_reason(name, err, reason, sizeof(reason));
	cli_err(name, "%s", reason);
}

const char *cli_state_name(enum cli_ring_state s)
{
	switch (s) {
	case CLI_RING_OK: return "ok";
	case CLI_RING_STALE: return "stale";
	case CLI_RING_CORRUPT: return "corrupt";
	}
	return "?";
}

enum cli_ring_state cli_ring_state(struct shmring *r,
				   const struct shmring_info *info,
				   unsigned *live)
{
	struct shmring_peer peers[SHMRING_MAX_PEERS];
	int n = shmring_peers(r, peers, SHMRING_MAX_PEERS);

	*live = 0;
	/* Not knowing the peers, never call a ring stale: rm --stale trusts it. */
	if (n < 0)
		return CLI_RING_OK;
	for (int i = 0; i < n; i++)
		if (peers[i].alive)
			(*live)++;
	return !info->creator_alive && *live == 0 ? CLI_RING_STALE : CLI_RING_OK;
}

/* 1 and @out filled if /dev/shm/@entry is a ring, else 0. */
static int probe(const char *entry, struct cli_ring *out)
{
	struct raw raw;
	struct shmring *r;
	int err;

	if (read_raw(entry, &raw) || !raw_magic(&raw))
		return 0;
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "/%s", entry);
	out->object_size = raw.size;
	err = shmring_open(out->name, 0, &r);
	if (err == -ENOENT) /* removed since readdir() */
		return 0;
	if (err) {
		out->state = CLI_RING_CORRUPT;
		out->err = err;
		cli_open_reason(out->name, err, out->reason, sizeof(out->reason));
		return 1;
	}
	shmring_info(r, &out->info);
	out->state = cli_ring_state(r, &out->info, &out->live_peers);
	shmring_close(r);
	return 1;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct cli_ring *)a)->name,
		      ((const struct cli_ring *)b)->name);
}

int cli_scan(const char *prefix, struct cli_ring **out, size_t *n)
{
	struct cli_ring *rings = NULL;
	size_t count = 0, cap = 0;
	struct dirent *e;
	DIR *d = opendir(CLI_SHM_DIR);

	*out = NULL;
	*n = 0;
	if (!d)
		return -errno;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		/* The prefix names the ring, slash included. */
		if (prefix && (prefix[0] != '/' ||
			       strncmp(e->d_name, prefix + 1, strlen(prefix + 1))))
			continue;
		if (count == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			struct cli_ring *nr = realloc(rings, ncap * sizeof(*nr));
			if (!nr) {
				free(rings);
				closedir(d);
				return -ENOMEM;
			}
			rings = nr;
			cap = ncap;
		}
		if (probe(e->d_name, &rings[count]))
			count++;
	}
	closedir(d);
	if (count)
		qsort(rings, count, sizeof(*rings), by_name);
	*out = rings;
	*n = count;
	return 0;
}
