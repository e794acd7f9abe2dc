/*
 * cli-info.c - `shmring info` (everything a ring tells about itself, once)
 * and `shmring stat` (its rates, refreshed like top(1)). Both attach
 * read-only, as a monitor: they change nothing in the ring.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static const char info_help[] =
	"Usage: shmring info NAME [--json]\n"
	"\n"
	"Show everything ring NAME records: its geometry, creator, fill level,\n"
	"positions, sleepers, the attached processes with their liveness, and\n"
	"its counters. NAME is /NAME, file:PATH, sysv:KEY or sysv:PATH:PROJ.\n"
	"Attaches read-only.\n"
	"\n"
	"  --json   one JSON object, figures exact\n"
	"  --help   this text\n";

static const char stat_help[] =
	"Usage: shmring stat NAME [-w SECS] [-n COUNT] [--json]\n"
	"\n"
	"Show ring NAME's traffic every SECS seconds, like top: messages and\n"
	"bytes sent per second (MSGS/S, BYTES/S), messages received per second\n"
	"(RECV/S), fill level, attached producers and consumers, and sleepers:\n"
	"consumers asleep waiting for data (C-SLEEP), producers asleep waiting\n"
	"for room (P-SLEEP). Runs until interrupted (exit 0), or COUNT times.\n"
	"Attaches read-only.\n"
	"\n"
	"  -w, --interval SECS  seconds between refreshes (default 1, may be\n"
	"                       fractional)\n"
	"  -n, --count COUNT    stop after COUNT refreshes\n"
	"  --json               one JSON object per line per refresh\n"
	"  --help               this text\n";

/* Attach to @name as a monitor; on failure print why and return nonzero. */
static int open_monitor(const char *name, struct shmring **r)
{
	int err = shmring_open(name, 0, r);

	if (err)
		cli_err_open(name, err);
	return err;
}

