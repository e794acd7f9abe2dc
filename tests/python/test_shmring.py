"""The Python binding: messages between two real processes, end of stream,
SIGKILL of a peer, every error of the C API mapped to its exception, and
recv_into with bytearray, memoryview and numpy buffers."""
import errno
import os
import signal
import subprocess
import sys
import textwrap

import pytest

import shmring

BOTH = shmring.PRODUCER | shmring.CONSUMER
# Every wait in these tests is bounded: a hang fails, it does not block.
LIMIT = 20


class Child:
    """A python process running code (with shmring imported), killed and
    reaped when the test ends whatever happened; it says "ready" on its
    stdout when the code calls ready()."""

    def __init__(self, code, *args):
        prog = "import os, signal, sys, shmring\n" \
               "def ready():\n    print('ready', flush=True)\n" + \
               textwrap.dedent(code)
        self.p = subprocess.Popen([sys.executable, "-c", prog] +
                                  [str(a) for a in args],
                                  stdout=subprocess.PIPE, text=True)

    def wait_ready(self):
        # A blocking read of the pipe, bounded by the test's timeout of
        # the child's exit below; a child that dies first gives EOF.
        line = self.p.stdout.readline()
        assert line == "ready\n", "child did not get ready: %r" % line

    def kill(self):
        self.p.send_signal(signal.SIGKILL)
        self.p.wait(LIMIT)

    def join(self):
        rc = self.p.wait(LIMIT)
        self.p.stdout.close()
        return rc

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait(LIMIT)
        if not self.p.stdout.closed:
            self.p.stdout.close()


# --- one process -----------------------------------------------------------

def test_send_recv_every_kind_of_bytes(ring_name):
    with shmring.create(ring_name(), BOTH, capacity=1 << 16) as r:
        msgs = [b"hello", b"", bytearray(b"ba"), memoryview(b"mv-ro"),
                memoryview(bytearray(b"mv-rw")),
                memoryview(bytearray(b"0123456789"))[::2]]  # strided: copied
        for m in msgs:
            r.send(m)
        for m in msgs:
            got = r.recv(LIMIT)
            assert type(got) is bytes
            assert got == bytes(m)


def test_try_calls_and_zero_timeout_never_wait(ring_name):
    with shmring.create(ring_name(), BOTH, capacity=4096, max_msg=1024) as r:
        with pytest.raises(BlockingIOError):
            r.try_recv()
        with pytest.raises(BlockingIOError):
            r.recv(0)
        sent = 0
        with pytest.raises(BlockingIOError):
            while sent < 4096:
                r.try_send(b"x" * 1000)
                sent += 1
        assert 0 < sent < 5
        with pytest.raises(BlockingIOError):
            r.send(b"x" * 1000, timeout=0)
        for _ in range(sent):
            assert r.try_recv() == b"x" * 1000


def test_timeouts_raise_timeout_error(ring_name):
    with shmring.create(ring_name(), BOTH, capacity=4096, max_msg=1024) as r:
        with pytest.raises(TimeoutError) as e:
            r.recv(0.01)
        assert e.value.errno == errno.ETIMEDOUT
        while True:
            try:
                r.try_send(b"y")
            except BlockingIOError:
                break
        with pytest.raises(TimeoutError):
            r.send(b"y", timeout=0.01)
        with pytest.raises(ValueError):
            r.recv(-1)


def test_recv_into_bytearray_and_memoryview(ring_name):
    with shmring.create(ring_name(), BOTH) as r:
        r.send(b"abcdef")
        buf = bytearray(16)
        assert r.recv_into(buf, LIMIT) == 6
        assert buf[:6] == b"abcdef" and buf[6:] == bytes(10)
        r.send(b"xyz")
        view = memoryview(buf)[8:]
        assert r.recv_into(view) == 3
        assert buf[8:11] == b"xyz"
        r.send(b"")
        assert r.recv_into(bytearray(0)) == 0
        with pytest.raises(TypeError):
            r.recv_into(b"read-only")


def test_recv_into_too_small_leaves_the_message(ring_name):
    with shmring.create(ring_name(), BOTH) as r:
        r.send(b"0123456789")
        with pytest.raises(OSError) as e:
            r.recv_into(bytearray(4))
        assert e.value.errno == errno.EMSGSIZE
        assert e.value.strerror == shmring.strerror(errno.EMSGSIZE)
        assert r.recv() == b"0123456789"


