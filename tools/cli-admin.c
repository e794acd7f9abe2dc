/*
 * cli-admin.c - `shmring create` and `shmring rm`: making and removing
 * rings by name, and sweeping away the stale ones, like ipcmk(1) and
 * ipcrm(1) for shared-memory segments.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char create_help[] =
	"Usage: shmring create NAME [--kind spsc|mpmc|bcast] [--overwrite]\n"
	"                           [--capacity N] [--max-msg N]\n"
	"                           [--mode OCTAL] [--huge]\n"
	"\n"
	"Create ring NAME (/NAME, file:PATH, sysv:KEY or sysv:PATH:PROJ) and\n"
	"leave it for others to attach to. Sizes take a k, m or g suffix\n"
	"(powers of 1024).\n"
	"\n"
	"  --kind spsc|mpmc  one producer and one consumer with variable-size\n"
	"                    records (spsc, the default), or many of each with\n"
	"                    fixed-size slots (mpmc), or one publisher whose\n"
	"                    every message each subscriber gets (bcast)\n"
	"  --overwrite       bcast: the publisher never waits, it overwrites\n"
	"                    the oldest messages (default: it waits for the\n"
	"                    slowest subscriber)\n"
	"  --capacity N      spsc, bcast: data bytes; mpmc: slots; a power\n"
	"                    of two\n"
	"                    (default 1m bytes, or 1024 slots)\n"
	"  --max-msg N       largest message (default 64k, or 240 for mpmc)\n"
	"  --mode OCTAL      permission bits (default 0600)\n"
	"  --huge            back the ring with huge pages, taken now from the\n"
	"                    pool reserved in /proc/sys/vm/nr_hugepages (see\n"
	"                    'shmring limits'); for sysv: names and file: paths\n"
	"                    on hugetlbfs, not for /NAME (tmpfs)\n"
	"  --help            this text\n";

static const char rm_help[] =
	"Usage: shmring rm NAME...\n"
	"       shmring rm --stale [--prefix /PREFIX]\n"
	"\n"
	"Remove the named rings. Processes attached keep working; the memory\n"
	"goes when the last one detaches. An object in " CLI_SHM_DIR " that is\n"
	"not a ring is left alone.\n"
	"\n"
	"  --stale           remove every stale ring in " CLI_SHM_DIR " (its\n"
	"                    creator and every attached process are dead),\n"
	"                    printing each name removed\n"
	"  --prefix /PREFIX  with --stale: only rings whose name starts so\n"
	"  --help            this text\n";

/*
 * Read create's options into @o; -1 when they are all read (the name is
 * at optind), else the exit status (usage, help).
 */
