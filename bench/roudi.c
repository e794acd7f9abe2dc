/*
 * roudi.c - iceoryx's daemon, RouDi, for the benchmarks (roudi.h): a
 * configuration of its own, started with `iox-roudi` found on PATH,
 * ready when it says so, stopped by its pid.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "roudi.h"

#define ROUDI_READY "RouDi is ready for clients"
#define ROUDI_START_S 20 /* RouDi reserves its memory first */

/* The RouDi started here: its pid and its stdout. */
static pid_t roudi_pid;
static int roudi_out = -1;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * One segment with pools for the sizes the benchmarks send (a chunk
 * carries a header of its own before the payload).
 */
int roudi_config(const char *path)
{
	static const char cfg_text[] =
		"[general]\nversion = 1\n\n[[segment]]\n\n"
		"[[segment.mempool]]\nsize = 256\ncount = 2048\n\n"
		"[[segment.mempool]]\nsize = 1280\ncount = 512\n\n"
		"[[segment.mempool]]\nsize = 4352\ncount = 512\n\n"
		"[[segment.mempool]]\nsize = 66816\ncount = 300\n";
	FILE *f = fopen(path, "w");
	int err;

	if (!f)
		return -errno;
	err = fputs(cfg_text, f) < 0 ? -errno : 0;
	if (fclose(f) != 0 && !err)
		err = -errno;
	return err;
}

static _Noreturn void roudi_exec(const char *config, int out)
{
	dup2(out, STDOUT_FILENO);
	dup2(out, STDERR_FILENO);
	/* RouDi must not outlive this program, whatever kills it */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	execlp("iox-roudi", "iox-roudi", "-c", config, "-m", "off", "-l",
	       "warning", (char *)NULL);
	printf("cannot run iox-roudi: %s\n", strerror(errno));
	_exit(127);
}

pid_t roudi_spawn(const char *config)
{
	int fd[2];

	if (pipe2(fd, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	roudi_pid = fork();
	if (roudi_pid < 0) {
		int err = -errno;

		roudi_pid = 0;
		close(fd[0]);
		close(fd[1]);
		return err;
	}
	if (roudi_pid == 0)
		roudi_exec(config, fd[1]);
	close(fd[1]);
	roudi_out = fd[0];
	return roudi_pid;
}

/* @text without its colour codes (ESC [ ... letter), in place. */
static void strip_colours(char *text)
{
	size_t n = 0;

	for (size_t i = 0; text[i]; i++) {
		if (text[i] == '\033') {
			while (text[i + 1] && !((text[i] | 32) >= 'a' &&
						(text[i] | 32) <= 'z'))
				i++;
			continue;
		}
		text[n++] = text[i];
	}
	text[n] = 0;
}

/* Why RouDi stopped: its fatal message, else its first error, else its
 * last line; into @out. */
static void roudi_reason(char *text, size_t got, char *out, size_t len)
{
	static const char *const marks[] = { "[ Fatal ]: ", "[ Error ]: " };
	const char *line = NULL;

	text[got] = 0;
	strip_colours(text);
	for (int k = 0; k < 2 && !line; k++)
		if ((line = strstr(text, marks[k])))
			line += strlen(marks[k]);
	if (!line) {
		size_t n = strlen(text);

		while (n && (text[n - 1] == '\n' || text[n - 1] == ' '))
			text[--n] = 0;
		line = strrchr(text, '\n') ? strrchr(text, '\n') + 1 : text;
	}
	snprintf(out, len, "%.*s", (int)strcspn(line, "\n"), line);
}

/* Read RouDi's output until it says it is ready: 0, or -ENOTSUP. */
int roudi_ready(char *why, size_t len)
{
	char text[4096];
	size_t got = 0;
	uint64_t end = mono_ns() + ROUDI_START_S * UINT64_C(1000000000);

	while (!memmem(text, got, ROUDI_READY, sizeof(ROUDI_READY) - 1)) {
		struct pollfd p = { .fd = roudi_out, .events = POLLIN };
		uint64_t t = mono_ns();
		ssize_t n;

		if (t >= end || poll(&p, 1, (int)((end - t) / 1000000)) == 0) {
			snprintf(why, len, "iox-roudi not ready in %d s",
				 ROUDI_START_S);
			return -ENOTSUP;
		}
		if (got == sizeof(text) - 1)
			got = 0; /* only the last lines matter */
		n = read(roudi_out, text + got, sizeof(text) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			char last[100] = "exited";

			if (got)
				roudi_reason(text, got, last, sizeof(last));
			snprintf(why, len, "iox-roudi: %s", last);
			return -ENOTSUP;
		}
		got += (size_t)n;
	}
	return 0;
}

/* SIGTERM, then read what it says until it exits. */
int roudi_stop(void)
{
	char sink[512];
	ssize_t n = 1;
	int st = 0;

	if (roudi_pid > 0) {
		kill(roudi_pid, SIGTERM);
		while (roudi_out >= 0 && n != 0) {
			n = read(roudi_out, sink, sizeof(sink));
			if (n < 0 && errno != EINTR)
				break;
		}
		while (waitpid(roudi_pid, &st, 0) < 0 && errno == EINTR)
			;
		roudi_pid = 0;
	}
	if (roudi_out >= 0)
		close(roudi_out);
	roudi_out = -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/*
 * Its management segment, the payload segment named after the user, its
 * socket and locks.
 */
int roudi_name(int i, char *buf, size_t len, bool *shm)
{
	static const char *const paths[] = { "/tmp/roudi", "/tmp/roudi.lock",
					     "/tmp/iox-unique-roudi.lock" };
	struct passwd *pw;

	*shm = i < 2;
	if (i == 0) {
		snprintf(buf, len, "/iceoryx_mgmt");
	} else if (i == 1) {
		if (!(pw = getpwuid(geteuid())))
			return -ENOENT;
		snprintf(buf, len, "/%s", pw->pw_name);
	} else if (i < ROUDI_NAMES) {
		snprintf(buf, len, "%s", paths[i - 2]);
	} else {
		return -ENOENT;
	}
	return 0;
}