def test_recv_into_numpy_frames(ring_name):
    np = pytest.importorskip("numpy")
    with shmring.create(ring_name(), BOTH, capacity=1 << 20,
                        max_msg=64 * 48 * 3) as r:
        frame = np.arange(64 * 48 * 3, dtype=np.uint8).reshape(64, 48, 3)
        r.send(frame)
        out = np.zeros_like(frame)
        assert r.recv_into(out, LIMIT) == frame.nbytes
        assert np.array_equal(out, frame)
        floats = np.linspace(0, 1, 100)
        r.send(floats)
        back = np.empty(100)
        assert r.recv_into(back) == 800
        assert np.array_equal(back, floats)
        with pytest.raises(ValueError):
            r.recv_into(out[:, ::2])  # a strided view has no one address


def test_info_and_stats(ring_name):
    with shmring.create(ring_name(), BOTH, capacity=1 << 14, max_msg=512,
                        mode=0o640) as r:
        r.send(b"12345")
        i = r.info()
        assert (i.kind, i.capacity, i.max_msg, i.mode) == \
            ("spsc", 1 << 14, 512, 0o640)
        assert i.creator_pid == os.getpid() and i.creator_alive is True
        assert (i.producers, i.consumers) == (1, 1)
        assert i.used > 0 and i.prod_pos > i.cons_pos
        assert r.max_msg == 512
        s = r.stats()
        assert (s.msgs_sent, s.bytes_sent, s.msgs_recv) == (1, 5, 0)
        r.recv()
        s = r.stats()
        assert (s.msgs_recv, s.bytes_recv, s.used) == (1, 5, 0)
        with shmring.open(r.name, 0) as monitor:
            assert monitor.stats().msgs_recv == 1


def test_mpmc_kind(ring_name):
    with shmring.create(ring_name(), BOTH, kind="mpmc", capacity=16,
                        max_msg=100) as r:
        assert r.info().kind == "mpmc" and r.info().capacity == 16
        for k in range(16):
            r.send(b"m%d" % k)
        with pytest.raises(BlockingIOError):
            r.try_send(b"full")
        assert [r.recv() for _ in range(16)] == [b"m%d" % k for k in range(16)]


def test_close_context_manager_and_closed_ring(ring_name):
    name = ring_name()
    with shmring.create(name, BOTH) as r:
        assert not r.closed
    assert r.closed
    r.close()  # twice is fine
    for call in (lambda: r.send(b"x"), r.recv, lambda: r.send(bytearray(1)),
                 r.try_recv, lambda: r.try_send(b"x"), r.info, r.stats,
                 r.lost, r.fileno, r.subscribers,
                 lambda: r.seek(shmring.SEEK_OLDEST),
                 lambda: r.recv_into(bytearray(4))):
        with pytest.raises(ValueError):
            call()
    # Closing detached the roles: the ring takes a new producer.
    with shmring.open(name, shmring.PRODUCER):
        pass


# --- the error of every documented C error code ----------------------------

# What each error of the C API's documentation raises; EPIPE depends on
# the direction (EOFError receiving, BrokenPipeError sending).
MAPPING = {
    errno.EAGAIN: BlockingIOError,
    errno.ETIMEDOUT: TimeoutError,
    errno.ENOENT: FileNotFoundError,
    errno.EEXIST: FileExistsError,
    errno.EACCES: PermissionError,
    errno.EPERM: PermissionError,
    errno.ENOTDIR: NotADirectoryError,  # Python's own subclass
    errno.EOVERFLOW: shmring.Overflow,  # a lapped broadcast subscriber
}
OTHER = [errno.EINVAL, errno.EMSGSIZE, errno.EPROTO, errno.EBUSY,
         errno.EUSERS, errno.ENOSPC, errno.ENOMEM, errno.EBADMSG,
         errno.EOPNOTSUPP, errno.EFBIG, errno.EMFILE, errno.ENFILE,
         errno.EIO, errno.ELOOP, errno.ESTALE]


@pytest.mark.parametrize("err", sorted(MAPPING) + OTHER)
def test_every_error_maps(err):
    exc = shmring._error(-err)
    assert type(exc) is MAPPING.get(err, OSError)
    assert exc.errno == err
    assert exc.strerror == shmring.strerror(-err) != ""


