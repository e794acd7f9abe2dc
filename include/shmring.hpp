/*
 * shmring.hpp - the C++17 face of libshmring, header only.
 *
 * shmring::ring owns a handle (move-only, closed by its destructor).
 * Every call comes twice: one throws std::system_error carrying
 * shmring::category(), the other takes std::nothrow first and returns a
 * std::error_code (for hot loops and code built without exceptions in
 * mind). Error values are the C library's errno values, positive, so
 * that `ec == std::errc::broken_pipe` compares as expected; see
 * shmring.hpp(3) and each C function's man page for what they mean.
 *
 * Zero-copy sending and receiving go through guards: ring::reserve()
 * returns a reservation that commits in its destructor, ring::peek() a
 * message that releases in its destructor.
 *
 * Link with -lshmring (pkg-config --cflags --libs shmring).
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#ifndef SHMRING_HPP
#define SHMRING_HPP

#ifdef SHMRING_H
#error "a C++ file includes <shmring.hpp> or <shmring.h>, not both: the C API is shmring::capi"
#endif

#include <cstddef>
#include <cstdint>
#include <new>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
/* What shmring.h includes, included here at global scope first so that
 * its include guards keep it out of the namespace below. */
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/*
 * In C++ a namespace and a class cannot share a name in one scope, and
 * the namespace is shmring: the C API (struct shmring and every
 * shmring_* function, with C linkage still) lives in shmring::capi.
 */
#if defined(__GNUC__)
#pragma GCC diagnostic push
/* shmring_info() and shmring_stats() share their names with structs, as
 * C allows; C++ warns under -Wshadow. */
