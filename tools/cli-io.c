/*
 * cli-io.c - `shmring send` and `shmring recv`: a ring as a pipe between
 * shell commands, one message per line of text.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char send_help[] =
	"Usage: shmring send NAME [--timeout SECS]\n"
	"\n"
	"Attach to ring NAME as a producer and send each line of standard\n"
	"input as one message, without its newline. At the end of the input,\n"
	"detach: once the consumers have read everything, that is the end of\n"
	"the stream for them. The ring must exist (see shmring create).\n"
	"\n"
	"  --timeout SECS  fail when the ring stays full for SECS seconds\n"
	"                  (default: wait as long as it takes)\n"
	"  --help          this text\n";

static const char recv_help[] =
	"Usage: shmring recv NAME... [-p] [-n COUNT] [--timeout SECS] [--from oldest]\n"
	"\n"
	"Attach to ring NAME as a consumer and print each message as one line.\n"
	"Exits 0 at the end of the stream (every producer has detached or died\n"
	"and the ring is empty) or after COUNT messages. With several names,\n"
	"take from all the rings at once, as their messages come (waiting on\n"
	"them together with shmring_poll), until each has ended.\n"
	"\n"
	"  -p, --prefix       begin each line with the ring's name and ': '\n"
	"  -n, --count COUNT  stop after COUNT messages in all\n"
	"  --timeout SECS     fail when no message comes for SECS seconds\n"
	"                     (default: wait as long as it takes; 0: take only\n"
	"                     what is in the ring now)\n"
	"  --from oldest      bcast: start with the oldest message still in\n"
	"                     the ring, not the first one published after the\n"
	"                     attach; a message lost to an overwriting\n"
	"                     publisher is reported on standard error\n"
	"  --help             this text\n";

/* Parse --timeout into *ns; 0, or a usage error. */
static int parse_timeout(const char *s, int64_t *ns)
{
	double secs;

	if (cli_parse_secs(s, &secs))
		return cli_usage("bad timeout '%s' (seconds)", s);
	*ns = (int64_t)(secs * 1e9);
	return 0;
}

static int one_name(int argc, char **argv, const char **name)
{
	if (optind >= argc)
		return cli_usage("missing ring name");
	if (optind + 1 < argc)
		return cli_usage("unexpected argument '%s'", argv[optind + 1]);
	*name = argv[optind];
	return 0;
}

static int attach(const char *name, int role, struct shmring **r,
		  struct shmring_info *info)
{
	int err = shmring_open(name, role, r);

	if (err == -EBUSY) {
		cli_err(name, "a live %s is attached already (an spsc ring has "
			      "one of each)",
			role == SHMRING_PRODUCER ? "producer" : "consumer");
		return CLI_FAIL;
	}
	if (err) {
		cli_err_open(name, err);
		return CLI_FAIL;
	}
	shmring_info(*r, info);
	return 0;
}

int cmd_send(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct shmring_info info;
	int64_t timeout = -1;
	struct shmring *r;
	const char *name;
	char *line = NULL;
	size_t size = 0;
	uint64_t lineno = 0;
	ssize_t len;
	int c, ret, status = 0;

	while ((c = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 't':
			ret = parse_timeout(optarg, &timeout);
			if (ret)
				return ret;
			break;
		case 'h': return cli_help(send_help);
		default: return CLI_USAGE;
		}
	}
	ret = one_name(argc, argv, &name);
	if (ret)
		return ret;
	if (attach(name, SHMRING_PRODUCER, &r, &info))
		return CLI_FAIL;

	while ((len = getline(&line, &size, stdin)) >= 0) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			len--;
		if ((size_t)len > info.max_msg) {
			cli_err(name,
				"line %" PRIu64 " is %zd bytes, more than the "
				"ring's largest message (%zu)",
				lineno, len, info.max_msg);
			status = CLI_FAIL;
			break;
		}
		ret = shmring_send(r, line, (size_t)len, timeout);
		if (ret == -ETIMEDOUT || ret == -EAGAIN) {
			cli_err(name, "ring still full after the timeout");
			status = CLI_FAIL;
			break;
		}
		if (ret == -EPIPE) {
			cli_err(name, "no consumer left: every one has "
				      "detached or died");
			status = CLI_FAIL;
			break;
		}
		if (ret) {
			cli_err_ring(name, ret);
			status = CLI_FAIL;
			break;
		}
	}
	if (!status && ferror(stdin)) {
		cli_err(name, "reading standard input: %s", strerror(errno));
		status = CLI_FAIL;
	}
	free(line);
	/* Detaching is the end of the stream for the consumers. */
	shmring_close(r);
	return status;
}

/* Print one message as a line, after its ring's name if asked. */
static void put_line(const char *name, const char *buf, size_t len)
{
	if (name)
		printf("%s: ", name);
	fwrite(buf, 1, len, stdout);
	putchar('\n');
}

/*
 * `shmring recv` of several rings (or with --prefix): one consumer handle
 * each, multiplexed with shmring_poll(); a ring that ends leaves the set.
 */