def test_epipe_maps_by_direction():
    assert type(shmring._error(-errno.EPIPE)) is BrokenPipeError
    assert type(shmring._error(-errno.EPIPE, eof=True)) is EOFError


def test_errors_of_real_calls(ring_name):
    name = ring_name()
    with pytest.raises(FileNotFoundError):
        shmring.open(name, shmring.CONSUMER)
    with pytest.raises(FileNotFoundError):
        shmring.unlink(name)
    with shmring.create(name, shmring.CONSUMER, max_msg=64) as r:
        with pytest.raises(FileExistsError):
            shmring.create(name, shmring.PRODUCER)
        with pytest.raises(PermissionError) as e:
            r.send(b"not a producer")
        assert e.value.errno == errno.EPERM
        with pytest.raises(OSError) as e:
            shmring.open(name, shmring.CONSUMER)  # SPSC role held
        assert e.value.errno == errno.EBUSY
        with shmring.open(name, shmring.PRODUCER) as p:
            with pytest.raises(OSError) as e:
                p.send(b"z" * 65)
            assert e.value.errno == errno.EMSGSIZE
            with pytest.raises(PermissionError):
                p.recv(0)
    for bad in ("no-slash", "/a/b"):
        with pytest.raises(OSError) as e:
            shmring.create(bad, BOTH)
        assert e.value.errno == errno.EINVAL
    with pytest.raises(OSError) as e:
        shmring.create(ring_name(), BOTH, capacity=1000)  # not a power of 2
    assert e.value.errno == errno.EINVAL
    with pytest.raises(ValueError):  # broadcast rings only
        shmring.create(ring_name(), BOTH, overwrite=True)
    with pytest.raises(ValueError):
        shmring.create(ring_name(), BOTH, kind="nosuch")


