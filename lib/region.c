/*
 * region.c - the memory: every kind of shared memory a Unix programmer
 * knows, created exclusively, fully reserved before use, and mapped only
 * after its size is checked.
 *
 * Names: "/name" (POSIX shm_open), "file:PATH" (a memory-mapped regular
 * file), "sysv:KEY" or "sysv:PATH:PROJ" (System V, key from ftok). The
 * unnamed kinds, anonymous and memfd, come through their own calls.
 *
 * Huge pages (hugetlb): asked for, the anonymous, memfd and System V kinds
 * take MAP_HUGETLB, MFD_HUGETLB and SHM_HUGETLB; a file: path on a
 * hugetlbfs mount is huge whether asked or not; a POSIX name cannot be
 * (/dev/shm is tmpfs). The size is rounded up to the huge page, and the
 * pages are reserved at creation, so that an empty or exhausted pool is
 * an error there and never a SIGBUS later.
 *
 * Rings are unknown here; ring.c decides what the bytes mean.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "atomics.h"
#include "region.h"

#define FILE_PREFIX "file:"
#define SYSV_PREFIX "sysv:"
#define MEMFD_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)
#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

struct parsed {
	int kind;
	const char *path; /* POSIX: the name; FILE: the path */
	key_t key;        /* SYSV */
};

static int parse_key(const char *s, key_t *key)
{
	const char *colon = strrchr(s, ':');
	if (colon) {
		/* sysv:PATH:PROJ - ftok() of an existing file. */
		char path[PATH_MAX];
		size_t n = (size_t)(colon - s);
		if (n == 0 || n >= sizeof(path))
			return -EINVAL;
		memcpy(path, s, n);
		path[n] = '\0';
		char *end;
		long proj = strtol(colon + 1, &end, 0);
		if (*end || end == colon + 1 || proj < 1 || proj > 255)
			return -EINVAL;
		key_t k = ftok(path, (int)proj);
		if (k == (key_t)-1)
			return errno == ENOENT ? -ENOENT : -EINVAL;
		*key = k;
		return 0;
	}
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 0);
	/* IPC_PRIVATE (0) names nothing another process could find. */
	if (*end || end == s || errno || v == 0 || v < INT32_MIN ||
	    v > (long long)UINT32_MAX)
		return -EINVAL;
	*key = (key_t)(int32_t)(uint32_t)v;
	return 0;
}

static int parse(const char *name, struct parsed *p)
{
	if (!name)
		return -EINVAL;
	if (!strncmp(name, FILE_PREFIX, strlen(FILE_PREFIX))) {
		p->kind = REGION_FILE;
		p->path = name + strlen(FILE_PREFIX);
		size_t n = strnlen(p->path, PATH_MAX);
		return n == 0 || n >= PATH_MAX ? -EINVAL : 0;
	}
	if (!strncmp(name, SYSV_PREFIX, strlen(SYSV_PREFIX))) {
		p->kind = REGION_SYSV;
		return parse_key(name + strlen(SYSV_PREFIX), &p->key);
	}
	/* shm_open names: one leading '/', no other, 1..NAME_MAX bytes. */
	p->kind = REGION_POSIX;
	p->path = name;
	size_t len = strnlen(name, 257);
	if (name[0] != '/' || len < 2 || len > 255 || strchr(name + 1, '/') ||
	    !strcmp(name, "/.") || !strcmp(name, "/.."))
		return -EINVAL;
	return 0;
}

int region_check_name(const char *name)
{
	struct parsed p;
	return parse(name, &p);
}

static void region_clear(struct region *out, int kind)
{
	out->base = NULL;
	out->size = 0;
	out->fd = -1;
	out->shmid = -1;
	out->kind = kind;
	out->writable = 0;
	out->huge = 0;
	out->shared = NULL;
}

/*
 * The default huge page size, the one MAP_HUGETLB, MFD_HUGETLB and
 * SHM_HUGETLB use when no size is encoded in the flags; 0 when the kernel
 * has no huge pages (no "Hugepagesize" line in /proc/meminfo).
 */
static size_t huge_page_size(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[128];
	unsigned long kb = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Hugepagesize: %lu kB", &kb) == 1)
			break;
	fclose(f);
	/* A size that is no power of two would round nothing right. */
	if (kb < 4 || (kb & (kb - 1)) || kb > SIZE_MAX / 1024)
		return 0;
	return (size_t)kb * 1024;
}

/* @size rounded up to @huge (a power of two); 0 if that overflows. */
static size_t huge_round(size_t size, size_t huge)
{
	if (size > (size_t)INT64_MAX - huge)
		return 0;
	return (size + huge - 1) & ~(huge - 1);
}

