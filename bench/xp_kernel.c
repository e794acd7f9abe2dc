/*
 * xp_kernel.c - the kernel's IPC as channels for the generic loops:
 * pipe, FIFO, UNIX stream and datagram socketpairs (also one datagram
 * socketpair shared by two producers and two consumers), TCP over
 * loopback with TCP_NODELAY, POSIX and System V message queues, and an
 * eventfd pair signalling messages left in shared memory.
 *
 * Descriptors are made in the parent before the fork, in run->fd[]:
 *   streaming    fd[0] the consumers' end, fd[1] the producers' end;
 *   round trip   fd[0] and fd[1] the pinger's read and write ends,
 *                fd[2] and fd[3] the echoer's;
 * -1 where a bidirectional descriptor serves both. Each worker keeps its
 * own and closes the rest, so that closing the producer's end is an end
 * of stream. Named objects are removed as soon as every worker holds
 * them (POSIX queues at once: the workers inherit the descriptors), and
 * in any case by the parent on every exit path.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/msg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "bench.h"
#include "xp.h"

static unsigned name_seq;

void make_name(char *buf, size_t len, const char *prefix, const char *suffix)
{
	snprintf(buf, len, "%sshmring-bench-%ld-%u%s", prefix, (long)getpid(),
		 name_seq++, suffix);
}

/* ---------------------------------------------------------------- */
/* Descriptors                                                      */

static void fd_open(struct run *run, struct worker *w)
{
	int rd = -1, wr = -1;

	switch (w->role) {
	case R_CONS:
		rd = 0;
		break;
	case R_PROD:
		wr = 1;
		break;
	case R_PING:
		rd = 0;
		wr = 1;
		break;
	case R_ECHO:
		rd = 2;
		wr = 3;
		break;
	case R_SOLO:
		die("no solo loop for descriptors (internal)");
	}
	for (int i = 0; i < 4; i++)
		if (i != rd && i != wr)
			close_fd(&run->fd[i]);
	w->rd = rd >= 0 ? run->fd[rd] : -1;
	w->wr = wr >= 0 ? run->fd[wr] : -1;
	/* a bidirectional descriptor stands in the read slot only */
	if (w->wr < 0)
		w->wr = w->rd;
	if (w->rd < 0 && w->role != R_PROD)
		w->rd = w->wr;
}

static void fd_close(struct run *run, struct worker *w)
{
	(void)run;
	if (w->wr == w->rd)
		w->wr = -1;
	close_fd(&w->rd);
	close_fd(&w->wr);
}

static int stream_send(struct worker *w, const void *m, size_t len)
{
	return write_full(w->wr, m, len);
}

static ssize_t stream_recv(struct worker *w, void *buf, size_t cap)
{
	return read_full(w->rd, buf, cap);
}

