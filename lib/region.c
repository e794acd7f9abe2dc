/*
 * region.c - the memory: POSIX shared-memory objects, created exclusively,
 * fully reserved before use, mapped only after their size is checked.
 *
 * Rings are unknown here; ring.c decides what the bytes mean.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "region.h"

/* shm_open names: one leading '/', no other, 1..NAME_MAX characters. */
int region_check_name(const char *name)
{
	if (!name || name[0] != '/')
		return -EINVAL;
	size_t len = strnlen(name, 257);
	if (len < 2 || len > 255)
		return -EINVAL;
	if (strchr(name + 1, '/'))
		return -EINVAL;
	if (!strcmp(name, "/.") || !strcmp(name, "/.."))
		return -EINVAL;
	return 0;
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

int region_create(const char *name, size_t size, unsigned mode,
		  struct region *out)
{
	int ret = region_check_name(name);
	if (ret)
		return ret;
	if (size == 0 || (off_t)size < 0)
		return -EINVAL;

	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
			  (mode_t)mode);
	if (fd < 0)
		return -errno;
	/* The umask may have narrowed the mode: apply it exactly. */
	if (fchmod(fd, (mode_t)mode) < 0)
		goto fail_errno;
	if (ftruncate(fd, (off_t)size) < 0)
		goto fail_errno;
	/*
	 * tmpfs overcommits: without reserving every page now, a page that
	 * cannot be had on first touch is a SIGBUS in whoever touches it.
	 */
	ret = posix_fallocate(fd, 0, (off_t)size);
	if (ret) {
		/* Filesystems without fallocate: the size is still honest. */
		if (ret != EOPNOTSUPP && ret != EINVAL) {
			ret = -ret;
			goto fail;
		}
	}
	ret = map_fd(fd, size, 1, out);
	if (ret)
		goto fail;
	return 0;

fail_errno:
	ret = -errno;
fail:
	close(fd);
	shm_unlink(name);
	return ret;
}

int region_open(const char *name, int writable, size_t min_size,
		struct region *out)
{
	int ret = region_check_name(name);
	if (ret)
		return ret;
	int fd = shm_open(name, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto fail;
	}
	/* A short object would SIGBUS on access past its end: refuse it. */
	if (!S_ISREG(st.st_mode) || st.st_size < (off_t)min_size) {
		ret = -EPROTO;
		goto fail;
	}
	ret = map_fd(fd, (size_t)st.st_size, writable, out);
	if (ret)
		goto fail;
	return 0;
fail:
	close(fd);
	return ret;
}

int region_size_now(const struct region *reg, size_t *size)
{
	struct stat st;
	if (fstat(reg->fd, &st) < 0)
		return -errno;
	*size = (size_t)st.st_size;
	return 0;
}

void region_close(struct region *reg)
{
	if (reg->base)
		munmap(reg->base, reg->size);
	if (reg->fd >= 0)
		close(reg->fd);
	reg->base = NULL;
	reg->fd = -1;
}

int region_unlink(const char *name)
{
	int ret = region_check_name(name);
	if (ret)
		return ret;
	return shm_unlink(name) < 0 ? -errno : 0;
}
