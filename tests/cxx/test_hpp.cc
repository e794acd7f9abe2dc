/*
 * test_hpp.cc - the C++ header: ownership (move-only, closing in the
 * destructor), both error styles with shmring's category, the zero-copy
 * guards, end of stream, and a round trip between two processes.
 *
 * Each test names what it protects: remove that from shmring.hpp and the
 * test fails (the destructor's close: ring.destructor_closes; the guards'
 * commit and release: guards.*; the category's errno conditions:
 * errors.*).
 */
#include <shmring.hpp>

#include <criterion/criterion.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

/*
 * tests/testutil.h includes <shmring.h>, which a C++ file using
 * <shmring.hpp> cannot (shmring.hpp(3cxx)): its two sanitizer rules are
 * restated here. Under TSan, Criterion cannot start (its issue 274):
 * the program reports itself skipped. Under ASan, Criterion's runner
 * leaks a few bytes of its own: leak checking is off in the runner only.
 */
#if defined(__SANITIZE_THREAD__)
int main()
{
	std::fputs("skipped: Criterion cannot run under ThreadSanitizer "
		   "(Criterion issue 274)\n", stderr);
	return 77;
}
#endif
#if defined(__SANITIZE_ADDRESS__)
extern "C" int __lsan_is_turned_off()
{
	return std::getenv("BXFI_MAP") == nullptr;
}
#endif

namespace {

char name[64];

void make_name()
{
	static int seq;
	std::snprintf(name, sizeof name, "/shmring-cxx-%d-%d", (int)getpid(),
		      seq++);
}

void drop_name()
{
	(void)shmring::ring::unlink(std::nothrow, name);
}

constexpr int both = shmring::producer | shmring::consumer;
constexpr std::int64_t second = 1000000000;

shmring::options small(size_t cap, size_t max_msg)
{
	shmring::options o{};
	o.capacity = cap;
	o.max_msg = max_msg;
	return o;
}

} // namespace

TestSuite(ring, .init = make_name, .fini = drop_name, .timeout = 30);
TestSuite(errors, .init = make_name, .fini = drop_name, .timeout = 30);
TestSuite(guards, .init = make_name, .fini = drop_name, .timeout = 30);

Test(ring, send_recv_pointer_and_string_view)
{
	auto r = shmring::ring::create(name, both);
	const int v[3] = {1, 2, 3};
	r.send(v, sizeof v);
	r.send(std::string_view("text"));
	r.send(std::string("a\0b", 3));
	const char *cs = "chars";
	r.send(cs, 5);
	int back[3] = {};
	cr_assert_eq(r.recv(back, sizeof back, second), sizeof v);
	cr_assert_eq(std::memcmp(back, v, sizeof v), 0);
	cr_assert(r.recv(second) == "text");
	cr_assert(r.recv() == std::string("a\0b", 3));
	char buf[8];
	cr_assert_eq(r.try_recv(buf, sizeof buf), 5u);
	cr_assert_eq(std::memcmp(buf, "chars", 5), 0);
	cr_assert_eq(r.info().max_msg, SHMRING_DEFAULT_MAX_MSG);
	cr_assert_eq(r.stats().msgs_recv, 4u);
}

Test(ring, move_only_and_destructor_closes)
{
	{
		auto a = shmring::ring::create(name, shmring::producer);
		shmring::ring b(std::move(a));
		cr_assert(!a && b);
		shmring::ring c;
		c = std::move(b);
		cr_assert(!b && c);
		// The role is held: a second producer is refused.
		shmring::ring d;
		cr_assert(shmring::ring::open(std::nothrow, d, name,
					      shmring::producer) ==
			  std::errc::device_or_resource_busy);
	}
	// Every ring above is destroyed, and closed: the role is free again.
	shmring::ring e = shmring::ring::open(name, shmring::producer);
	cr_assert(e);
	static_assert(!std::is_copy_constructible_v<shmring::ring>);
	static_assert(!std::is_copy_assignable_v<shmring::ring>);
}

Test(ring, end_of_stream_after_the_producer_goes)
{
	auto c = shmring::ring::create(name, shmring::consumer);
	{
		auto p = shmring::ring::open(name, shmring::producer);
		p.send(std::string_view("last"));
	}
	cr_assert(c.recv(second) == "last");
	char buf[8];
	size_t len = 99;
	cr_assert(c.recv(std::nothrow, buf, sizeof buf, len, second) ==
		  std::errc::broken_pipe);
	cr_assert_eq(len, 0u);
	try {
		c.recv(buf, sizeof buf);
		cr_assert_fail("recv at end of stream did not throw");
	} catch (const std::system_error &e) {
		cr_assert(e.code() == std::errc::broken_pipe);
	}
}

