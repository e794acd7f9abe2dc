/*
 * cli-limits.c - `shmring limits`: what the system allows shared memory,
 * gathered in one place (System V limits, the size of /dev/shm, huge
 * pages, the locked-memory limit) with the library's own bounds.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "cli.h"

static const char limits_help[] =
	"Usage: shmring limits [--json]\n"
	"\n"
	"Show the system's limits on shared memory: SHMMAX, SHMALL and SHMMNI\n"
	"(System V, from /proc/sys/kernel), SHMSEG (no such limit on Linux),\n"
	"the size and free space of " CLI_SHM_DIR ", huge pages configured and\n"
	"free, RLIMIT_MEMLOCK, and this library's own bounds.\n"
	"\n"
	"  --json   one JSON object, figures exact (bytes unless named)\n"
	"  --help   this text\n";

/* A figure that may be unknown (unreadable) or unlimited. */
struct fig {
	bool known, unlimited;
	uint64_t v;
};

static struct fig read_proc(const char *path)
{
	struct fig f = { 0 };
	unsigned long long v;
	FILE *fp = fopen(path, "re");

	if (!fp)
		return f;
	if (fscanf(fp, "%llu", &v) == 1) {
		f.known = true;
		f.v = v;
	}
	fclose(fp);
	return f;
}

/* A field of /proc/meminfo ("HugePages_Free:  0"); kB fields in bytes. */
static struct fig meminfo(const char *key)
{
	struct fig f = { 0 };
	char line[256];
	size_t klen = strlen(key);
	FILE *fp = fopen("/proc/meminfo", "re");

	if (!fp)
		return f;
	while (fgets(line, sizeof(line), fp)) {
		unsigned long long v;
		char unit[8] = "";
		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		if (sscanf(line + klen + 1, "%llu %7s", &v, unit) >= 1) {
			f.known = true;
			f.v = v * (strcmp(unit, "kB") ? 1 : 1024);
		}
		break;
	}
	fclose(fp);
	return f;
}

static struct fig rlim(rlim_t v)
{
	struct fig f = { .known = true, .unlimited = v == RLIM_INFINITY,
			 .v = (uint64_t)v };
	return f;
}

struct limits {
	struct fig shmmax, shmall, shmmni;
	uint64_t page;
	struct fig shm_size, shm_free, shm_avail;
	struct fig huge_total, huge_free, huge_size;
	struct fig memlock_soft, memlock_hard;
};

static void gather(struct limits *l)
{
	struct statvfs vfs;
	struct rlimit rl;
	long page = sysconf(_SC_PAGESIZE);

	memset(l, 0, sizeof(*l));
	l->shmmax = read_proc("/proc/sys/kernel/shmmax");
	l->shmall = read_proc("/proc/sys/kernel/shmall");
	l->shmmni = read_proc("/proc/sys/kernel/shmmni");
	l->page = page > 0 ? (uint64_t)page : 4096;
	if (statvfs(CLI_SHM_DIR, &vfs) == 0) {
		l->shm_size = (struct fig){ true, false,
					    (uint64_t)vfs.f_blocks * vfs.f_frsize };
		l->shm_free = (struct fig){ true, false,
					    (uint64_t)vfs.f_bfree * vfs.f_frsize };
		l->shm_avail = (struct fig){ true, false,
					     (uint64_t)vfs.f_bavail * vfs.f_frsize };
	}
	l->huge_total = meminfo("HugePages_Total");
	l->huge_free = meminfo("HugePages_Free");
	l->huge_size = meminfo("Hugepagesize");
	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0) {
		l->memlock_soft = rlim(rl.rlim_cur);
		l->memlock_hard = rlim(rl.rlim_max);
	}
}

/* Exact figure, and in parentheses a human one when @bytes. */
static const char *fig_text(struct fig f, bool bytes, char *buf, size_t n)
{
	char h[CLI_HUMAN];

	if (!f.known)
		snprintf(buf, n, "unknown");
	else if (f.unlimited)
		snprintf(buf, n, "unlimited");
	else if (bytes && f.v >= 1024)
		snprintf(buf, n, "%" PRIu64 " (%s)", f.v, cli_human_size(f.v, h));
	else
		snprintf(buf, n, "%" PRIu64, f.v);
	return buf;
}

