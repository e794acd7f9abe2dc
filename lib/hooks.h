/*
 * hooks.h - the library's test hook: one list of the points where it is
 * called, one definition (hooks.c).
 *
 * Internal header; do not include from applications. Tests that link the
 * static library include it too (with -I lib), so that a hook point has
 * one number everywhere. The hook is NULL in production: each point then
 * costs a load and a branch that is never taken, and only off the fast
 * paths.
 */
#ifndef SHMRING_HOOKS_H
#define SHMRING_HOOKS_H

/* Where the hook is called. The numbers are what the hook receives. */
enum hook_point {
	/* mpmc.c: a process holds a claimed slot (a test kills it there). */
	HOOK_PRODUCER_CLAIMED = 1,
	HOOK_CONSUMER_CLAIMED = 2,
	/*
	 * mpmc.c: a claim loop's retry path, where a peer that moves the
	 * position at the worst moment lands. Never on the path of a claim
	 * that succeeds at the first try.
	 */
	HOOK_PRODUCER_RETRY = 3,
	HOOK_CONSUMER_RETRY = 4,
	/* wait.c: a consumer starts a slip. */
	HOOK_CONSUMER_SLIP = 5,
	/* spsc.c: a receive that waits starts spinning on the next header. */
	HOOK_CONSUMER_AWAIT = 6,
};

/* Set by a test, NULL otherwise. A hidden symbol: static linking only. */
extern void (*shmring_test_hook)(int where);

static inline void test_hook(enum hook_point where)
{
	if (shmring_test_hook)
		shmring_test_hook((int)where);
}

#endif /* SHMRING_HOOKS_H */