#pragma GCC diagnostic ignored "-Wshadow"
#endif
namespace shmring::capi {
#include <shmring.h>
} // namespace shmring::capi
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace shmring {

/** Role bits, as SHMRING_PRODUCER / SHMRING_CONSUMER. */
inline constexpr int producer = SHMRING_PRODUCER;
inline constexpr int consumer = SHMRING_CONSUMER;

/** A timeout_ns that waits forever; 0 never waits. */
inline constexpr std::int64_t forever = -1;

/** Options of ring::create(): the C struct, all-zero = defaults. */
using options = capi::shmring_opts;
/** What ring::info() and ring::stats() return. */
using ring_info = struct capi::shmring_info;
using ring_stats = struct capi::shmring_stats;

namespace detail {
class category_impl final : public std::error_category {
public:
	const char *name() const noexcept override { return "shmring"; }
	std::string message(int ev) const override
	{
		return capi::shmring_strerror(-ev);
	}
	/* The values are errno values: compare equal to std::errc. */
	std::error_condition default_error_condition(int ev) const noexcept
		override
	{
		return std::generic_category().default_error_condition(ev);
	}
};
} // namespace detail

/** The error category of every std::error_code this header makes. */
inline const std::error_category &category() noexcept
{
	static const detail::category_impl c;
	return c;
}

/** The error_code of a negative return of the C library (0: none). */
inline std::error_code make_error_code(long rc) noexcept
{
	return rc < 0 ? std::error_code(static_cast<int>(-rc), category())
		      : std::error_code();
}

namespace detail {
inline void check(long rc, const char *what)
{
	if (rc < 0)
		throw std::system_error(make_error_code(rc), what);
}
} // namespace detail

/**
 * A zero-copy send in progress, from ring::reserve(): write up to size()
 * bytes at data(); the message is published with commit(), or by the
 * destructor (with the length of the last resize(), by default the
 * whole reservation). Move-only. The library has no way to take a
 * reservation back: one left by an exception is published too, so write
 * the message before anything can throw, or resize(0) first.
 */
class reservation {
public:
	reservation() noexcept = default;
	reservation(reservation &&o) noexcept
		: r_(std::exchange(o.r_, nullptr)), p_(o.p_), n_(o.n_) {}
	reservation &operator=(reservation &&o) noexcept
	{
		if (this != &o) {
			finish();
			r_ = std::exchange(o.r_, nullptr);
			p_ = o.p_;
			n_ = o.n_;
		}
		return *this;
	}
	reservation(const reservation &) = delete;
	reservation &operator=(const reservation &) = delete;
	~reservation() { finish(); }

	void *data() const noexcept { return p_; }
	std::size_t size() const noexcept { return n_; }
	/** The length to publish, at most what was reserved. */
	void resize(std::size_t n) noexcept { n_ = n < n_ ? n : n_; }
	/** True while the reservation is open. */
	explicit operator bool() const noexcept { return r_ != nullptr; }

	/** Publish size() bytes now (shmring_commit(3)); throws. */
	void commit()
	{
		std::error_code ec = commit(std::nothrow);
		if (ec)
			throw std::system_error(ec, "shmring_commit");
	}
	/** Publish size() bytes now; the error, or none. */
	std::error_code commit(std::nothrow_t) noexcept
	{
		if (!r_)
			return std::error_code(EINVAL, category());
		return make_error_code(capi::shmring_commit(
			std::exchange(r_, nullptr), n_));
	}

private:
	friend class ring;
	reservation(capi::shmring *r, void *p, std::size_t n) noexcept
		: r_(r), p_(p), n_(n) {}
	/* A destructor cannot report: an error here is the one commit()
	 * would have thrown, and the message did not go. */
	void finish() noexcept { (void)commit(std::nothrow); }

	capi::shmring *r_ = nullptr;
	void *p_ = nullptr;
	std::size_t n_ = 0;
};

/**
 * A message received in place, from ring::peek(): valid, and still in
 * the ring, until release() or the destructor. Move-only.
 */
class message {
public:
	message() noexcept = default;
	message(message &&o) noexcept
		: r_(std::exchange(o.r_, nullptr)), p_(o.p_), n_(o.n_) {}
	message &operator=(message &&o) noexcept
	{
		if (this != &o) {
			(void)release(std::nothrow);
			r_ = std::exchange(o.r_, nullptr);
			p_ = o.p_;
			n_ = o.n_;
		}
		return *this;
	}
	message(const message &) = delete;
	message &operator=(const message &) = delete;
	~message() { (void)release(std::nothrow); }

	const void *data() const noexcept { return p_; }
	std::size_t size() const noexcept { return n_; }
	std::string_view view() const noexcept
	{
		return std::string_view(static_cast<const char *>(p_), n_);
	}
	/** True while the message is held. */
	explicit operator bool() const noexcept { return r_ != nullptr; }

	/** Give the message's room back (shmring_release(3)); throws. */
	void release()
	{
		std::error_code ec = release(std::nothrow);
		if (ec)
			throw std::system_error(ec, "shmring_release");
	}
	std::error_code release(std::nothrow_t) noexcept
	{
		if (!r_)
			return std::error_code();
		return make_error_code(
			capi::shmring_release(std::exchange(r_, nullptr)));
	}

private:
	friend class ring;
	message(capi::shmring *r, const void *p, std::size_t n) noexcept
		: r_(r), p_(p), n_(n) {}

	capi::shmring *r_ = nullptr;
	const void *p_ = nullptr;
	std::size_t n_ = 0;
};

/**
 * An attached ring. Default-constructed or moved-from, it holds nothing
 * and every call on it fails with EINVAL. Used by one thread at a time.
 */
class ring {
public:
	ring() noexcept = default;
	/** Adopt a handle from the C API; the ring closes it. */
	explicit ring(capi::shmring *h) noexcept : h_(h) {}
	ring(ring &&o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
	ring &operator=(ring &&o) noexcept
	{
		if (this != &o) {
			close();
			h_ = std::exchange(o.h_, nullptr);
		}
		return *this;
	}
	ring(const ring &) = delete;
	ring &operator=(const ring &) = delete;
	~ring() { close(); }

	/** shmring_create(3): create exclusively and attach with role. */
	static ring create(const char *name, int role,
			   const options &o = options())
	{
		ring r;
		detail::check(capi::shmring_create(name, &o, role, &r.h_),
			      "shmring_create");
		return r;
	}
	static ring create(const std::string &name, int role,
			   const options &o = options())
	{
		return create(name.c_str(), role, o);
	}
	static std::error_code create(std::nothrow_t, ring &out,
				      const char *name, int role,
				      const options &o = options()) noexcept
	{
		capi::shmring *h = nullptr;
		std::error_code ec =
			make_error_code(capi::shmring_create(name, &o, role, &h));
		if (!ec)
			out = ring(h);
		return ec;
	}

	/** shmring_open(3): attach to an existing ring with role. */
	static ring open(const char *name, int role)
	{
		ring r;
		detail::check(capi::shmring_open(name, role, &r.h_), "shmring_open");
		return r;
	}
	static ring open(const std::string &name, int role)
	{
		return open(name.c_str(), role);
	}
	static std::error_code open(std::nothrow_t, ring &out,
				    const char *name, int role) noexcept
	{
		capi::shmring *h = nullptr;
		std::error_code ec =
			make_error_code(capi::shmring_open(name, role, &h));
		if (!ec)
			out = ring(h);
		return ec;
	}

	/** shmring_unlink(3): remove a ring's name. */
	static void unlink(const char *name)
	{
		detail::check(capi::shmring_unlink(name), "shmring_unlink");
	}
	static std::error_code unlink(std::nothrow_t, const char *name) noexcept
	{
		return make_error_code(capi::shmring_unlink(name));
	}

	/** Detach now (the destructor does it otherwise). */
	void close() noexcept
	{
		if (h_)
			(void)capi::shmring_close(std::exchange(h_, nullptr));
	}
	capi::shmring *get() const noexcept { return h_; }
	/** Give up ownership: the caller closes the handle. */
	capi::shmring *release() noexcept { return std::exchange(h_, nullptr); }
	explicit operator bool() const noexcept { return h_ != nullptr; }

	/**
	 * shmring_send(3): one message, waiting up to timeout_ns. As in C,
	 * a pointer and a number are a message and its length: a string
	 * literal with a timeout is send(std::string_view("text"), t).
	 */
	void send(const void *msg, std::size_t len,
		  std::int64_t timeout_ns = forever)
	{
		detail::check(capi::shmring_send(h_, msg, len, timeout_ns),
			      "shmring_send");
	}
	void send(std::string_view msg, std::int64_t timeout_ns = forever)
	{
		send(msg.data(), msg.size(), timeout_ns);
	}

	std::error_code send(std::nothrow_t, const void *msg, std::size_t len,
			     std::int64_t timeout_ns = forever) noexcept
	{
		return make_error_code(capi::shmring_send(h_, msg, len, timeout_ns));
	}
	std::error_code send(std::nothrow_t, std::string_view msg,
			     std::int64_t timeout_ns = forever) noexcept
	{
		return send(std::nothrow, msg.data(), msg.size(), timeout_ns);
	}


	/** shmring_recv(3): one message into buf; returns its length. */
	std::size_t recv(void *buf, std::size_t cap,
			 std::int64_t timeout_ns = forever)
	{
		ssize_t n = capi::shmring_recv(h_, buf, cap, timeout_ns);
		detail::check(n, "shmring_recv");
		return static_cast<std::size_t>(n);
	}
	/** One message into a string sized to it. */
	std::string recv(std::int64_t timeout_ns = forever)
	{
		message m = peek(timeout_ns);
		return std::string(m.view());
	}
	std::error_code recv(std::nothrow_t, void *buf, std::size_t cap,
			     std::size_t &len,
			     std::int64_t timeout_ns = forever) noexcept
	{
		ssize_t n = capi::shmring_recv(h_, buf, cap, timeout_ns);
		len = n < 0 ? 0 : static_cast<std::size_t>(n);
		return make_error_code(n);
	}

	/** send() and recv() that never wait: EAGAIN when full or empty. */
	void try_send(const void *msg, std::size_t len) { send(msg, len, 0); }
	void try_send(std::string_view msg) { send(msg, 0); }
	std::error_code try_send(std::nothrow_t, std::string_view msg) noexcept
	{
		return send(std::nothrow, msg, 0);
	}
	std::size_t try_recv(void *buf, std::size_t cap)
	{
		return recv(buf, cap, 0);
	}
	std::error_code try_recv(std::nothrow_t, void *buf, std::size_t cap,
				 std::size_t &len) noexcept
	{
		return recv(std::nothrow, buf, cap, len, 0);
	}

	/** shmring_reserve(3): room for up to len bytes, written in place. */
	reservation reserve(std::size_t len, std::int64_t timeout_ns = forever)
	{
		reservation res;
		std::error_code ec = reserve(std::nothrow, res, len, timeout_ns);
		if (ec)
			throw std::system_error(ec, "shmring_reserve");
		return res;
	}
	std::error_code reserve(std::nothrow_t, reservation &out,
				std::size_t len,
				std::int64_t timeout_ns = forever) noexcept
	{
		void *p = nullptr;
		std::error_code ec = make_error_code(
			capi::shmring_reserve(h_, len, &p, timeout_ns));
		if (!ec)
			out = reservation(h_, p, len);
		return ec;
	}

	/** shmring_peek(3): the next message, in place, held until the
	 *  message guard releases it. */
	message peek(std::int64_t timeout_ns = forever)
	{
		message m;
		std::error_code ec = peek(std::nothrow, m, timeout_ns);
		if (ec)
			throw std::system_error(ec, "shmring_peek");
		return m;
	}
	std::error_code peek(std::nothrow_t, message &out,
			     std::int64_t timeout_ns = forever) noexcept
	{
		const void *p = nullptr;
		ssize_t n = capi::shmring_peek(h_, &p, timeout_ns);
		if (n >= 0)
			out = message(h_, p, static_cast<std::size_t>(n));
		return make_error_code(n);
	}

	/** shmring_info(3) and shmring_stats(3). */
	ring_info info() const
	{
		ring_info i{};
		detail::check(capi::shmring_info(h_, &i), "shmring_info");
		return i;
	}
	ring_stats stats() const
	{
		ring_stats s{};
		detail::check(capi::shmring_stats(h_, &s), "shmring_stats");
		return s;
	}

private:
	capi::shmring *h_ = nullptr;
};

} // namespace shmring

#endif /* SHMRING_HPP */