/* Round @size up to whole huge pages of the default size, noted in @out. */
static int huge_fit(size_t *size, struct region *out)
{
	out->huge = huge_page_size();
	if (!out->huge)
		return -EOPNOTSUPP;
	*size = huge_round(*size, out->huge);
	return *size ? 0 : -EINVAL;
}

/*
 * A huge page that cannot be had is one error to the caller whatever
 * call noticed it: mmap and shmget say ENOMEM, fallocate on hugetlbfs
 * ENOSPC. The pool is empty (none reserved) or exhausted: -ENOMEM.
 */
static int huge_err(int err)
{
	return err == -ENOSPC ? -ENOMEM : err;
}

static int map_fd(int fd, size_t size, int writable, struct region *out)
{
	int prot = PROT_READ | (writable ? PROT_WRITE : 0);
	void *p = mmap(NULL, size, prot, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	out->base = p;
	out->size = size;
	out->fd = fd;
	out->writable = writable;
	return 0;
}

/*
 * Size a fresh object and reserve every page of it: tmpfs (and a sparse
 * file) overcommit, and a page that cannot be had on first touch is a
 * SIGBUS in whoever touches it. Reserving now turns that into -ENOSPC.
 */
static int size_and_reserve(int fd, size_t size)
{
	if (ftruncate(fd, (off_t)size) < 0)
		return -errno;
	/*
	 * A caught signal interrupts a long fallocate (hugetlbfs says EINTR,
	 * not a restart); the pages it took stay taken: go on from there.
	 */
	int ret, tries = 0;
	do
		ret = posix_fallocate(fd, 0, (off_t)size);
	while (ret == EINTR && ++tries < 100);
	if (ret == EOPNOTSUPP || ret == EINVAL)
		return 0; /* no fallocate here: the size is still honest */
	return -ret;
}

/*
 * Growing a file past RLIMIT_FSIZE raises SIGXFSZ, whose default action
 * kills the process; tmpfs (POSIX names) honours the limit as a disk file
 * does. Checked before anything is created: a ring too big for the limit
 * is an error, not a death or a half-made object. Should the limit drop
 * between this check and the growth, the growth fails with EFBIG where
 * SIGXFSZ is ignored or blocked, and the object is removed.
 */
static int over_fsize_limit(size_t size)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_FSIZE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return 0;
	return (uint64_t)size > (uint64_t)rl.rlim_cur;
}

/*
 * A file on hugetlbfs is made of huge pages, asked for or not, and its
 * size must be a multiple of the file system's block, the huge page
 * (ftruncate refuses anything else). Huge pages asked for on any other
 * file system cannot be had: -EOPNOTSUPP.
 */
static int fit_fs(int fd, int huge, size_t *size, struct region *out)
{
	struct statfs fs;
	if (fstatfs(fd, &fs) < 0)
		return -errno;
	if ((uint32_t)fs.f_type != (uint32_t)HUGETLBFS_MAGIC)
		return huge ? -EOPNOTSUPP : 0;
	size_t page = (size_t)fs.f_bsize;
	if (page < 4096 || (page & (page - 1)))
		return -EOPNOTSUPP;
	*size = huge_round(*size, page);
	if (!*size)
		return -EINVAL;
	out->huge = page;
	return 0;
}

static int create_fd(const struct parsed *p, size_t size, unsigned mode,
		     int huge, struct region *out)
{
	if (over_fsize_limit(size))
		return -EFBIG;
	int fd;
	if (p->kind == REGION_POSIX)
		fd = shm_open(p->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
			      (mode_t)mode);
	else
		fd = open(p->path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
				   O_CLOEXEC, (mode_t)mode);
	if (fd < 0)
		return -errno;
	/* The umask may have narrowed the mode: apply it exactly. */
	int ret = fchmod(fd, (mode_t)mode) < 0 ? -errno : 0;
	if (!ret)
		ret = fit_fs(fd, huge, &size, out);
	if (!ret)
		ret = size_and_reserve(fd, size);
	if (!ret)
		ret = map_fd(fd, size, 1, out);
	if (ret && out->huge)
		ret = huge_err(ret);
	if (ret) {
		close(fd);
		if (p->kind == REGION_POSIX)
			shm_unlink(p->path);
		else
			unlink(p->path);
	}
	return ret;
}

static int create_sysv(key_t key, size_t size, unsigned mode, int huge,
		       struct region *out)
{
	/* System V ignores the umask: the mode is applied as given. */
	int flags = IPC_CREAT | IPC_EXCL | (int)mode;
	if (huge) {
		int ret = huge_fit(&size, out);
		if (ret)
			return ret;
		/*
		 * shmget reserves every huge page of the segment, so an empty
		 * or short pool fails here (ENOMEM). A caller without
		 * CAP_IPC_LOCK and outside vm.hugetlb_shm_group is refused
		 * with EPERM (older kernels: only past RLIMIT_MEMLOCK).
		 */
		flags |= SHM_HUGETLB;
	}
	int id = shmget(key, size, flags);
	if (id < 0)
		return errno == EINVAL ? -EINVAL : -errno;
	void *p = shmat(id, NULL, 0);
	if (p == (void *)-1) {
		int err = -errno;
		shmctl(id, IPC_RMID, NULL);
		return err;
	}
	out->base = p;
	out->size = size;
	out->shmid = id;
	out->writable = 1;
	return 0;
}