static int dgram_send(struct worker *w, const void *m, size_t len)
{
	ssize_t n;

	while ((n = send(w->wr, m, len, 0)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

static ssize_t dgram_recv(struct worker *w, void *buf, size_t cap)
{
	ssize_t n;

	while ((n = recv(w->rd, buf, cap, 0)) < 0 && errno == EINTR)
		;
	if (n == 0)
		return -EPROTO; /* no empty datagrams are sent */
	return n < 0 ? -errno : n;
}

/* ---------------------------------------------------------------- */
/* pipe, socketpairs                                                */

int pipe_prepare(struct run *run)
{
	int a[2], b[2];

	if (pipe2(a, O_CLOEXEC) < 0)
		die("pipe2: %s", strerror(errno));
	if (run->t->kind == TPUT) {
		run->fd[0] = a[0];
		run->fd[1] = a[1];
		return 0;
	}
	if (pipe2(b, O_CLOEXEC) < 0)
		die("pipe2: %s", strerror(errno));
	/* a: pinger to echoer; b: back */
	run->fd[0] = b[0];
	run->fd[1] = a[1];
	run->fd[2] = a[0];
	run->fd[3] = b[1];
	return 0;
}

static int pair_prepare(struct run *run, int type)
{
	int sv[2];

	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair: %s", strerror(errno));
	if (run->t->kind == TPUT) {
		run->fd[0] = sv[0];
		run->fd[1] = sv[1];
	} else {
		run->fd[0] = sv[0];
		run->fd[2] = sv[1];
	}
	return 0;
}

int ustream_prepare(struct run *run)
{
	return pair_prepare(run, SOCK_STREAM);
}

int udgram_prepare(struct run *run)
{
	/* one datagram must hold the largest message */
	if (run->size > 212992) {
		snprintf(run->na, sizeof(run->na),
			 "datagrams above the socket buffer");
		return -ENOTSUP;
	}
	return pair_prepare(run, SOCK_DGRAM);
}

/* pipes and stream sockets: closing the write end is the end of stream */
const struct chan_ops stream_chan = {
	fd_open, stream_send, stream_recv, fd_close, true, NULL, NULL
};
const struct chan_ops udgram_chan = {
	fd_open, dgram_send, dgram_recv, fd_close, false, NULL, NULL
};

/* ---------------------------------------------------------------- */
/* FIFO                                                             */

int fifo_prepare(struct run *run)
{
	int n = run->t->kind == TPUT ? 1 : 2;

	for (int i = 0; i < n; i++) {
		make_name(run->path[i], sizeof(run->path[i]), "/tmp/", ".fifo");
		run->res[i] = res_add(RES_PATH, run->path[i], -1);
		if (mkfifo(run->path[i], 0600) < 0)
			die("mkfifo %s: %s", run->path[i], strerror(errno));
	}
	return 0;
}

static int open_path(const char *path, int flags)
{
	int fd;

	while ((fd = open(path, flags | O_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	return fd;
}

/* Opening a FIFO waits for the other end: both sides open in the same
 * order (path[0], then path[1]) so that they meet. */
static void fifo_open(struct run *run, struct worker *w)
{
	switch (w->role) {
	case R_CONS:
		w->rd = open_path(run->path[0], O_RDONLY);
		break;
	case R_PROD:
		w->wr = open_path(run->path[0], O_WRONLY);
		break;
	case R_PING:
		w->wr = open_path(run->path[0], O_WRONLY);
		w->rd = open_path(run->path[1], O_RDONLY);
		break;
	case R_ECHO:
		w->rd = open_path(run->path[0], O_RDONLY);
		w->wr = open_path(run->path[1], O_WRONLY);
		break;
	case R_SOLO:
		die("no solo loop for a FIFO (internal)");
	}
}

const struct chan_ops fifo_chan = {
	fifo_open, stream_send, stream_recv, fd_close, true, NULL, NULL
};

/* ---------------------------------------------------------------- */
/* TCP over loopback                                                */

int tcp_prepare(struct run *run)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int one = 1, fd;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 4) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		die("listening on 127.0.0.1: %s", strerror(errno));
	run->fd[0] = fd; /* kept by the accepting side */
	run->id[0] = ntohs(sa.sin_port);
	return 0;
}

static void nodelay(int fd)
{
	int one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		die("TCP_NODELAY: %s", strerror(errno));
}

static void tcp_open(struct run *run, struct worker *w)
{
	int fd;

	if (w->role == R_CONS || w->role == R_ECHO) {
		while ((fd = accept4(run->fd[0], NULL, NULL, SOCK_CLOEXEC)) < 0 &&
		       errno == EINTR)
			;
		if (fd < 0)
			die("accept: %s", strerror(errno));
	} else {
		struct sockaddr_in sa = { .sin_family = AF_INET };

		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sa.sin_port = htons((uint16_t)run->id[0]);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("socket: %s", strerror(errno));
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			die("connect to 127.0.0.1:%d: %s", run->id[0],
			    strerror(errno));
	}
	close_fd(&run->fd[0]);
	nodelay(fd);
	w->rd = w->wr = fd;
}

const struct chan_ops tcp_chan = {
	tcp_open, stream_send, stream_recv, fd_close, true, NULL, NULL
};

/* ---------------------------------------------------------------- */
/* POSIX message queues                                             */

static long read_proc_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int mq_make(struct run *run, long maxmsg, int *fd)
{
	struct mq_attr attr = { .mq_maxmsg = maxmsg,
				.mq_msgsize = (long)run->size };
	char name[64];
	int slot, err;
	mqd_t q;

	make_name(name, sizeof(name), "/", "");
	slot = res_add(RES_MQ, name, -1);
	q = mq_open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600, &attr);
	err = errno;
	/* the workers inherit the descriptor: the name can go now */
	res_release(slot);
	if (q == (mqd_t)-1) {
		snprintf(run->na, sizeof(run->na),
			 "mq_open: %s (msgsize_max %ld)", strerror(err),
			 read_proc_long("/proc/sys/fs/mqueue/msgsize_max"));
		return -ENOTSUP;
	}
	*fd = (int)q;
	return 0;
}

static int dup_or_die(int fd)
{
	int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	if (d < 0)
		die("dup: %s", strerror(errno));
	return d;
}

int pmq_prepare(struct run *run)
{
	/* default msg_max is 10; keep two queues under the default
	 * RLIMIT_MSGQUEUE (800 KiB) even at 64 KiB */
	long maxmsg = 300000 / (long)run->size;
	int a, b;

	if (maxmsg > 10)
		maxmsg = 10;
	if (maxmsg < 1)
		maxmsg = 1;
	if (mq_make(run, maxmsg, &a) < 0)
		return -ENOTSUP;
	if (run->t->kind == TPUT) {
		run->fd[0] = a;
		run->fd[1] = dup_or_die(a);
		return 0;
	}
	if (mq_make(run, maxmsg, &b) < 0) {
		close(a);
		return -ENOTSUP;
	}
	/* a: pinger to echoer; b: back */
	run->fd[0] = b;
	run->fd[1] = a;
	run->fd[2] = dup_or_die(a);
	run->fd[3] = dup_or_die(b);
	return 0;
}

static int pmq_send(struct worker *w, const void *m, size_t len)
{
	int rc;

	while ((rc = mq_send((mqd_t)w->wr, m, len, 0)) < 0 && errno == EINTR)
		;
	return rc < 0 ? -errno : 0;
}

static ssize_t pmq_recv(struct worker *w, void *buf, size_t cap)
{
	ssize_t n;

	while ((n = mq_receive((mqd_t)w->rd, buf, cap, NULL)) < 0 &&
	       errno == EINTR)
		;
	return n < 0 ? -errno : n;
}

const struct chan_ops pmq_chan = {
	fd_open, pmq_send, pmq_recv, fd_close, false, NULL, NULL
};

/* ---------------------------------------------------------------- */
/* System V message queues                                          */

/* One queue; the round trip tells the two ways apart by type. */
#define SYSV_DOWN 1
#define SYSV_UP 2

struct sysv_msg {
	long mtype;
	unsigned char mtext[];
};

int sysv_prepare(struct run *run)
{
	long msgmax = read_proc_long("/proc/sys/kernel/msgmax");
	long msgmnb = read_proc_long("/proc/sys/kernel/msgmnb");
	sigset_t all, old;
	int id, err;

	if ((msgmax > 0 && (long)run->size > msgmax) ||
	    (msgmnb > 0 && (long)run->size > msgmnb)) {
		snprintf(run->na, sizeof(run->na), "message > msgmax %ld",
			 msgmax);
		return -ENOTSUP;
	}
	/* no signal between making the queue and recording it */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	err = errno;
	if (id >= 0)
		run->res[0] = res_add(RES_SYSV, NULL, id);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (id < 0)
		die("msgget: %s", strerror(err));
	run->id[0] = id;
	return 0;
}

static void sysv_open(struct run *run, struct worker *w)
{
	struct sysv_msg *m = malloc(sizeof(*m) + run->size);

	if (!m)
		die("out of memory");
	w->ctx = m;
	w->rd = w->wr = run->id[0];
	/* the types this worker takes and gives, in h[] as integers */
	w->h[0] = (void *)(intptr_t)(w->role == R_PING ? SYSV_UP : SYSV_DOWN);
	w->h[1] = (void *)(intptr_t)(w->role == R_ECHO ? SYSV_UP : SYSV_DOWN);
}

static int sysv_send(struct worker *w, const void *msg, size_t len)
{
	struct sysv_msg *m = w->ctx;
	int rc;

	/* the API wants the type just before the text: one copy more */
	m->mtype = (long)(intptr_t)w->h[1];
	memcpy(m->mtext, msg, len);
	while ((rc = msgsnd(w->wr, m, len, 0)) < 0 && errno == EINTR)
		;
	return rc < 0 ? -errno : 0;
}

static ssize_t sysv_recv(struct worker *w, void *buf, size_t cap)
{
	struct sysv_msg *m = w->ctx;
	ssize_t n;

	while ((n = msgrcv(w->rd, m, cap, (long)(intptr_t)w->h[0], 0)) < 0 &&
	       errno == EINTR)
		;
	if (n < 0)
		return -errno;
	memcpy(buf, m->mtext, (size_t)n);
	return n;
}

static void sysv_close(struct run *run, struct worker *w)
{
	(void)run;
	free(w->ctx);
	w->ctx = NULL;
	w->rd = w->wr = -1;
}

const struct chan_ops sysv_chan = {
	sysv_open, sysv_send, sysv_recv, sysv_close, false, NULL, NULL
};

/* ---------------------------------------------------------------- */
/* eventfd + shared memory                                          */

/*
 * Two message slots in a shared mapping, one each way, and an eventfd
 * each way saying "your slot is full". The eventfd write and read are
 * system calls, full barriers both: the slot's bytes are visible before
 * the count that announces them.
 */
int efd_prepare(struct run *run)
{
	int down, up;

	run->slot = (run->size + 63) & ~(size_t)63;
	run->map_len = 2 * run->slot;
	run->map = map_shared(run->map_len);
	down = eventfd(0, EFD_CLOEXEC);
	up = eventfd(0, EFD_CLOEXEC);
	if (down < 0 || up < 0)
		die("eventfd: %s", strerror(errno));
	run->fd[0] = up;
	run->fd[1] = down;
	run->fd[2] = dup_or_die(down);
	run->fd[3] = dup_or_die(up);
	return 0;
}

static void efd_open(struct run *run, struct worker *w)
{
	unsigned char *slots = run->map;

	fd_open(run, w);
	/* h[0]: the slot this worker reads; h[1]: the one it writes */
	w->h[0] = slots + (w->role == R_PING ? run->slot : 0);
	w->h[1] = slots + (w->role == R_PING ? 0 : run->slot);
}

static int efd_send(struct worker *w, const void *m, size_t len)
{
	uint64_t one = 1;

	memcpy(w->h[1], m, len);
	return write_full(w->wr, &one, sizeof(one));
}

static ssize_t efd_recv(struct worker *w, void *buf, size_t cap)
{
	uint64_t v;
	ssize_t n = read_full(w->rd, &v, sizeof(v));

	if (n <= 0)
		return n;
	memcpy(buf, w->h[0], cap);
	return (ssize_t)cap;
}

const struct chan_ops efd_chan = {
	efd_open, efd_send, efd_recv, fd_close, false, NULL, NULL
};
