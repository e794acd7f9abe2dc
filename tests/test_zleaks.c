/* test_zleaks.c - runs after every other test program: no /shmring-t-* object or ring file, and no SysV segment of a test ring, of a finished test may remain. */
#include "testutil.h"

#include <dirent.h>

/*
 * A test names its rings after its own pid. An object whose pid is alive
 * belongs to a test still running (another build's `make check`, say) and
 * is left alone; one whose pid is gone was leaked by a test killed on
 * timeout or crash, or by a missing cleanup: it is removed and reported.
 * Returns how many were left in @dir; /dev/shm's go through shm_unlink().
 */
static unsigned sweep(const char *dir)
{
	const char *prefix = &TU_NAME_PREFIX[1]; /* without the slash */
	size_t plen = strlen(prefix);
	int shm = !strcmp(dir, "/dev/shm");
	struct dirent *e;
	unsigned leaked = 0;
	DIR *d = opendir(dir);

	cr_assert_not_null(d, "opendir %s: %s", dir, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		char path[600];
		long pid;

		if (strncmp(e->d_name, prefix, plen) != 0)
			continue;
		pid = strtol(e->d_name + plen, NULL, 10);
		if (pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		fprintf(stderr, "leaked: %s\n", path);
		if (shm)
			shm_unlink(path + strlen(dir));
		else
			unlink(path);
		leaked++;
	}
	closedir(d);
	return leaked;
}

Test(zleaks, none_left, .timeout = 30)
{
	unsigned leaked = sweep("/dev/shm");

	cr_assert_eq(leaked, 0, "%u test ring(s) left in /dev/shm", leaked);
}

/* The same for the rings of the file backing (tu_place() puts them). */
Test(zleaks, no_file_left, .timeout = 30)
{
	const char *dir = getenv("SHMRING_TEST_DIR");
	unsigned leaked;

	if (!dir || !*dir)
		dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	leaked = sweep(dir);
	cr_assert_eq(leaked, 0, "%u test ring file(s) left in %s", leaked, dir);
}

/*
 * The same for the SysV segments of tests run on the sysv backend: the
 * key carries the pid of the test that made it (TU_SYSV_KEY). Listed
 * from /proc, not found by key: a leak can have any index. (Checked with
 * a segment made under the key of a pid that no process has: reported,
 * removed, and the test failed.)
 */
Test(zleaks, no_sysv_left, .timeout = 30)
{
	unsigned leaked = 0;
	char line[512];
	FILE *f = fopen("/proc/sysvipc/shm", "re");

	cr_assert_not_null(f, "/proc/sysvipc/shm: %s", strerror(errno));
	/* The first line names the columns: key, then shmid. */
	cr_assert_not_null(fgets(line, sizeof(line), f), "empty /proc/sysvipc/shm");
	while (fgets(line, sizeof(line), f)) {
		long long key;
		int id;
		pid_t pid;

		if (sscanf(line, "%lld %d", &key, &id) != 2 ||
		    ((uint32_t)key & TU_SYSV_KEY_MASK) != TU_SYSV_KEY_BASE)
			continue;
		pid = TU_SYSV_KEY_PID(key);
		if (kill(pid, 0) == 0 || errno == EPERM)
			continue;
		fprintf(stderr, "leaked: SysV segment key 0x%08x, id %d\n",
			(unsigned)key, id);
		shmctl(id, IPC_RMID, NULL);
		leaked++;
	}
	fclose(f);
	cr_assert_eq(leaked, 0, "%u test SysV segment(s) left", leaked);
}
