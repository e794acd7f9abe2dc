/*
 * shmring.c - the shmring command: list, inspect, watch, create, remove,
 * feed and drain rings from the shell, like ipcs(1)/ipcrm(1) for shared
 * memory. This file owns the dispatch to the subcommands (cli-*.c) and
 * the exit status when standard output fails.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "cli.h"

static const char main_help[] =
	"Usage: shmring COMMAND [OPTION]... [ARG]...\n"
	"\n"
	"Manage shmring message rings in shared memory.\n"
	"\n"
	"Commands:\n"
	"  ls [--json]                  list the rings in " CLI_SHM_DIR "\n"
	"  info NAME [--json]           everything a ring records\n"
	"  stat NAME [-w SECS] [-n COUNT] [--json]\n"
	"                               its traffic, refreshed like top\n"
	"  create NAME [--kind spsc|mpmc] [--capacity N] [--max-msg N]\n"
	"              [--mode OCTAL]   make a ring\n"
	"  rm NAME... | rm --stale [--prefix /PREFIX]\n"
	"                               remove rings, or every stale one\n"
	"  send NAME [--timeout SECS]   each line of input as one message\n"
	"  recv NAME... [-p] [-n COUNT] [--timeout SECS]\n"
	"                               each message as one line of output\n"
	"  limits [--json]              the system's shared-memory limits\n"
#ifdef SHMRING_WITH_BRIDGE
	"  bridge FROM TO [--pub] [--bind] [--curve-...]\n"
	"                               a ring over ZeroMQ (tcp://, ipc://)\n"
#endif
	"\n"
	"NAME is /NAME (POSIX, in " CLI_SHM_DIR "), file:PATH, sysv:KEY or\n"
	"sysv:PATH:PROJ. 'shmring COMMAND --help' tells more; see shmring(1).\n"
	"Exit status: 0 success, 1 failure, 2 usage error.\n";

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "ls", cmd_ls },	  { "info", cmd_info }, { "stat", cmd_stat },
	{ "create", cmd_create }, { "rm", cmd_rm },	{ "send", cmd_send },
	{ "recv", cmd_recv },	  { "limits", cmd_limits },
#ifdef SHMRING_WITH_BRIDGE
	{ "bridge", cmd_bridge },
#endif
};

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;
	int status = -1;

	if (!cmd)
		return cli_usage("missing command");
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") ||
	    !strcmp(cmd, "help"))
		return cli_help(main_help);
	if (!strcmp(cmd, "--version")) {
		printf("shmring %s\n", PACKAGE_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(cmd, commands[i].name))
			continue;
		cli_cmd = commands[i].name;
		status = commands[i].run(argc - 1, argv + 1);
		break;
	}
	if (status < 0)
		return cli_usage("unknown command '%s'", cmd);
	/* A listing lost to a full disk or a closed pipe is a failure. */
	if (fflush(stdout) || ferror(stdout)) {
		if (!status)
			cli_err(NULL, "writing standard output: %s",
				strerror(errno));
		status = status ? status : CLI_FAIL;
	}
	return status;
}
