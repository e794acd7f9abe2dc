/*
 * cli.h - what the subcommands of the shmring command share: messages
 * and exit codes, option parsing, human-readable figures, aligned tables,
 * a JSON writer, and the survey of rings in /dev/shm.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#ifndef SHMRING_CLI_H
#define SHMRING_CLI_H

#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <shmring.h>

#include "../util/util.h"

/* Exit statuses: 1 for a failure, 2 for a command line that makes no sense. */
#define CLI_FAIL 1
#define CLI_USAGE 2

/* Where shm_open(3) keeps POSIX objects on Linux. */
#define CLI_SHM_DIR "/dev/shm"

/* The subcommand being run, for messages ("shmring: <cmd>: ..."). */
extern const char *cli_cmd;

#define CLI_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* "shmring: <cmd>: <name>: <reason>" on stderr; name may be NULL. */
void cli_err(const char *name, const char *fmt, ...) CLI_PRINTF(2, 3);
/* The same with the library's wording of @err (a -errno). */
void cli_err_ring(const char *name, int err);
/* A usage error: one line naming --help; returns CLI_USAGE. */
int cli_usage(const char *fmt, ...) CLI_PRINTF(1, 2);
/* Print @text (a subcommand's help) on stdout; returns 0. */
int cli_help(const char *text);

/*
 * getopt_long() with the messages above instead of getopt's own:
 * returns the option, -1 at the end, or '?' after printing a usage line
 * (unknown option, missing or unexpected value).
 */
int cli_getopt(int argc, char **argv, const char *shortopts,
	       const struct option *longopts);

/* Parsers: 0 on success, -1 (nothing printed) on a malformed value. */
int cli_parse_size(const char *s, uint64_t *out);   /* 64, 4k, 1m, 2g */
int cli_parse_count(const char *s, uint64_t *out);  /* >= 1 */
int cli_parse_secs(const char *s, double *out);     /* >= 0, finite */
int cli_parse_mode(const char *s, unsigned *out);   /* octal, <= 07777 */

/* Human-readable figures into @buf (at least CLI_HUMAN bytes). */
#define CLI_HUMAN 32
const char *cli_human_size(uint64_t bytes, char *buf);   /* 1.0M */
const char *cli_human_count(double n, char *buf);        /* 12.3k */
const char *cli_human_age(uint64_t secs, char *buf);     /* 3m, 2h, 5d */
const char *cli_human_time(uint64_t realtime_ns, char *buf); /* local */
/* @s with control bytes shown as '?', for a terminal. */
const char *cli_printable(const char *s, char *buf, size_t n);

const char *cli_kind_name(enum shmring_kind k);
const char *cli_role_name(int role);
uint64_t cli_realtime_ns(void);
uint64_t cli_monotonic_ns(void);
double cli_pct(uint64_t part, uint64_t whole);

/* ---- aligned tables ------------------------------------------------- */

struct cli_table {
	const char *indent; /* before each line; "" by default */
	unsigned ncols;
	const char *const *heads;
	const char *align; /* 'l' or 'r' per column */
	char **cells;      /* nrows * ncols, owned */
	size_t nrows, cap;
};

void cli_table_init(struct cli_table *t, unsigned ncols,
		    const char *const *heads, const char *align);
/* Append a row of ncols strings (copied). 0, or -ENOMEM. */
int cli_table_add(struct cli_table *t, const char *const *row);
void cli_table_print(const struct cli_table *t, FILE *f);
void cli_table_free(struct cli_table *t);

/* ---- JSON ----------------------------------------------------------- */

/* The one JSON writer (util/json.c), under the names the commands use. */
#define cli_json ujson
#define cli_json_init ujson_init
#define cli_json_obj ujson_obj
#define cli_json_arr ujson_arr
#define cli_json_end ujson_end
#define cli_json_str ujson_str
#define cli_json_u64 ujson_u64
#define cli_json_i64 ujson_i64
#define cli_json_dbl ujson_dbl
#define cli_json_bool ujson_bool
#define cli_json_null ujson_null

/* ---- rings in /dev/shm (cli-probe.c) -------------------------------- */

enum cli_ring_state { CLI_RING_OK, CLI_RING_STALE, CLI_RING_CORRUPT };

struct cli_ring {
	char name[NAME_MAX + 2];  /* "/entry" */
	enum cli_ring_state state;
	int err;                  /* CORRUPT: what opening it returned */
	char reason[160];         /* CORRUPT: why, in words */
	uint64_t object_size;     /* bytes of the object in /dev/shm */
	struct shmring_info info; /* valid unless CORRUPT */
	unsigned live_peers;
};

const char *cli_state_name(enum cli_ring_state s);

/*
 * Stale: the creator and every attached process are dead, so nobody
 * will use the ring again (a monitor's own attach is not a peer).
 * Fills *live with the number of live peers.
 */
enum cli_ring_state cli_ring_state(struct shmring *r,
				   const struct shmring_info *info,
				   unsigned *live);

/*
 * Does /dev/shm/@entry carry the ring magic? 1 yes, 0 no (another kind
 * of object, or too short to tell), or -errno when it cannot be read.
 */
int cli_probe_magic(const char *entry);

/* Wording for a failure @err to open ring @name. */
void cli_open_reason(const char *name, int err, char *buf, size_t n);
/* The one-line message for a failure @err to open ring @name. */
void cli_err_open(const char *name, int err);

/*
 * Every ring in /dev/shm whose name starts with @prefix (NULL: all),
 * sorted by name, into a malloc'ed array *out of *n entries; objects
 * without the magic, or unreadable, are skipped. 0, or -errno.
 */
int cli_scan(const char *prefix, struct cli_ring **out, size_t *n);

/* ---- subcommands ---------------------------------------------------- */

int cmd_ls(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_send(int argc, char **argv);
int cmd_recv(int argc, char **argv);
int cmd_limits(int argc, char **argv);
int cmd_bridge(int argc, char **argv); /* cli-bridge.c, with ZeroMQ */

/* A bridge's counters in @r's application area (cli-bridge-area.c): a
 * line each on stdout, or with @j a "bridges" array member. */
void cli_bridge_stat(struct shmring *r, struct cli_json *j);

#endif /* SHMRING_CLI_H */