Test(ring, two_processes)
{
	auto c = shmring::ring::create(name, shmring::consumer,
				       small(4096, 256));
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		alarm(20); // a child never outlives a hung test
		int rc = 0;
		try {
			auto p = shmring::ring::open(name, shmring::producer);
			for (std::uint32_t i = 0; i < 20000; i++)
				p.send(&i, sizeof i, 10 * second);
		} catch (const std::system_error &) {
			rc = 1;
		}
		_exit(rc);
	}
	std::uint32_t i = 0, v;
	size_t len;
	std::error_code ec;
	while (!(ec = c.recv(std::nothrow, &v, sizeof v, len, 10 * second))) {
		cr_assert_eq(len, sizeof v);
		cr_assert_eq(v, i, "message %u came as %u", i, v);
		i++;
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	cr_assert(ec == std::errc::broken_pipe, "%s", ec.message().c_str());
	cr_assert_eq(i, 20000u);
}

Test(errors, thrown_with_shmrings_category)
{
	try {
		shmring::ring::open(name, shmring::consumer);
		cr_assert_fail("open of a missing ring did not throw");
	} catch (const std::system_error &e) {
		cr_assert(e.code() == std::errc::no_such_file_or_directory);
		cr_assert_eq(&e.code().category(), &shmring::category());
		cr_assert_str_eq(e.code().category().name(), "shmring");
		cr_assert(e.code().message() ==
			  shmring::capi::shmring_strerror(-ENOENT));
		cr_assert(std::strstr(e.what(), "shmring_open"));
	}
	auto r = shmring::ring::create(name, shmring::consumer);
	shmring::ring other;
	cr_assert(shmring::ring::create(std::nothrow, other, name,
					shmring::producer) ==
		  std::errc::file_exists);
	cr_assert(!other);
	cr_assert(r.send(std::nothrow, std::string_view("x")) ==
		  std::errc::operation_not_permitted);
}

Test(errors, nothrow_codes_for_hot_loops)
{
	auto r = shmring::ring::create(name, both, small(4096, 64));
	char buf[64];
	size_t len;
	cr_assert(r.try_recv(std::nothrow, buf, sizeof buf, len) ==
		  std::errc::resource_unavailable_try_again);
	cr_assert(r.recv(std::nothrow, buf, sizeof buf, len, 1000000) ==
		  std::errc::timed_out);
	cr_assert(r.send(std::nothrow, buf, 65) == std::errc::message_size);
	std::error_code ec;
	int sent = 0;
	while (!(ec = r.try_send(std::nothrow, std::string_view(buf, 64))))
		sent++;
	cr_assert(ec == std::errc::resource_unavailable_try_again);
	cr_assert_gt(sent, 0);
	cr_assert(!r.recv(std::nothrow, buf, sizeof buf, len));
	cr_assert_eq(len, 64u);
	shmring::ring none;
	cr_assert(none.send(std::nothrow, buf, 1) == std::errc::invalid_argument);
	cr_assert(!shmring::make_error_code(5));
}

Test(guards, reservation_commits_in_its_destructor)
{
	auto r = shmring::ring::create(name, both);
	{
		shmring::reservation res = r.reserve(100);
		cr_assert(res && res.size() == 100);
		std::memcpy(res.data(), "hello", 5);
		res.resize(5);
		// Nothing published before the guard goes.
		char buf[8];
		size_t len;
		cr_assert(r.try_recv(std::nothrow, buf, sizeof buf, len) ==
			  std::errc::resource_unavailable_try_again);
	}
	cr_assert(r.recv(0) == "hello");
	shmring::reservation res2 = r.reserve(3);
	std::memcpy(res2.data(), "abc", 3);
	res2.commit();
	cr_assert(!res2);
	cr_assert(res2.commit(std::nothrow) == std::errc::invalid_argument);
	cr_assert(r.recv(0) == "abc");
}

Test(guards, message_releases_in_its_destructor)
{
	auto r = shmring::ring::create(name, both);
	r.send(std::string_view("first"));
	r.send(std::string_view("second"));
	{
		shmring::message m = r.peek(second);
		cr_assert(m.view() == "first");
		shmring::message again = std::move(m);
		cr_assert(!m && again.size() == 5);
	}
	{
		shmring::message m = r.peek(0);
		cr_assert(m.view() == "second");
		m.release();
		cr_assert(!m);
	}
	cr_assert_eq(r.info().used, 0u);
	shmring::message m;
	cr_assert(r.peek(std::nothrow, m, 0) ==
		  std::errc::resource_unavailable_try_again);
}
