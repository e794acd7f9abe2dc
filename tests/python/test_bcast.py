"""Broadcast rings from Python: one publisher to two subscriber processes,
every message to each; overwrite mode with a lapped subscriber (Overflow
once, the lost count exact, as subscribers() lists it); seek to the
oldest and the newest message."""
import asyncio
import errno
import os

import pytest

import shmring
from test_shmring import Child, LIMIT

SUBSCRIBER_CODE = """
name, n = sys.argv[1], int(sys.argv[2])
with shmring.open(name, shmring.CONSUMER) as r:
    ready()
    got = [int(m) for m in r]  # until end of stream
sys.exit(0 if got == list(range(n)) else 3)
"""


def test_one_publisher_two_subscribers_each_gets_every_message(ring_name):
    # With kind "bcast" mapped to another kind the second subscriber is
    # refused (EBUSY, SPSC) or the two share the messages (MPMC): both
    # checked by the children's exit codes.
    name = ring_name()
    n = 5000
    with shmring.create(name, shmring.PRODUCER, kind="bcast",
                        capacity=4096, max_msg=64) as pub:
        assert pub.info().kind == "bcast"
        with Child(SUBSCRIBER_CODE, name, n) as a, \
                Child(SUBSCRIBER_CODE, name, n) as b:
            # A subscriber starts with the first message published after
            # it attached: publish once both are there.
            a.wait_ready()
            b.wait_ready()
            for k in range(n):  # back-pressure: waits for the slower
                pub.send(b"%d" % k, LIMIT)
            pub.close()  # end of stream
            assert a.join() == 0 and b.join() == 0


PUBLISHER_CODE = """
name, n = sys.argv[1], int(sys.argv[2])
with shmring.open(name, shmring.PRODUCER) as r:
    for k in range(n):
        r.send(b"%08d" % k, 0)  # overwrite mode: never waits, never full
"""


def test_overwrite_lapped_subscriber_overflow_once_lost_exact(ring_name):
    # The publisher (a child) writes 3000 messages over a ring that holds
    # far fewer while this subscriber reads none: its first receive is an
    # Overflow, then it reads the oldest intact message on, in order, to
    # the end of stream; lost() is exactly the messages before that one.
    # Mapping EOVERFLOW to a plain OSError, or losing the lost count,
    # fails it.
    name = ring_name()
    n = 3000
    with shmring.create(name, shmring.CONSUMER, kind="bcast",
                        capacity=4096, max_msg=64, overwrite=True) as sub:
        with Child(PUBLISHER_CODE, name, n) as child:
            assert child.join() == 0
        with pytest.raises(shmring.Overflow) as e:
            sub.recv(LIMIT)
        assert isinstance(e.value, OSError)
        assert e.value.errno == errno.EOVERFLOW
        got = [int(m) for m in sub]  # once: no second Overflow
        first = got[0]
        assert 0 < first and got == list(range(first, n))
        assert e.value.lost is not None and e.value.lost <= first
        assert sub.lost() == first
        assert sub.stats().msgs_lost == first
        [me] = sub.subscribers()
        assert (me.pid, me.alive, me.lost, me.lag) == \
            (os.getpid(), True, first, 0)
        with pytest.raises(EOFError):
            sub.recv(LIMIT)


def test_overwrite_only_for_broadcast_rings(ring_name):
    for kind in ("spsc", "mpmc"):
        with pytest.raises(ValueError):
            shmring.create(ring_name(), shmring.CONSUMER, kind=kind,
                           overwrite=True)


def test_seek_oldest_and_newest(ring_name):
    name = ring_name()
    with shmring.create(name, shmring.PRODUCER, kind="bcast",
                        capacity=4096, max_msg=64) as pub:
        for k in range(5):  # before any subscriber: kept for the first
            pub.send(b"old%d" % k, 0)
        assert pub.subscribers() == []
        with shmring.open(name, shmring.CONSUMER) as sub:
            [me] = pub.subscribers()
            assert me.pid == os.getpid() and me.lag == 0
            with pytest.raises(BlockingIOError):
                sub.recv(0)  # starts after what was published
            sub.seek(shmring.SEEK_OLDEST)
            assert [sub.recv(0) for _ in range(5)] == \
                [b"old%d" % k for k in range(5)]
            for k in range(3):
                pub.send(b"skipped%d" % k, 0)
            sub.seek(shmring.SEEK_NEWEST)
            with pytest.raises(BlockingIOError):
                sub.recv(0)
            pub.send(b"new", 0)
            assert sub.recv(0) == b"new"
            sub.seek(shmring.SEEK_OLDEST)  # replays what is intact
            assert sub.recv(0) == b"old0"
            assert sub.lost() == 0  # back-pressure loses nothing
            with pytest.raises(OSError) as e:
                sub.seek(7)
            assert e.value.errno == errno.EINVAL
        with pytest.raises(PermissionError):
            pub.seek(shmring.SEEK_OLDEST)  # not a subscriber
    with shmring.create(ring_name(), shmring.CONSUMER) as spsc:
        with pytest.raises(OSError) as e:
            spsc.seek(shmring.SEEK_NEWEST)
        assert e.value.errno == errno.EINVAL
        assert spsc.lost() == 0
        with pytest.raises(OSError) as e:
            spsc.subscribers()
        assert e.value.errno == errno.EINVAL


def test_overflow_from_every_way_of_receiving(ring_name):
    # Lapped again and again, the subscriber hears of it through each
    # receive call in turn; a call that swallowed the EOVERFLOW, or raised
    # a plain OSError for it, fails here.
    name = ring_name()
    with shmring.create(name, shmring.PRODUCER, kind="bcast", capacity=4096,
                        max_msg=64, overwrite=True) as pub:
        with shmring.open(name, shmring.CONSUMER) as sub:
            k = 0
            calls = [lambda: next(sub), sub.recv, lambda: sub.recv(LIMIT),
                     sub.try_recv, sub.recv_many,
                     lambda: sub.recv_into(bytearray(64)),
                     lambda: asyncio.run(sub.recv_async())]
            lost = 0
            for call in calls:
                for _ in range(1000):  # far more than the ring holds
                    pub.send(b"%08d" % k)
                    k += 1
                with pytest.raises(shmring.Overflow):
                    call()
                sub.seek(shmring.SEEK_NEWEST)  # not counted as lost
                assert sub.lost() > lost
                lost = sub.lost()