static int create_opts(int argc, char **argv, struct shmring_opts *o)
{
	enum { O_KIND = 256, O_CAP, O_MAX, O_MODE, O_HUGE, O_OVERWRITE };
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, O_KIND },
		{ "capacity", required_argument, NULL, O_CAP },
		{ "max-msg", required_argument, NULL, O_MAX },
		{ "mode", required_argument, NULL, O_MODE },
		{ "huge", no_argument, NULL, O_HUGE },
		{ "overwrite", no_argument, NULL, O_OVERWRITE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	while ((c = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (c) {
		case O_KIND:
			if (!strcmp(optarg, "spsc"))
				o->kind = SHMRING_SPSC;
			else if (!strcmp(optarg, "mpmc"))
				o->kind = SHMRING_MPMC;
			else if (!strcmp(optarg, "bcast"))
				o->kind = SHMRING_BCAST;
			else
				return cli_usage("bad kind '%s' (spsc, mpmc or "
						 "bcast)", optarg);
			break;
		case O_CAP:
			/* The library checks it too; said here as usage. */
			if (cli_parse_size(optarg, &v) ||
			    __builtin_popcountll(v) != 1 || (size_t)v != v)
				return cli_usage("bad capacity '%s' (a power of "
						 "two, e.g. 64k)",
						 optarg);
			o->capacity = (size_t)v;
			break;
		case O_MAX:
			if (cli_parse_size(optarg, &v) || !v || (size_t)v != v)
				return cli_usage("bad max message size '%s'",
						 optarg);
			o->max_msg = (size_t)v;
			break;
		case O_MODE:
			if (cli_parse_mode(optarg, &o->mode) || !o->mode)
				return cli_usage("bad mode '%s' (octal, e.g. 0660)",
						 optarg);
			break;
		case O_HUGE: o->flags |= SHMRING_HUGE_PAGES; break;
		case O_OVERWRITE: o->flags |= SHMRING_OVERWRITE; break;
		case 'h': return cli_help(create_help);
		default: return CLI_USAGE;
		}
	}
	if ((o->flags & SHMRING_OVERWRITE) && o->kind != SHMRING_BCAST)
		return cli_usage("--overwrite is for --kind bcast");
	return -1;
}

/* Say why creating @name with @o failed (@err); the exit status. */
static int create_failed(const char *name, const struct shmring_opts *o,
			 int err)
{
	const char *why = NULL;

	if (err == -EINVAL)
		why = "invalid name or sizes (name: /NAME, file:PATH or "
		      "sysv:KEY; max-msg at most half the capacity for spsc)";
	/* The library's one-line errors, said for the case at hand. */
	else if ((o->flags & SHMRING_HUGE_PAGES) && err == -ENOMEM)
		why = "not enough free huge pages (none reserved, or the pool "
		      "exhausted: see 'shmring limits' and "
		      "/proc/sys/vm/nr_hugepages)";
	else if ((o->flags & SHMRING_HUGE_PAGES) && err == -EPERM)
		why = "System V huge pages need CAP_IPC_LOCK or the group of "
		      "/proc/sys/vm/hugetlb_shm_group (older kernels: a high "
		      "enough RLIMIT_MEMLOCK)";
	else if ((o->flags & SHMRING_HUGE_PAGES) && err == -EOPNOTSUPP)
		why = "huge pages are not available for this name (/NAME is "
		      "on tmpfs: use sysv:KEY or a file: path on hugetlbfs) "
		      "or on this kernel";
	if (why)
		cli_err(name, "%s", why);
	else
		cli_err_ring(name, err);
	return CLI_FAIL;
}

int cmd_create(int argc, char **argv)
{
	struct shmring_opts o = { .kind = SHMRING_SPSC };
	struct shmring *r;
	int status = create_opts(argc, argv, &o);

	if (status >= 0)
		return status;
	if (optind >= argc)
		return cli_usage("missing ring name");
	if (optind + 1 < argc)
		return cli_usage("unexpected argument '%s'", argv[optind + 1]);

	const char *name = argv[optind];
	int err = shmring_create(name, &o, 0, &r);
	if (err)
		return create_failed(name, &o, err);
	shmring_close(r);
	return 0;
}

/* Remove one named ring; 0, or CLI_FAIL after saying why. */
static int rm_one(const char *name)
{
	/*
	 * The library removes any POSIX object of that name; this tool is
	 * for rings, so a name in /dev/shm without the magic is refused.
	 */
	if (name[0] == '/' && name[1] && !strchr(name + 1, '/')) {
		int ret = cli_probe_magic(name + 1);
		if (ret == 0) {
			cli_err(name, "not a shmring region (left alone)");
			return CLI_FAIL;
		}
	}
	int err = shmring_unlink(name);
	if (err == -EINVAL) {
		cli_err(name, "invalid ring name (expected /NAME, file:PATH or "
			      "sysv:KEY)");
		return CLI_FAIL;
	}
	if (err == -EPROTO) {
		cli_err(name, "not a shmring region (left alone)");
		return CLI_FAIL;
	}
	if (err) {
		cli_err_ring(name, err);
		return CLI_FAIL;
	}
	return 0;
}

static int rm_stale(const char *prefix)
{
	struct cli_ring *rings;
	size_t n;
	int ret = cli_scan(prefix, &rings, &n), status = 0;

	if (ret) {
		cli_err(CLI_SHM_DIR, "%s", strerror(-ret));
		return CLI_FAIL;
	}
	for (size_t i = 0; i < n; i++) {
		char shown[NAME_MAX + 64];
		if (rings[i].state != CLI_RING_STALE)
			continue;
		ret = shmring_unlink(rings[i].name);
		if (ret == -ENOENT) /* someone else removed it first */
			continue;
		if (ret) {
			cli_err_ring(rings[i].name, ret);
			status = CLI_FAIL;
			continue;
		}
		printf("removed %s\n",
		       cli_printable(rings[i].name, shown, sizeof(shown)));
	}
	free(rings);
	return status;
}

int cmd_rm(int argc, char **argv)
{
	enum { O_STALE = 256, O_PREFIX };
	static const struct option opts[] = {
		{ "stale", no_argument, NULL, O_STALE },
		{ "prefix", required_argument, NULL, O_PREFIX },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prefix = NULL;
	bool stale = false;
	int c, status = 0;

	while ((c = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (c) {
		case O_STALE: stale = true; break;
		case O_PREFIX:
			if (optarg[0] != '/' || strchr(optarg + 1, '/'))
				return cli_usage("bad prefix '%s' (a POSIX ring "
						 "name's start, e.g. /app-)",
						 optarg);
			prefix = optarg;
			break;
		case 'h': return cli_help(rm_help);
		default: return CLI_USAGE;
		}
	}
	if (prefix && !stale)
		return cli_usage("--prefix goes with --stale");
	if (stale) {
		if (optind < argc)
			return cli_usage("--stale takes no names");
		return rm_stale(prefix);
	}
	if (optind >= argc)
		return cli_usage("missing ring name");
	for (int i = optind; i < argc; i++)
		if (rm_one(argv[i]))
			status = CLI_FAIL;
	return status;
}