static int recv_many(char **names, int n, bool prefix, uint64_t count,
		     int64_t timeout)
{
	struct shmring_pollitem it[SHMRING_POLL_MAX];
	const char *name[SHMRING_POLL_MAX];
	size_t max = 1;
	uint64_t got = 0;
	int open = 0, status = 0;
	char *buf;

	if (n > SHMRING_POLL_MAX)
		return cli_usage("at most %d rings", SHMRING_POLL_MAX);
	for (int i = 0; i < n; i++) {
		struct shmring_info info;
		if (attach(names[i], SHMRING_CONSUMER, &it[open].ring, &info)) {
			status = CLI_FAIL;
			goto out;
		}
		it[open].events = POLLIN;
		name[open++] = names[i];
		if (info.max_msg > max)
			max = info.max_msg;
	}
	buf = malloc(max);
	if (!buf) {
		cli_err(names[0], "out of memory");
		status = CLI_FAIL;
		goto out;
	}
	while (open && (!count || got < count)) {
		fflush(stdout);
		int ready = shmring_poll(it, (unsigned)open, timeout);
		if (ready == -EINTR)
			continue;
		if (ready <= 0) {
			cli_err(name[0], "%s",
				ready ? shmring_strerror(ready) :
					"no message within the timeout");
			status = CLI_FAIL;
			break;
		}
		for (int i = 0; i < open && (!count || got < count); i++) {
			ssize_t len = 0;
			if (!it[i].revents)
				continue;
			/* Until -EAGAIN: what came meanwhile, too. */
			while ((!count || got < count) &&
			       (len = shmring_try_recv(it[i].ring, buf, max)) >= 0) {
				put_line(prefix ? name[i] : NULL, buf, (size_t)len);
				got++;
			}
			if (len >= 0 || len == -EAGAIN)
				continue;
			if (len != -EPIPE) {
				cli_err_ring(name[i], (int)len);
				status = CLI_FAIL;
			}
			/* Ended: out of the set. */
			shmring_close(it[i].ring);
			it[i] = it[--open];
			name[i--] = name[open];
		}
	}
	free(buf);
out:
	while (open--)
		shmring_close(it[open].ring);
	if (fflush(stdout) || ferror(stdout)) {
		cli_err(names[0], "writing standard output: %s", strerror(errno));
		status = CLI_FAIL;
	}
	return status;
}

/*
 * Print the messages of consumer @r (ring @name) as lines into @buf of
 * @cap bytes, until the end of stream or @count of them (0: no limit);
 * the exit status.
 */
static int recv_lines(struct shmring *r, const char *name, char *buf,
		      size_t cap, uint64_t count, int64_t timeout)
{
	uint64_t got = 0;
	int status = 0;

	while (!count || got < count) {
		ssize_t len = shmring_try_recv(r, buf, cap);
		/*
		 * Output is block-buffered into a pipe; flush whenever the
		 * ring runs dry, so that lines flow on while nothing is lost
		 * to a system call per message.
		 */
		if (len == -EAGAIN) {
			fflush(stdout);
			len = shmring_recv(r, buf, cap, timeout);
		}
		if (len == -EPIPE) /* end of stream */
			break;
		if (len == -EOVERFLOW) { /* overtaken: say so, go on */
			uint64_t lost = 0;
			shmring_lost(r, &lost);
			fflush(stdout);
			cli_err(name, "overtaken by the publisher: %" PRIu64
				      " messages lost so far", lost);
			continue;
		}
		if (len == -ETIMEDOUT || len == -EAGAIN) {
			cli_err(name, "no message within the timeout");
			status = CLI_FAIL;
			break;
		}
		if (len < 0) {
			cli_err_ring(name, (int)len);
			status = CLI_FAIL;
			break;
		}
		fwrite(buf, 1, (size_t)len, stdout);
		putchar('\n');
		got++;
	}
	return status;
}

int cmd_recv(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "prefix", no_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 't' },
		{ "from", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct shmring_info info;
	int64_t timeout = -1;
	bool oldest = false;
	uint64_t count = 0;
	struct shmring *r;
	const char *name;
	char *buf;
	int c, ret, status = 0;
	bool prefix = false;

	while ((c = cli_getopt(argc, argv, "n:ph", opts)) != -1) {
		switch (c) {
		case 'p':
			prefix = true;
			break;
		case 'n':
			if (cli_parse_count(optarg, &count))
				return cli_usage("bad count '%s' (a positive "
						 "integer)",
						 optarg);
			break;
		case 't':
			ret = parse_timeout(optarg, &timeout);
			if (ret)
				return ret;
			break;
		case 'f':
			if (strcmp(optarg, "oldest"))
				return cli_usage("bad --from '%s' (oldest)",
						 optarg);
			oldest = true;
			break;
		case 'h': return cli_help(recv_help);
		default: return CLI_USAGE;
		}
	}
	if (optind < argc && (prefix || argc - optind > 1))
		return recv_many(argv + optind, argc - optind, prefix, count,
				 timeout);
	ret = one_name(argc, argv, &name);
	if (ret)
		return ret;
	if (attach(name, SHMRING_CONSUMER, &r, &info))
		return CLI_FAIL;
	if (oldest && (ret = shmring_seek(r, SHMRING_SEEK_OLDEST))) {
		cli_err(name, "--from oldest: %s", ret == -EINVAL ?
			"not a broadcast ring" : shmring_strerror(ret));
		shmring_close(r);
		return CLI_FAIL;
	}
	buf = malloc(info.max_msg ? info.max_msg : 1);
	if (!buf) {
		cli_err(name, "out of memory");
		shmring_close(r);
		return CLI_FAIL;
	}
	status = recv_lines(r, name, buf, info.max_msg, count, timeout);
	free(buf);
	shmring_close(r);
	if (fflush(stdout) || ferror(stdout)) {
		cli_err(name, "writing standard output: %s", strerror(errno));
		status = CLI_FAIL;
	}
	return status;
}
