/*
 * cxx_ring.cc - the C++ header in one program: a parent process sends
 * frames to a forked child through a ring, writing each in place
 * (reserve: the guard commits when it goes out of scope), and the child
 * reads each in place (peek: the guard releases it), until the end of
 * stream that closing the producer makes.
 *
 *   cxx_ring [FRAMES]
 *
 * Build after `make install`:
 *   g++ -std=c++17 cxx_ring.cc $(pkg-config --cflags --libs shmring)
 */
#include <shmring.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

struct frame {
	std::uint32_t seq;
	std::uint32_t width, height;
	unsigned char pixels[1024];
};

static int consume(const std::string &name, unsigned frames)
{
	auto ring = shmring::ring::open(name, shmring::consumer);
	unsigned got = 0;
	for (;;) {
		shmring::message m;
		std::error_code ec = ring.peek(std::nothrow, m);
		if (ec == std::errc::broken_pipe)
			break; // end of stream: the producer closed
		if (ec)
			throw std::system_error(ec, "peek");
		const frame *f = static_cast<const frame *>(m.data());
		if (m.size() != sizeof(frame) || f->seq != got)
			return 1;
		got++;
	} // m's destructor released the frame's room each time round
	std::printf("consumer: %u frames\n", got);
	return got == frames ? 0 : 1;
}

int main(int argc, char **argv)
{
	unsigned frames = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1000;
	std::string name = "/shmring-cxx-example-" + std::to_string(getpid());
	try {
		shmring::options o{};
		o.max_msg = sizeof(frame);
		auto ring = shmring::ring::create(name, shmring::producer, o);
		pid_t pid = fork();
		if (pid < 0)
			throw std::system_error(errno, std::generic_category(),
						"fork");
		if (pid == 0) {
			int rc = 1;
			try {
				rc = consume(name, frames);
			} catch (const std::system_error &e) {
				std::fprintf(stderr, "consumer: %s\n", e.what());
			}
			std::fflush(stdout);
			_exit(rc);
		}
		for (unsigned i = 0; i < frames; i++) {
			shmring::reservation r = ring.reserve(sizeof(frame));
			frame *f = static_cast<frame *>(r.data());
			f->seq = i;
			f->width = 32;
			f->height = 32;
			std::memset(f->pixels, static_cast<int>(i & 0xff),
				    sizeof f->pixels);
		} // r's destructor published the frame
		ring.close(); // end of stream for the consumer
		int st = 0;
		waitpid(pid, &st, 0);
		// Only now: the consumer may open the ring after the last send.
		shmring::ring::unlink(name.c_str());
		std::printf("producer: %u frames\n", frames);
		return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
	} catch (const std::system_error &e) {
		std::fprintf(stderr, "cxx_ring: %s (%s)\n", e.what(),
			     e.code().message().c_str());
		(void)shmring::ring::unlink(std::nothrow, name.c_str());
		return 1;
	}
}