int region_create(const char *name, size_t size, unsigned mode, int huge,
		  struct region *out)
{
	struct parsed p;
	int ret = parse(name, &p);
	if (ret)
		return ret;
	if (size == 0 || size > (size_t)INT64_MAX)
		return -EINVAL;
	region_clear(out, p.kind);
	/* shm_open objects live on tmpfs, which has no huge pages to give. */
	if (huge && p.kind == REGION_POSIX)
		return -EOPNOTSUPP;
	if (p.kind == REGION_SYSV)
		return create_sysv(p.key, size, mode, huge, out);
	return create_fd(&p, size, mode, huge, out);
}

int region_create_unnamed(int kind, size_t size, int huge, struct region *out)
{
	if (size == 0 || size > (size_t)INT64_MAX)
		return -EINVAL;
	region_clear(out, kind);
	if (huge) {
		int ret = huge_fit(&size, out);
		if (ret)
			return ret;
	}
	if (kind == REGION_ANON) {
		/* MAP_SHARED hugetlb pages are reserved by mmap itself. */
		void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE |
				       (huge ? MAP_HUGETLB : 0),
			       -1, 0);
		if (p == MAP_FAILED)
			return -errno;
		out->base = p;
		out->size = size;
		out->writable = 1;
		return 0;
	}
	if (kind != REGION_MEMFD)
		return -EINVAL;
	/* A memfd is a tmpfs file: growing it past the limit is SIGXFSZ. */
	if (!huge && over_fsize_limit(size))
		return -EFBIG;
	int fd = memfd_create("shmring", MFD_CLOEXEC | MFD_ALLOW_SEALING |
					       (huge ? MFD_HUGETLB : 0));
	if (fd < 0)
		return -errno;
	/* On a hugetlb memfd, fallocate takes the pages from the pool now. */
	int ret = size_and_reserve(fd, size);
	/* Sealed: no holder of the fd can shrink it under another's map. */
	if (!ret && fcntl(fd, F_ADD_SEALS, MEMFD_SEALS) < 0)
		ret = -errno;
	if (!ret)
		ret = map_fd(fd, size, 1, out);
	if (ret && huge)
		ret = huge_err(ret);
	if (ret)
		close(fd);
	return ret;
}

/* Check a descriptor's object and map all of it. Takes ownership of fd. */
static int open_checked_fd(int fd, int kind, int writable, size_t min_size,
			   struct region *out)
{
	struct stat st;
	int ret = 0;
	if (fstat(fd, &st) < 0)
		ret = -errno;
	/* A short object would SIGBUS on access past its end: refuse it. */
	else if (!S_ISREG(st.st_mode) || st.st_size < (off_t)min_size)
		ret = -EPROTO;
	if (!ret && kind == REGION_MEMFD) {
		/* Without the seals a peer could truncate it: SIGBUS. */
		int seals = fcntl(fd, F_GET_SEALS);
		if (seals < 0 || (seals & (F_SEAL_SHRINK | F_SEAL_GROW)) !=
					 (F_SEAL_SHRINK | F_SEAL_GROW))
			ret = -EPROTO;
	}
	if (!ret) {
		region_clear(out, kind);
		ret = map_fd(fd, (size_t)st.st_size, writable, out);
	}
	if (ret)
		close(fd);
	return ret;
}

static int open_sysv(key_t key, int writable, size_t min_size,
		     struct region *out)
{
	int id = shmget(key, 0, 0);
	if (id < 0)
		return -errno;
	struct shmid_ds ds;
	if (shmctl(id, IPC_STAT, &ds) < 0)
		return -errno;
	if (ds.shm_segsz < min_size)
		return -EPROTO;
	void *p = shmat(id, NULL, writable ? 0 : SHM_RDONLY);
	if (p == (void *)-1)
		return -errno;
	region_clear(out, REGION_SYSV);
	out->base = p;
	out->size = ds.shm_segsz;
	out->shmid = id;
	out->writable = writable;
	return 0;
}