/* "key:" padded, then the value. */
static void kv(const char *key, const char *fmt, ...) CLI_PRINTF(2, 3);
static void kv(const char *key, const char *fmt, ...)
{
	va_list ap;

	printf("%-16s", key);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

struct snapshot {
	struct shmring_info info;
	struct shmring_stats st;
	struct shmring_peer peers[SHMRING_MAX_PEERS];
	int npeers;
	unsigned live;
	enum cli_ring_state state;
	struct shmring *ring; /* for the bridge's counters, while open */
	/* Broadcast rings: each subscriber's position, lag and losses. */
	struct shmring_subscriber subs[SHMRING_MAX_PEERS];
	int nsubs;
};

static void take(struct shmring *r, struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	shmring_info(r, &s->info);
	shmring_stats(r, &s->st);
	s->npeers = shmring_peers(r, s->peers, SHMRING_MAX_PEERS);
	if (s->npeers < 0)
		s->npeers = 0;
	s->state = cli_ring_state(r, &s->info, &s->live);
	s->ring = r;
	if (s->info.kind == SHMRING_BCAST)
		s->nsubs = shmring_subscribers(r, s->subs, SHMRING_MAX_PEERS);
	if (s->nsubs < 0)
		s->nsubs = 0;
}

static const char *policy_of(const struct shmring_info *info)
{
	return info->flags & SHMRING_OVERWRITE ? "overwrite" : "back-pressure";
}

/* Broadcast rings: the policy and a line per subscriber. */
static int subs_text(const struct snapshot *s)
{
	static const char *const heads[] = { "PID", "POSITION", "LAG", "LOST",
					     "ALIVE" };
	struct cli_table t;
	int ret = 0;

	kv("policy:", "%s", policy_of(&s->info));
	kv("lost:", "%" PRIu64 " (messages the subscribers missed)",
	   s->st.msgs_lost);
	kv("subscribers:", "%d", s->nsubs);
	cli_table_init(&t, 5, heads, "rrrrl");
	t.indent = "  ";
	for (int k = 0; k < s->nsubs && !ret; k++) {
		char c[4][32];
		const char *row[5] = { c[0], c[1], c[2], c[3],
				       s->subs[k].alive ? "yes" : "no" };
		snprintf(c[0], sizeof(c[0]), "%d", (int)s->subs[k].pid);
		snprintf(c[1], sizeof(c[1]), "%" PRIu64, s->subs[k].pos);
		snprintf(c[2], sizeof(c[2]), "%" PRIu64, s->subs[k].lag);
		snprintf(c[3], sizeof(c[3]), "%" PRIu64, s->subs[k].lost);
		ret = cli_table_add(&t, row);
	}
	if (s->nsubs && !ret)
		cli_table_print(&t, stdout);
	cli_table_free(&t);
	return ret;
}

static const char *unit_of(const struct shmring_info *info)
{
	return info->kind == SHMRING_MPMC ? "slots" : "bytes";
}

static int info_text(const char *name, const struct snapshot *s)
{
	static const char *const heads[] = { "PID", "ROLE", "ATTACHED", "ALIVE" };
	const struct shmring_info *i = &s->info;
	const struct shmring_stats *st = &s->st;
	char a[CLI_HUMAN], b[CLI_HUMAN], shown[PATH_MAX + 16];
	uint64_t now = cli_realtime_ns();
	uint64_t age = now > i->created_ns ? (now - i->created_ns) / 1000000000u : 0;
	struct cli_table t;
	int ret = 0;

	kv("name:", "%s", cli_printable(name, shown, sizeof(shown)));
	kv("kind:", "%s", cli_kind_name(i->kind));
	kv("state:", "%s", cli_state_name(s->state));
	kv("layout version:", "%u", i->layout_version);
	if (i->kind == SHMRING_MPMC)
		kv("capacity:", "%zu slots", i->capacity);
	else
		kv("capacity:", "%zu bytes (%s)", i->capacity,
		   cli_human_size(i->capacity, a));
	kv("max message:", "%zu bytes (%s)", i->max_msg,
	   cli_human_size(i->max_msg, a));
	if (i->kind == SHMRING_MPMC)
		kv("slot size:", "%zu bytes", i->slot_size);
	kv("region size:", "%zu bytes (%s)", i->region_size,
	   cli_human_size(i->region_size, a));
	kv("mode:", "%04o", i->mode);
	kv("creator:", "pid %d (%s)", (int)i->creator_pid,
	   i->creator_alive ? "alive" : "dead");
	kv("created:", "%s (%s ago)", cli_human_time(i->created_ns, a),
	   cli_human_age(age, b));
	kv("used:", "%zu %s (%.1f%%)", i->used, unit_of(i),
	   cli_pct(i->used, i->capacity));
	kv("producer pos:", "%" PRIu64, i->prod_pos);
	kv("consumer pos:", "%" PRIu64, i->cons_pos);
	kv("producers:", "%u", i->producers);
	kv("consumers:", "%u", i->consumers);
	kv("data waiters:", "%u (consumers asleep waiting for data)",
	   i->data_waiters);
	kv("space waiters:", "%u (producers asleep waiting for room)",
	   i->space_waiters);

	if (i->kind == SHMRING_BCAST)
		ret = subs_text(s);
	kv("peers:", "%d attached, %u alive", s->npeers, s->live);
	cli_table_init(&t, 4, heads, "rlll");
	t.indent = "  ";
	for (int p = 0; p < s->npeers && !ret; p++) {
		char pid[CLI_HUMAN];
		const char *row[4] = { pid, cli_role_name(s->peers[p].role),
				       cli_human_time(s->peers[p].attach_ns, a),
				       s->peers[p].alive ? "yes" : "no" };
		snprintf(pid, sizeof(pid), "%d", (int)s->peers[p].pid);
		ret = cli_table_add(&t, row);
	}
	if (s->npeers && !ret)
		cli_table_print(&t, stdout);
	cli_table_free(&t);

	kv("msgs sent:", "%" PRIu64, st->msgs_sent);
	kv("bytes sent:", "%" PRIu64 " (%s)", st->bytes_sent,
	   cli_human_size(st->bytes_sent, a));
	kv("msgs received:", "%" PRIu64, st->msgs_recv);
	kv("bytes received:", "%" PRIu64 " (%s)", st->bytes_recv,
	   cli_human_size(st->bytes_recv, a));
	kv("times full:", "%" PRIu64, st->times_full);
	kv("times empty:", "%" PRIu64, st->times_empty);
	kv("sleeps:", "%" PRIu64, st->sleeps);
	kv("wakeups:", "%" PRIu64, st->wakeups);
	kv("last attach:", "%s", cli_human_time(st->last_attach_ns, a));
	kv("last detach:", "%s", cli_human_time(st->last_detach_ns, a));
	if (ret)
		cli_err(name, "out of memory");
	return ret ? CLI_FAIL : 0;
}

static void info_json(const char *name, const struct snapshot *s)
{
	const struct shmring_info *i = &s->info;
	const struct shmring_stats *st = &s->st;
	uint64_t now = cli_realtime_ns();
	struct cli_json j;
	char mode[16];

	snprintf(mode, sizeof(mode), "%04o", i->mode);
	cli_json_init(&j, stdout, true);
	cli_json_obj(&j, NULL);
	cli_json_str(&j, "name", name);
	cli_json_str(&j, "kind", cli_kind_name(i->kind));
	cli_json_str(&j, "state", cli_state_name(s->state));
	cli_json_u64(&j, "layout_version", i->layout_version);
	cli_json_u64(&j, "capacity", i->capacity);
	cli_json_u64(&j, "max_msg", i->max_msg);
	cli_json_u64(&j, "slot_size", i->slot_size);
	cli_json_u64(&j, "region_size", i->region_size);
	cli_json_str(&j, "mode", mode);
	cli_json_i64(&j, "creator_pid", i->creator_pid);
	cli_json_bool(&j, "creator_alive", i->creator_alive);
	cli_json_u64(&j, "created_ns", i->created_ns);
	cli_json_u64(&j, "age_s",
		     now > i->created_ns ? (now - i->created_ns) / 1000000000u : 0);
	cli_json_u64(&j, "used", i->used);
	cli_json_dbl(&j, "fill_pct", cli_pct(i->used, i->capacity));
	cli_json_u64(&j, "prod_pos", i->prod_pos);
	cli_json_u64(&j, "cons_pos", i->cons_pos);
	cli_json_u64(&j, "producers", i->producers);
	cli_json_u64(&j, "consumers", i->consumers);
	cli_json_u64(&j, "data_waiters", i->data_waiters);
	cli_json_u64(&j, "space_waiters", i->space_waiters);
	if (i->kind == SHMRING_BCAST) {
		cli_json_str(&j, "policy", policy_of(i));
		cli_json_u64(&j, "msgs_lost", st->msgs_lost);
		cli_json_arr(&j, "subscribers");
		for (int k = 0; k < s->nsubs; k++) {
			cli_json_obj(&j, NULL);
			cli_json_i64(&j, "pid", s->subs[k].pid);
			cli_json_u64(&j, "pos", s->subs[k].pos);
			cli_json_u64(&j, "lag", s->subs[k].lag);
			cli_json_u64(&j, "lost", s->subs[k].lost);
			cli_json_bool(&j, "alive", s->subs[k].alive);
			cli_json_end(&j);
		}
		cli_json_end(&j);
	}
	cli_json_arr(&j, "peers");
	for (int p = 0; p < s->npeers; p++) {
		cli_json_obj(&j, NULL);
		cli_json_i64(&j, "pid", s->peers[p].pid);
		cli_json_str(&j, "role", cli_role_name(s->peers[p].role));
		cli_json_u64(&j, "attach_ns", s->peers[p].attach_ns);
		cli_json_bool(&j, "alive", s->peers[p].alive);
		cli_json_end(&j);
	}
	cli_json_end(&j);
	cli_json_obj(&j, "stats");
	cli_json_u64(&j, "msgs_sent", st->msgs_sent);
	cli_json_u64(&j, "bytes_sent", st->bytes_sent);
	cli_json_u64(&j, "msgs_recv", st->msgs_recv);
	cli_json_u64(&j, "bytes_recv", st->bytes_recv);
	cli_json_u64(&j, "times_full", st->times_full);
	cli_json_u64(&j, "times_empty", st->times_empty);
	cli_json_u64(&j, "sleeps", st->sleeps);
	cli_json_u64(&j, "wakeups", st->wakeups);
	cli_json_u64(&j, "last_attach_ns", st->last_attach_ns);
	cli_json_u64(&j, "last_detach_ns", st->last_detach_ns);
	cli_json_end(&j);
	cli_json_end(&j);
}

/* The one NAME a subcommand takes, or a usage error. */
static int one_name(int argc, char **argv, const char **name)
{
	if (optind >= argc)
		return cli_usage("missing ring name");
	if (optind + 1 < argc)
		return cli_usage("unexpected argument '%s'", argv[optind + 1]);
	*name = argv[optind];
	return 0;
}

int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct snapshot *s;
	struct shmring *r;
	const char *name;
	bool json = false;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': return cli_help(info_help);
		default: return CLI_USAGE;
		}
	}
	ret = one_name(argc, argv, &name);
	if (ret)
		return ret;
	if (open_monitor(name, &r))
		return CLI_FAIL;
	s = malloc(sizeof(*s));
	if (!s) {
		shmring_close(r);
		cli_err(name, "out of memory");
		return CLI_FAIL;
	}
	take(r, s);
	shmring_close(r);
	if (json)
		info_json(name, s);
	else
		ret = info_text(name, s);
	free(s);
	return ret;
}

