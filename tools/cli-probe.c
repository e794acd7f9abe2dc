/*
 * cli-probe.c - the survey of /dev/shm: which objects are rings, which
 * of those are corrupt or stale, and why a ring could not be opened.
 *
 * Why an object is not a usable ring is the library's to say
 * (shmring_check(3)): this file asks it, and reads nothing of a region
 * itself.
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

/* "/" and the name of the /dev/shm entry @entry. */
static void ring_name(const char *entry, char *out, size_t n)
{
	snprintf(out, n, "/%s", entry);
}

int cli_probe_magic(const char *entry)
{
	char name[NAME_MAX + 2];
	ring_name(entry, name, sizeof(name));
	int ret = shmring_check(name, NULL, 0);
	if (ret == -ENOMSG)
		return 0;
	return ret == 0 || ret == -EPROTO ? 1 : ret;
}

void cli_open_reason(const char *name, int err, char *buf, size_t n)
{
	/* The library says why the open failed, unless it succeeds now. */
	if (err == -EPROTO && shmring_check(name, buf, n) != 0)
		return;
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
	struct shmring *r;
	struct stat st;
	int err;

	memset(out, 0, sizeof(*out));
	ring_name(entry, out->name, sizeof(out->name));
	/* Another program's object (no magic), or one removed meanwhile. */
	if (cli_probe_magic(entry) != 1)
		return 0;
	char path[sizeof(CLI_SHM_DIR) + NAME_MAX + 2];
	snprintf(path, sizeof(path), CLI_SHM_DIR "/%s", entry);
	out->object_size = lstat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
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
