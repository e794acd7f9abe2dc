/*
 * boost_mq.cc - Boost.Interprocess message_queue behind the C functions
 * of boost_mq.h. Boost reports errors by exception; each one is caught
 * here and turned into -errno, so that none crosses into C.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <cerrno>
#include <new>

#include <boost/interprocess/ipc/message_queue.hpp>
#include <boost/interprocess/permissions.hpp>

#include "boost_mq.h"

namespace bip = boost::interprocess;

struct bmq {
	bip::message_queue q;
	explicit bmq(const char *name) : q(bip::open_only, name) {}
};

/* Boost's native error code is errno where the system gave one. */
static int err_of(const bip::interprocess_exception &e)
{
	int n = e.get_native_error();

	if (e.get_error_code() == bip::already_exists_error)
		return -EEXIST;
	if (e.get_error_code() == bip::not_found_error)
		return -ENOENT;
	return n > 0 ? -n : -EIO;
}

extern "C" int bmq_create(const char *name, size_t max_msgs, size_t msg_size)
{
	try {
		bip::permissions perm(0600);
		bip::message_queue q(bip::create_only, name, max_msgs, msg_size,
				     perm);
	} catch (const bip::interprocess_exception &e) {
		return err_of(e);
	} catch (const std::bad_alloc &) {
		return -ENOMEM;
	} catch (...) {
		return -EIO;
	}
	return 0;
}

extern "C" int bmq_open(const char *name, struct bmq **out)
{
	try {
		*out = new bmq(name);
	} catch (const bip::interprocess_exception &e) {
		return err_of(e);
	} catch (const std::bad_alloc &) {
		return -ENOMEM;
	} catch (...) {
		return -EIO;
	}
	return 0;
}

extern "C" int bmq_send(struct bmq *q, const void *msg, size_t len)
{
	try {
		q->q.send(msg, len, 0);
	} catch (const bip::interprocess_exception &e) {
		return err_of(e);
	} catch (...) {
		return -EIO;
	}
	return 0;
}

extern "C" ssize_t bmq_recv(struct bmq *q, void *buf, size_t cap)
{
	bip::message_queue::size_type n = 0;
	unsigned prio;

	try {
		q->q.receive(buf, cap, n, prio);
	} catch (const bip::interprocess_exception &e) {
		return err_of(e);
	} catch (...) {
		return -EIO;
	}
	return (ssize_t)n;
}

extern "C" void bmq_close(struct bmq *q)
{
	delete q;
}

extern "C" int bmq_remove(const char *name)
{
	return bip::message_queue::remove(name) ? 0 : -ENOENT;
}