int region_open(const char *name, int writable, size_t min_size,
		struct region *out)
{
	struct parsed p;
	int ret = parse(name, &p);
	if (ret)
		return ret;
	if (p.kind == REGION_SYSV)
		return open_sysv(p.key, writable, min_size, out);
	/* O_NONBLOCK: a FIFO left under the name must not hang the open
	 * (open_checked_fd() then refuses it); nothing for a regular file. */
	int flags = (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NONBLOCK;
	int fd = p.kind == REGION_POSIX ? shm_open(p.path, flags, 0) :
					  open(p.path, flags | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	return open_checked_fd(fd, p.kind, writable, min_size, out);
}

int region_open_fd(int fd, int writable, size_t min_size, struct region *out)
{
	int mine = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (mine < 0)
		return -errno;
	return open_checked_fd(mine, REGION_MEMFD, writable, min_size, out);
}

/* A second, independent mapping of the same memory (for another handle). */
/*
 * Make the mapping shareable by later handles of this process. Done when
 * a handle is made, so that region_dup() from several threads at once
 * only ever increments the count.
 */
int region_share(struct region *reg)
{
	if (reg->shared)
		return 0;
	reg->shared = malloc(sizeof(*reg->shared));
	if (!reg->shared)
		return -ENOMEM;
	/* Not yet shared with anyone: an initialisation, no order. */
	atomic_init(reg->shared, 1);
	return 0;
}

int region_dup(struct region *in, int writable, struct region *out)
{
	if (writable && !in->writable)
		return -EPERM;
	/*
	 * A hugetlb mapping cannot be mapped again by mremap (EINVAL): a
	 * monitor on a huge anonymous ring shares the writable mapping (the
	 * API still refuses it every write; only the application area, a
	 * plain pointer, is not guarded by the MMU there).
	 */
	int same = writable == in->writable ||
		    (in->kind == REGION_ANON && in->huge);
	if (same && in->shared) {
		/* Same access: share the mapping, counted. */
		/* Relaxed: handles are handed between threads by the caller,
		 * which orders that; the count needs only atomicity. */
		fetch_add_relaxed(in->shared, 1);
		*out = *in;
		return 0;
	}
	/* A read-only handle on a writable ring: a mapping of its own. */
	region_clear(out, in->kind);
	switch (in->kind) {
	case REGION_ANON: {
		/* mremap of a shared mapping with old size 0 maps it again. */
		void *p = mremap(in->base, 0, in->size, MREMAP_MAYMOVE);
		if (p == MAP_FAILED)
			return -errno;
		/* The new mapping is as writable as the old: make it not. */
		if (!writable && mprotect(p, in->size, PROT_READ) < 0) {
			int err = errno;
			munmap(p, in->size);
			return -err;
		}
		out->base = p;
		out->size = in->size;
		out->writable = writable;
		return 0;
	}
	case REGION_SYSV: {
		void *p = shmat(in->shmid, NULL, writable ? 0 : SHM_RDONLY);
		if (p == (void *)-1)
			return -errno;
		out->base = p;
		out->size = in->size;
		out->shmid = in->shmid;
		out->writable = writable;
		return 0;
	}
	default: {
		int fd = fcntl(in->fd, F_DUPFD_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		int ret = map_fd(fd, in->size, writable, out);
		if (ret)
			close(fd);
		return ret;
	}
	}
}

void region_close(struct region *reg)
{
	if (reg->shared) {
		/* acq_rel: the last one out sees every other's last access. */
		if (fetch_sub_acq_rel(reg->shared, 1) > 1) {
			reg->base = NULL;
			reg->fd = -1;
			return;
		}
		free((void *)reg->shared);
		reg->shared = NULL;
	}
	if (reg->base && reg->kind != REGION_BORROWED) {
		if (reg->kind == REGION_SYSV)
			shmdt(reg->base);
		else
			munmap(reg->base, reg->size);
	}
	if (reg->fd >= 0)
		close(reg->fd);
	reg->base = NULL;
	reg->fd = -1;
}

int region_unlink(const char *name)
{
	struct parsed p;
	int ret = parse(name, &p);
	if (ret)
		return ret;
	switch (p.kind) {
	case REGION_SYSV: {
		int id = shmget(p.key, 0, 0);
		if (id < 0)
			return -errno;
		return shmctl(id, IPC_RMID, NULL) < 0 ? -errno : 0;
	}
	case REGION_FILE:
		return unlink(p.path) < 0 ? -errno : 0;
	default:
		return shm_unlink(p.path) < 0 ? -errno : 0;
	}
}

/* Pass a descriptor over a UNIX socket (SCM_RIGHTS), with one data byte. */
int region_send_fd(int sock, int fd)
{
	char byte = 'R';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	memset(&u, 0, sizeof(u));
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	ssize_t n;
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : 0;
}

int region_recv_fd(int sock, int *fd)
{
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	ssize_t n;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -EPIPE;
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int)) || (msg.msg_flags & MSG_CTRUNC))
		return -EPROTO;
	memcpy(fd, CMSG_DATA(c), sizeof(int));
	return 0;
}
