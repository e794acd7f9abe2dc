/*
 * region.h - obtaining and releasing the shared memory a ring lives in.
 *
 * Internal header; do not include from applications. region.c knows
 * nothing of rings: it maps bytes and reports sizes.
 */
#ifndef SHMRING_REGION_H
#define SHMRING_REGION_H

#include <stddef.h>

struct region {
	void *base;  /* start of the mapping */
	size_t size; /* bytes mapped (the object's size when mapped) */
	int fd;      /* kept open for fstat; -1 once closed */
	int writable;
};

int region_check_name(const char *name);
int region_create(const char *name, size_t size, unsigned mode,
		  struct region *out);
int region_open(const char *name, int writable, size_t min_size,
		struct region *out);
int region_size_now(const struct region *reg, size_t *size);
void region_close(struct region *reg);
int region_unlink(const char *name);

#endif /* SHMRING_REGION_H */
