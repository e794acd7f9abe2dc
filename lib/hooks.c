/*
 * hooks.c - the one definition of the test hook (hooks.h lists its
 * points). The lowest layer: every file may call it, it calls nothing.
 */
#include "config.h"

#include "hooks.h"

void (*shmring_test_hook)(int where);
