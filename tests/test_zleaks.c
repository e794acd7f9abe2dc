/* test_zleaks.c - runs after every other test program: no /shmring-t-* object of a finished test may remain in /dev/shm. */
#include "testutil.h"

#include <dirent.h>

/*
 * A test names its rings after its own pid. An object whose pid is alive
 * belongs to a test still running (another build's `make check`, say) and
 * is left alone; one whose pid is gone was leaked by a test killed on
 * timeout or crash, or by a missing cleanup: it is removed and reported.
 */
Test(zleaks, none_left, .timeout = 30)
{
	const char *prefix = &TU_NAME_PREFIX[1]; /* without the slash */
	size_t plen = strlen(prefix);
	struct dirent *e;
	unsigned leaked = 0;
	DIR *d = opendir("/dev/shm");

	cr_assert_not_null(d, "opendir /dev/shm: %s", strerror(errno));
	while ((e = readdir(d)) != NULL) {
		char name[300];
		long pid;

		if (strncmp(e->d_name, prefix, plen) != 0)
			continue;
		pid = strtol(e->d_name + plen, NULL, 10);
		if (pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM))
			continue;
		snprintf(name, sizeof(name), "/%s", e->d_name);
		fprintf(stderr, "leaked: /dev/shm%s\n", name);
		shm_unlink(name);
		leaked++;
	}
	closedir(d);
	cr_assert_eq(leaked, 0, "%u test ring(s) left in /dev/shm", leaked);
}
