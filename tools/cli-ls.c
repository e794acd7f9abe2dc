/*
 * cli-ls.c - `shmring ls`: the rings in /dev/shm, one line each, like
 * ipcs(1) for shared-memory segments.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char ls_help[] =
	"Usage: shmring ls [--json]\n"
	"\n"
	"List every ring in " CLI_SHM_DIR ". Objects that are not rings are\n"
	"skipped; a ring that cannot be opened is listed as corrupt, with why.\n"
	"\n"
	"Columns: NAME KIND (bcast/overwrite: a broadcast ring whose publisher\n"
	"overwrites) CAPACITY (bytes for spsc and bcast, slots for mpmc) FILL%\n"
	"PRODUCERS CONSUMERS CREATOR (pid) AGE STATE, where STATE is ok,\n"
	"stale (its creator and every attached process are dead) or corrupt.\n"
	"\n"
	"  --json   one JSON array of objects, figures exact\n"
	"  --help   this text\n";

static const char *capacity_text(const struct shmring_info *info, char *buf)
{
	if (info->kind == SHMRING_MPMC)
		snprintf(buf, CLI_HUMAN, "%zu slots", info->capacity);
	else
		cli_human_size(info->capacity, buf);
	return buf;
}

static uint64_t age_s(const struct shmring_info *info, uint64_t now)
{
	return now > info->created_ns ? (now - info->created_ns) / 1000000000u :
					0;
}

static int ls_table(const struct cli_ring *rings, size_t n)
{
	static const char *const heads[] = { "NAME", "KIND", "CAPACITY",
					     "FILL%", "PRODUCERS", "CONSUMERS",
					     "CREATOR", "AGE", "STATE" };
	struct cli_table t;
	uint64_t now = cli_realtime_ns();
	int ret = 0;

	cli_table_init(&t, 9, heads, "llrrrrrrl");
	for (size_t i = 0; i < n && !ret; i++) {
		const struct cli_ring *g = &rings[i];
		const struct shmring_info *info = &g->info;
		char name[sizeof(g->name)], cap[CLI_HUMAN], fill[CLI_HUMAN],
			prod[CLI_HUMAN], cons[CLI_HUMAN], pid[CLI_HUMAN],
			age[CLI_HUMAN], state[sizeof(g->reason) + 16];
		const char *row[9] = { cli_printable(g->name, name, sizeof(name)) };

		if (g->state == CLI_RING_CORRUPT) {
			snprintf(state, sizeof(state), "corrupt: %s", g->reason);
			row[8] = state;
			ret = cli_table_add(&t, row);
			continue;
		}
		snprintf(fill, sizeof(fill), "%.1f",
			 cli_pct(info->used, info->capacity));
		snprintf(prod, sizeof(prod), "%u", info->producers);
		snprintf(cons, sizeof(cons), "%u", info->consumers);
		snprintf(pid, sizeof(pid), "%d", (int)info->creator_pid);
		row[1] = info->kind == SHMRING_BCAST &&
					 (info->flags & SHMRING_OVERWRITE) ?
				 "bcast/overwrite" :
				 cli_kind_name(info->kind);
		row[2] = capacity_text(info, cap);
		row[3] = fill;
		row[4] = prod;
		row[5] = cons;
		row[6] = pid;
		row[7] = cli_human_age(age_s(info, now), age);
		row[8] = cli_state_name(g->state);
		ret = cli_table_add(&t, row);
	}
	if (!ret)
		cli_table_print(&t, stdout);
	cli_table_free(&t);
	if (ret)
		cli_err(NULL, "out of memory");
	return ret ? CLI_FAIL : 0;
}

static void ls_json(const struct cli_ring *rings, size_t n)
{
	struct cli_json j;
	uint64_t now = cli_realtime_ns();

	cli_json_init(&j, stdout, true);
	cli_json_arr(&j, NULL);
	for (size_t i = 0; i < n; i++) {
		const struct cli_ring *g = &rings[i];
		const struct shmring_info *info = &g->info;
		char mode[16];

		cli_json_obj(&j, NULL);
		cli_json_str(&j, "name", g->name);
		cli_json_str(&j, "state", cli_state_name(g->state));
		cli_json_u64(&j, "object_size", g->object_size);
		if (g->state == CLI_RING_CORRUPT) {
			cli_json_str(&j, "error", g->reason);
			cli_json_end(&j);
			continue;
		}
		snprintf(mode, sizeof(mode), "%04o", info->mode);
		cli_json_str(&j, "kind", cli_kind_name(info->kind));
		if (info->kind == SHMRING_BCAST)
			cli_json_str(&j, "policy",
				     info->flags & SHMRING_OVERWRITE ?
					     "overwrite" : "back-pressure");
		cli_json_u64(&j, "capacity", info->capacity);
		cli_json_u64(&j, "max_msg", info->max_msg);
		cli_json_u64(&j, "slot_size", info->slot_size);
		cli_json_u64(&j, "region_size", info->region_size);
		cli_json_str(&j, "mode", mode);
		cli_json_u64(&j, "used", info->used);
		cli_json_dbl(&j, "fill_pct", cli_pct(info->used, info->capacity));
		cli_json_u64(&j, "producers", info->producers);
		cli_json_u64(&j, "consumers", info->consumers);
		cli_json_u64(&j, "live_peers", g->live_peers);
		cli_json_i64(&j, "creator_pid", info->creator_pid);
		cli_json_bool(&j, "creator_alive", info->creator_alive);
		cli_json_u64(&j, "created_ns", info->created_ns);
		cli_json_u64(&j, "age_s", age_s(info, now));
		cli_json_end(&j);
	}
	cli_json_end(&j);
}

int cmd_ls(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_ring *rings;
	bool json = false;
	size_t n;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': return cli_help(ls_help);
		default: return CLI_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage("unexpected argument '%s'", argv[optind]);
	ret = cli_scan(NULL, &rings, &n);
	if (ret) {
		cli_err(CLI_SHM_DIR, "%s", strerror(-ret));
		return CLI_FAIL;
	}
	if (json)
		ls_json(rings, n);
	else
		ret = ls_table(rings, n);
	free(rings);
	return ret;
}
