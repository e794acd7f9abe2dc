/*
 * client.c - send requests to the server demo and check the answers.
 *
 *   usage: client NAME [-n COUNT]     (NAME as given to server)
 *
 * Sends COUNT requests (default 1000), one at a time, to the server at
 * NAME and checks that each answer is its request's text upper-cased.
 * The work is in reqrep.c, shared with `server --demo`.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "reqrep.h"

int main(int argc, char **argv)
{
	long count = 1000;
	int c;

	while ((c = getopt(argc, argv, "n:")) != -1) {
		if (c == 'n' && (count = atol(optarg)) > 0)
			continue;
		count = -1;
		break;
	}
	if (count < 0 || optind != argc - 1) {
		fprintf(stderr, "usage: client NAME [-n COUNT]\n");
		return 2;
	}
	return client_run(argv[optind], count);
}
