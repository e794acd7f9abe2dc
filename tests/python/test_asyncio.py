"""Rings in event loops: fileno() with select and asyncio's add_reader,
and the coroutines recv_async / send_async between two processes, end of
stream, waiting without spinning, and cancellation."""
import asyncio
import select
import time

import pytest

import shmring
from test_shmring import BOTH, Child, LIMIT


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, LIMIT))


ASYNC_PRODUCER_CODE = """
import asyncio
name, n = sys.argv[1], int(sys.argv[2])
async def main():
    with shmring.open(name, shmring.PRODUCER) as r:
        for k in range(n):
            await r.send_async(b"%d:" % k + b"a" * (k % 300))
asyncio.run(asyncio.wait_for(main(), 20))
"""


def test_send_async_to_recv_async_then_end_of_stream(ring_name):
    # A ring of 4 KiB for 20000 messages: the producer (a child) fills it
    # and waits in send_async, this side empties it and waits in
    # recv_async, over and over; the end of stream is an EOFError.
    name = ring_name()
    n = 20000

    async def consume(r):
        got = 0
        while True:
            try:
                msg = await r.recv_async()
            except EOFError:
                return got
            k, _, pad = msg.partition(b":")
            assert int(k) == got and pad == b"a" * (got % 300)
            got += 1

    with shmring.create(name, shmring.CONSUMER, capacity=4096,
                        max_msg=512) as r:
        with Child(ASYNC_PRODUCER_CODE, name, n) as child:
            assert run(consume(r)) == n
            assert child.join() == 0
        with pytest.raises(EOFError):
            run(r.recv_async())  # again, as a pipe


SEND_ONE_CODE = """
with shmring.open(sys.argv[1], shmring.PRODUCER) as r:
    r.send(b"late", 20)
"""


def test_recv_async_waits_on_the_descriptor_not_by_trying(ring_name):
    # While a child python starts and sends one message, recv_async
    # waits in the loop: it tries again only when the descriptor polls
    # readable. Registering it with add_writer (always writable) instead
    # of add_reader turns the wait into thousands of tries, each one
    # counted by times_empty. The descriptor may be spuriously readable:
    # the eventfd fallback of shmring_poll_fd(3) is, every 100 ms; the
    # bound allows twice that.
    name = ring_name()
    with shmring.create(name, shmring.CONSUMER) as r:
        t0 = time.monotonic()
        with Child(SEND_ONE_CODE, name) as child:
            assert run(r.recv_async()) == b"late"
            elapsed = time.monotonic() - t0
            assert child.join() == 0
        assert r.stats().times_empty <= 10 + 20 * elapsed


def test_cancel_recv_async_removes_its_reader(ring_name):
    # Without the reader's removal on the way out, remove_reader() below
    # finds it still there and the next recv_async is refused.
    with shmring.create(ring_name(), BOTH) as r:
        async def main():
            loop = asyncio.get_running_loop()
            task = asyncio.ensure_future(r.recv_async())
            await asyncio.sleep(0)  # the task runs up to its wait
            assert not task.done()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert loop.remove_reader(r.fileno()) is False
            await r.send_async(b"after")
            return await r.recv_async()
        assert run(main()) == b"after"


def test_one_waiter_per_direction(ring_name):
    with shmring.create(ring_name(), BOTH) as r:
        async def main():
            first = asyncio.ensure_future(r.recv_async())
            await asyncio.sleep(0)
            with pytest.raises(RuntimeError):
                await r.recv_async()  # would replace the first's reader
            r.send(b"one")
            return await first
        assert run(main()) == b"one"


SENDER_CODE = """
name, n = sys.argv[1], int(sys.argv[2])
with shmring.open(name, shmring.PRODUCER) as r:
    for k in range(n):
        r.send(b"%d" % k, 20)
"""


def test_add_reader_on_fileno_drains_to_end_of_stream(ring_name):
    # The plain way of a loop: add_reader(ring.fileno()), and each time
    # it polls readable receive until BlockingIOError (which re-arms it).
    name = ring_name()
    n = 5000

    async def main(r):
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        got = []

        def readable():
            try:
                while True:
                    got.append(int(r.try_recv()))
            except BlockingIOError:
                pass
            except EOFError:
                loop.remove_reader(r.fileno())
                done.set_result(got)

        loop.add_reader(r.fileno(), readable)
        return await done

    with shmring.create(name, shmring.CONSUMER, capacity=4096) as r:
        with Child(SENDER_CODE, name, n) as child:
            assert run(main(r)) == list(range(n))
            assert child.join() == 0


def test_fileno_directions_and_roles(ring_name):
    name = ring_name()
    with shmring.create(name, shmring.CONSUMER, capacity=4096,
                        max_msg=1024) as c:
        fd = c.fileno()
        assert fd >= 0 and c.fileno() == fd  # the same, owned by the Ring
        with pytest.raises(BlockingIOError):
            c.try_recv()  # re-arms it
        with shmring.open(name, shmring.PRODUCER) as p:
            pfd = p.fileno()  # a producer's: readable when it can send
            assert pfd >= 0 and pfd != fd
            assert select.select([pfd], [], [], LIMIT)[0] == [pfd]
            p.send(b"x")
            assert select.select([fd], [], [], LIMIT)[0] == [fd]
            assert c.recv(0) == b"x"
        with shmring.open(name, 0) as monitor:
            with pytest.raises(PermissionError):
                monitor.fileno()
    with pytest.raises(ValueError):
        c.fileno()  # closed