def test_open_of_a_foreign_object_is_eproto(ring_name):
    name = ring_name()
    fd = os.open("/dev/shm" + name, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
    try:
        os.write(fd, b"not a ring" * 1000)
    finally:
        os.close(fd)
    with pytest.raises(OSError) as e:
        shmring.open(name, shmring.CONSUMER)
    assert e.value.errno == errno.EPROTO


def test_eacces_for_a_user_denied(ring_name):
    if os.geteuid() == 0:
        pytest.skip("root is never denied: EACCES is checked by the mapping")
    name = ring_name()
    shmring.create(name, 0, mode=0o200).close()
    with pytest.raises(PermissionError) as e:
        shmring.open(name, shmring.CONSUMER)
    assert e.value.errno == errno.EACCES


# --- two processes -----------------------------------------------------------

PRODUCER_CODE = """
name, n = sys.argv[1], int(sys.argv[2])
with shmring.open(name, shmring.PRODUCER) as r:
    for k in range(n):
        r.send(b"%d:" % k + b"p" * (k % 200), timeout=20)
"""


def test_two_processes_in_order_then_end_of_stream(ring_name):
    name = ring_name()
    n = 20000
    with shmring.create(name, shmring.CONSUMER, capacity=1 << 14) as r:
        with Child(PRODUCER_CODE, name, n) as child:
            got = 0
            for msg in r:  # stops at end of stream
                k, _, pad = msg.partition(b":")
                assert int(k) == got and pad == b"p" * (got % 200)
                got += 1
            assert got == n
            assert child.join() == 0
        with pytest.raises(EOFError):
            r.recv(LIMIT)  # again and again, as a pipe
        assert r.stats().msgs_recv == n


def test_consumer_in_a_child_sees_every_message(ring_name):
    name = ring_name()
    code = """
    name, n = sys.argv[1], int(sys.argv[2])
    with shmring.open(name, shmring.CONSUMER) as r:
        got = [int(m) for m in r]
    sys.exit(0 if got == list(range(n)) else 3)
    """
    with shmring.create(name, shmring.PRODUCER, capacity=4096) as r:
        with Child(code, name, 5000) as child:
            for k in range(5000):
                r.send(b"%d" % k, LIMIT)
            r.close()
            assert child.join() == 0


def test_sigkill_of_the_producer_is_end_of_stream(ring_name):
    name = ring_name()
    code = """
    r = shmring.open(sys.argv[1], shmring.PRODUCER)
    for k in range(10):
        r.send(b"%d" % k)
    ready()
    signal.pause()
    """
    with shmring.create(name, shmring.CONSUMER) as r:
        with Child(code, name) as child:
            child.wait_ready()
            child.kill()
            assert [r.recv(LIMIT) for _ in range(10)] == \
                [b"%d" % k for k in range(10)]
            # EOFError, not TimeoutError: the death is seen in bounded time.
            with pytest.raises(EOFError):
                r.recv(LIMIT)


def test_sigkill_of_the_consumer_breaks_the_pipe(ring_name):
    name = ring_name()
    code = """
    r = shmring.open(sys.argv[1], shmring.CONSUMER)
    ready()
    signal.pause()
    """
    with shmring.create(name, shmring.PRODUCER, capacity=4096,
                        max_msg=512) as r:
        with Child(code, name) as child:
            child.wait_ready()
            child.kill()
            # The ring fills, then the dead consumer is found: every send
            # waits at most LIMIT, and the pipe breaks before the limit.
            with pytest.raises(BrokenPipeError):
                for _ in range(10000):
                    r.send(b"q" * 500, LIMIT)


# --- batches: send_many / recv_many ------------------------------------------

def test_send_many_recv_many_in_order(ring_name):
    with shmring.create(ring_name(), BOTH, capacity=1 << 16,
                        max_msg=100) as r:
        msgs = [b"m%d" % k + b"." * (k % 50) for k in range(200)]
        sent = 0
        while sent < len(msgs):
            n = r.send_many(msgs[sent:])
            assert 1 <= n <= 64
            sent += n
        got = []
        while len(got) < len(msgs):
            batch = r.recv_many(LIMIT)
            assert 1 <= len(batch) <= 64
            got += batch
        assert got == msgs
        assert r.send_many([]) == 0
        r.send_many([bytearray(b"ba"), memoryview(b"mv"), b"by"])
        assert r.recv_many(max_count=2) == [b"ba", b"mv"]
        assert r.recv_many() == [b"by"]
        with pytest.raises(BlockingIOError):
            r.recv_many(0)


def test_send_many_stops_before_a_message_too_large(ring_name):
    with shmring.create(ring_name(), BOTH, max_msg=10) as r:
        assert r.send_many([b"ok", b"x" * 11, b"later"]) == 1
        with pytest.raises(OSError) as e:
            r.send_many([b"x" * 11, b"later"])
        assert e.value.errno == errno.EMSGSIZE
        assert r.recv_many() == [b"ok"]


def test_many_between_processes_then_end_of_stream(ring_name):
    name = ring_name()
    code = """
    name, n = sys.argv[1], int(sys.argv[2])
    msgs = [b"%d" % k for k in range(n)]
    with shmring.open(name, shmring.PRODUCER) as r:
        k = 0
        while k < n:
            k += r.send_many(msgs[k:k + 50], timeout=20)
    """
    with shmring.create(name, shmring.CONSUMER, capacity=4096) as r:
        with Child(code, name, 5000) as child:
            got = []
            with pytest.raises(EOFError):
                while True:
                    got += r.recv_many(LIMIT)
            assert got == [b"%d" % k for k in range(5000)]
            assert child.join() == 0
    with shmring.create(ring_name(), shmring.CONSUMER) as lonely:
        with pytest.raises(PermissionError):
            lonely.send_many([b"not a producer"])


def test_lengths_convert_where_the_abi_does_not_widen(ring_name):
    # Off x86-64 and AArch64 the hot calls get argtypes (see the module's
    # comment on _send): the same calls must work that way too.
    code = """
    import os
    class Other:
        machine = "other"
    os.uname = lambda: Other
    del sys.modules["shmring"]  # imported before the patch: again
    import shmring
    assert shmring._send.argtypes and shmring._recv.argtypes
    assert shmring._try_send.argtypes and shmring._try_recv.argtypes
    with shmring.create(sys.argv[1], 3, max_msg=70000) as r:
        for m in (b"", b"x", b"y" * 65536, bytearray(b"ba")):
            r.send(m, 1.0)
            assert r.recv(1.0) == bytes(m)
            r.try_send(m)
            assert r.try_recv() == bytes(m)
        buf = bytearray(8)
        r.send(b"12345")
        assert r.recv_into(buf, 1.0) == 5
    """
    with Child(code, ring_name()) as child:
        assert child.join() == 0