static int limits_table(const struct limits *l)
{
	static const char *const heads[] = { "LIMIT", "VALUE", "MEANING" };
	char v[16][64];
	char shmall_note[96];
	struct fig maxmsg = { true, false, SHMRING_MAX_MSG_LIMIT };
	struct fig peers = { true, false, SHMRING_MAX_PEERS };
	struct cli_table t;
	int ret = 0;

	if (l->shmall.known && l->shmall.v <= UINT64_MAX / l->page) {
		char h[CLI_HUMAN];
		snprintf(shmall_note, sizeof(shmall_note),
			 "System V pages in all (%s)",
			 cli_human_size(l->shmall.v * l->page, h));
	} else {
		snprintf(shmall_note, sizeof(shmall_note),
			 "System V pages in all");
	}
	const char *rows[][3] = {
		{ "SHMMAX", fig_text(l->shmmax, true, v[0], 64),
		  "largest System V segment, bytes" },
		{ "SHMALL", fig_text(l->shmall, false, v[1], 64), shmall_note },
		{ "SHMMNI", fig_text(l->shmmni, false, v[2], 64),
		  "System V segments in all" },
		{ "SHMSEG", "none", "no per-process segment limit on Linux" },
		{ CLI_SHM_DIR " size", fig_text(l->shm_size, true, v[3], 64),
		  "where POSIX rings live (tmpfs)" },
		{ CLI_SHM_DIR " free", fig_text(l->shm_avail, true, v[4], 64),
		  "room left for new rings" },
		{ "HugePages_Total", fig_text(l->huge_total, false, v[5], 64),
		  "huge pages configured" },
		{ "HugePages_Free", fig_text(l->huge_free, false, v[6], 64),
		  "huge pages free" },
		{ "Hugepagesize", fig_text(l->huge_size, true, v[7], 64),
		  "bytes per huge page" },
		{ "RLIMIT_MEMLOCK soft", fig_text(l->memlock_soft, true, v[8], 64),
		  "bytes this process may lock in memory" },
		{ "RLIMIT_MEMLOCK hard", fig_text(l->memlock_hard, true, v[9], 64),
		  "ceiling for the soft limit" },
		{ "shmring max message", fig_text(maxmsg, true, v[10], 64),
		  "largest message the layout describes" },
		{ "shmring max peers", fig_text(peers, false, v[11], 64),
		  "processes attached to one ring at once" },
	};

	cli_table_init(&t, 3, heads, "lll");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]) && !ret; i++)
		ret = cli_table_add(&t, rows[i]);
	if (!ret)
		cli_table_print(&t, stdout);
	cli_table_free(&t);
	if (ret)
		cli_err(NULL, "out of memory");
	return ret ? CLI_FAIL : 0;
}

static void json_fig(struct cli_json *j, const char *key, struct fig f)
{
	if (!f.known)
		cli_json_null(j, key);
	else if (f.unlimited)
		cli_json_str(j, key, "unlimited");
	else
		cli_json_u64(j, key, f.v);
}

static void limits_json(const struct limits *l)
{
	struct cli_json j;

	cli_json_init(&j, stdout, true);
	cli_json_obj(&j, NULL);
	json_fig(&j, "shmmax", l->shmmax);
	json_fig(&j, "shmall_pages", l->shmall);
	json_fig(&j, "shmmni", l->shmmni);
	cli_json_str(&j, "shmseg", "unlimited");
	cli_json_u64(&j, "page_size", l->page);
	cli_json_obj(&j, "dev_shm");
	cli_json_str(&j, "path", CLI_SHM_DIR);
	json_fig(&j, "size", l->shm_size);
	json_fig(&j, "free", l->shm_free);
	json_fig(&j, "avail", l->shm_avail);
	cli_json_end(&j);
	cli_json_obj(&j, "hugepages");
	json_fig(&j, "total", l->huge_total);
	json_fig(&j, "free", l->huge_free);
	json_fig(&j, "size", l->huge_size);
	cli_json_end(&j);
	cli_json_obj(&j, "rlimit_memlock");
	json_fig(&j, "soft", l->memlock_soft);
	json_fig(&j, "hard", l->memlock_hard);
	cli_json_end(&j);
	cli_json_obj(&j, "shmring");
	cli_json_u64(&j, "max_msg", SHMRING_MAX_MSG_LIMIT);
	cli_json_u64(&j, "max_peers", SHMRING_MAX_PEERS);
	cli_json_end(&j);
	cli_json_end(&j);
}

int cmd_limits(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct limits l;
	bool json = false;
	int c;

	while ((c = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': return cli_help(limits_help);
		default: return CLI_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage("unexpected argument '%s'", argv[optind]);
	gather(&l);
	if (json) {
		limits_json(&l);
		return 0;
	}
	return limits_table(&l);
}
