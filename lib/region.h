/*
 * region.h - obtaining and releasing the shared memory a ring lives in.
 *
 * Internal header; do not include from applications. region.c knows
 * nothing of rings: it maps bytes and reports sizes. Every kind of shared
 * memory ends up as one mapping of region.size bytes at region.base.
 */
#ifndef SHMRING_REGION_H
#define SHMRING_REGION_H

#include <stdatomic.h>
#include <stddef.h>

enum region_kind {
	REGION_POSIX, /* "/name": shm_open */
	REGION_FILE,  /* "file:PATH": a regular file, mmap'ed */
	REGION_SYSV,  /* "sysv:KEY", "sysv:PATH:PROJ": shmget/shmat */
	REGION_ANON,  /* unnamed: MAP_SHARED|MAP_ANONYMOUS, shared by fork */
	REGION_MEMFD, /* unnamed: memfd_create, sealed, shared by fd passing */
	REGION_BORROWED, /* tests and fuzzers: memory the caller owns */
};

struct region {
	void *base;  /* start of the mapping */
	size_t size; /* bytes mapped */
	int fd;      /* POSIX, FILE, MEMFD: kept for fstat and dup; else -1 */
	int shmid;   /* SYSV: the segment; else -1 */
	int kind;    /* enum region_kind */
	int writable;
	size_t huge; /* bytes per huge page backing it; 0: ordinary pages */
	/*
	 * Handles of one process on one ring share the mapping (threads then
	 * see one address for each byte, which ThreadSanitizer needs): the
	 * count of those handles (NULL until region_share()).
	 */
	_Atomic int *shared;
};

int region_check_name(const char *name);
/* @huge: back the region with huge pages; sizes are rounded up to one. */
int region_create(const char *name, size_t size, unsigned mode, int huge,
		  struct region *out);
int region_create_unnamed(int kind, size_t size, int huge,
			  struct region *out);
int region_open(const char *name, int writable, size_t min_size,
		struct region *out);
int region_open_fd(int fd, int writable, size_t min_size, struct region *out);
int region_share(struct region *reg);
int region_dup(struct region *in, int writable, struct region *out);
void region_close(struct region *reg);
int region_unlink(const char *name);
int region_send_fd(int sock, int fd);
int region_recv_fd(int sock, int *fd);

#endif /* SHMRING_REGION_H */