/* ---- stat ----------------------------------------------------------- */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Counters move while summed: a figure that seems to go back counts as 0. */
static double rate(uint64_t now, uint64_t then, double secs)
{
	return now > then ? (double)(now - then) / secs : 0.0;
}

static void stat_line(const char *name, const struct snapshot *s,
		      const struct snapshot *prev, double secs, bool json)
{
	const struct shmring_info *i = &s->info;
	double msgs = rate(s->st.msgs_sent, prev->st.msgs_sent, secs);
	double bytes = rate(s->st.bytes_sent, prev->st.bytes_sent, secs);
	double rmsgs = rate(s->st.msgs_recv, prev->st.msgs_recv, secs);
	double rbytes = rate(s->st.bytes_recv, prev->st.bytes_recv, secs);
	double fill = cli_pct(i->used, i->capacity);
	uint64_t now = cli_realtime_ns();

	if (json) {
		struct cli_json j;
		cli_json_init(&j, stdout, false);
		cli_json_obj(&j, NULL);
		cli_json_str(&j, "name", name);
		cli_json_u64(&j, "time_ns", now);
		cli_json_dbl(&j, "interval_s", secs);
		cli_json_dbl(&j, "msgs_per_s", msgs);
		cli_json_dbl(&j, "bytes_per_s", bytes);
		cli_json_dbl(&j, "recv_msgs_per_s", rmsgs);
		cli_json_dbl(&j, "recv_bytes_per_s", rbytes);
		cli_json_dbl(&j, "fill_pct", fill);
		cli_json_u64(&j, "used", i->used);
		cli_json_u64(&j, "capacity", i->capacity);
		cli_json_u64(&j, "producers", i->producers);
		cli_json_u64(&j, "consumers", i->consumers);
		cli_json_u64(&j, "data_waiters", i->data_waiters);
		cli_json_u64(&j, "space_waiters", i->space_waiters);
		cli_json_u64(&j, "msgs_sent", s->st.msgs_sent);
		cli_json_u64(&j, "msgs_recv", s->st.msgs_recv);
		cli_json_u64(&j, "bytes_sent", s->st.bytes_sent);
		cli_json_u64(&j, "bytes_recv", s->st.bytes_recv);
		cli_bridge_stat(s->ring, &j);
		cli_json_end(&j);
	} else {
		char clock[CLI_HUMAN], m[CLI_HUMAN], b[CLI_HUMAN],
			rm[CLI_HUMAN], f[CLI_HUMAN];
		time_t t = (time_t)(now / 1000000000u);
		struct tm tm;
		if (!localtime_r(&t, &tm) ||
		    !strftime(clock, sizeof(clock), "%H:%M:%S", &tm))
			snprintf(clock, sizeof(clock), "?");
		snprintf(f, sizeof(f), "%.1f", fill);
		printf("%-8s  %8s  %8s  %8s  %6s  %4u  %4u  %7u  %7u\n", clock,
		       cli_human_count(msgs, m),
		       cli_human_size((uint64_t)bytes, b),
		       cli_human_count(rmsgs, rm), f, i->producers,
		       i->consumers, i->data_waiters, i->space_waiters);
		cli_bridge_stat(s->ring, NULL);
	}
	/* Each refresh seen when it happens, even through a pipe. */
	fflush(stdout);
}

