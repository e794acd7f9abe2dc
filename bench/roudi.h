/*
 * roudi.h - iceoryx's daemon, RouDi, started and stopped for the
 * benchmarks that measure iceoryx (bench/xp_iox.c in shmring-bench,
 * bench/bcast-peers.c in shmring-bcast-bench): one home for how it is
 * configured, started, found ready, stopped, and what it leaves behind.
 *
 * One RouDi runs at a time on a host (its management segment has a
 * fixed name): where another one runs, this one says why it stopped and
 * roudi_ready() fails.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#ifndef SHMRING_BENCH_ROUDI_H
#define SHMRING_BENCH_ROUDI_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The largest payload the configuration's pools carry. */
#define ROUDI_LARGEST 65536
/* How many names RouDi makes (see roudi_name). */
#define ROUDI_NAMES 5

/* Write the configuration (one segment, pools up to ROUDI_LARGEST) to
 * @path: 0 or -errno. */
int roudi_config(const char *path);
/* Start `iox-roudi` (found on PATH) with @config: its pid, or -errno.
 * It gets SIGTERM when the calling process dies. */
pid_t roudi_spawn(const char *config);
/* Wait until the started RouDi says it is ready: 0, or -ENOTSUP with
 * @why set (it stopped, and why; or it was not ready in time). */
int roudi_ready(char *why, size_t len);
/* Stop the started RouDi, if any: SIGTERM, then wait for it. 0 if it
 * exited cleanly (or none ran), -1 if not: see roudi_name. */
int roudi_stop(void);
/*
 * The i-th name (0 <= i < ROUDI_NAMES) RouDi makes, into @buf, and
 * whether it is a shared memory object (else a path): 0, or -ENOENT
 * where there is none. RouDi removes them when it stops cleanly; stopped
 * while processes it believes attached are gone, it aborts and leaves
 * them. Remove them only after roudi_ready() succeeded (RouDi then held
 * the lock on them) and roudi_stop().
 */
int roudi_name(int i, char *buf, size_t len, bool *shm);

#endif
