/*
 * tsan.h - whether the benchmarks are built with ThreadSanitizer
 * (BENCH_TSAN): ZeroMQ, which synchronises inside a library that is not
 * instrumented, is left out of such builds.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#ifndef SHMRING_BENCH_TSAN_H
#define SHMRING_BENCH_TSAN_H

/* gcc says so one way, clang another */
#if defined(__SANITIZE_THREAD__)
#define BENCH_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define BENCH_TSAN 1
#endif
#endif

#endif