/* Sleep until @deadline (CLOCK_MONOTONIC ns); false if interrupted. */
static bool sleep_until(uint64_t deadline)
{
	struct timespec ts = { .tv_sec = (time_t)(deadline / 1000000000u),
			       .tv_nsec = (long)(deadline % 1000000000u) };

	while (!stop) {
		int err = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
					  NULL);
		if (err == 0)
			return !stop;
		if (err != EINTR)
			return false;
	}
	return false;
}

static int stat_loop(const char *name, struct shmring *r, uint64_t interval_ns,
		     uint64_t count, bool json)
{
	struct snapshot *snap = calloc(2, sizeof(*snap));
	uint64_t t0, next;
	int cur = 0;

	if (!snap) {
		cli_err(name, "out of memory");
		return CLI_FAIL;
	}
	take(r, &snap[0]);
	if (!json) {
		char cap[CLI_HUMAN], shown[PATH_MAX + 16];
		if (snap[0].info.kind == SHMRING_MPMC)
			snprintf(cap, sizeof(cap), "%zu slots",
				 snap[0].info.capacity);
		else
			cli_human_size(snap[0].info.capacity, cap);
		printf("%s: %s, capacity %s, every %.3gs\n",
		       cli_printable(name, shown, sizeof(shown)),
		       cli_kind_name(snap[0].info.kind), cap,
		       (double)interval_ns / 1e9);
		printf("%-8s  %8s  %8s  %8s  %6s  %4s  %4s  %7s  %7s\n", "TIME",
		       "MSGS/S", "BYTES/S", "RECV/S", "FILL%", "PROD", "CONS",
		       "C-SLEEP", "P-SLEEP");
		fflush(stdout);
	}
	next = t0 = cli_monotonic_ns();
	for (uint64_t n = 1; !count || n <= count; n++) {
		/*
		 * Deadlines a fixed step apart, so that refreshes do not drift;
		 * after a stall (a stopped process), start afresh rather than
		 * catch up with a burst of refreshes over instants.
		 */
		next += interval_ns;
		if (next < t0)
			next = t0 + interval_ns;
		if (!sleep_until(next))
			break;
		uint64_t t1 = cli_monotonic_ns();
		take(r, &snap[!cur]);
		stat_line(name, &snap[!cur], &snap[cur],
			  (double)(t1 - t0) / 1e9, json);
		cur = !cur;
		t0 = t1;
	}
	free(snap);
	return 0;
}

int cmd_stat(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double secs = 1.0;
	uint64_t count = 0;
	struct shmring *r;
	const char *name;
	bool json = false;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "w:n:h", opts)) != -1) {
		switch (c) {
		case 'w':
			if (cli_parse_secs(optarg, &secs) || secs < 0.001)
				return cli_usage("bad interval '%s' (seconds, at "
						 "least 0.001)",
						 optarg);
			break;
		case 'n':
			if (cli_parse_count(optarg, &count))
				return cli_usage("bad count '%s' (a positive "
						 "integer)",
						 optarg);
			break;
		case 'j': json = true; break;
		case 'h': return cli_help(stat_help);
		default: return CLI_USAGE;
		}
	}
	ret = one_name(argc, argv, &name);
	if (ret)
		return ret;
	if (open_monitor(name, &r))
		return CLI_FAIL;

	/* No SA_RESTART: the sleep must end at once on ^C. */
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	ret = stat_loop(name, r, (uint64_t)(secs * 1e9), count, json);
	shmring_close(r);
	return ret;
}
