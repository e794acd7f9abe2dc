"""shmring: message rings in shared memory between processes.

A pure-Python binding of libshmring over ctypes. A ring is created by one
process and opened by others; each takes the role of producer, consumer or
both, and messages (bytes) pass through shared memory without a system call
while neither side has to wait::

    import shmring
    with shmring.create("/frames", shmring.PRODUCER) as ring:
        ring.send(b"hello")

    with shmring.open("/frames", shmring.CONSUMER) as ring:
        for msg in ring:          # until the producer closes: end of stream
            print(msg)

The library is ``libshmring.so.0``, found through the normal library search
(or where ``make install`` put it); the environment variable
``SHMRING_LIBRARY`` names another file to load instead.

Errors are raised the Python way: ``EOFError`` from a receive at end of
stream, ``BrokenPipeError`` from a send once every consumer is gone,
``TimeoutError``, ``BlockingIOError`` (a try call, or a timeout of 0, that
would wait), ``FileNotFoundError``, ``FileExistsError``, ``PermissionError``,
``Overflow`` (an ``OSError`` with errno ``EOVERFLOW``: a subscriber of an
overwrite-mode broadcast ring was overtaken), and ``OSError`` with the errno
and the library's message for the rest. See shmring(7) and the C man pages
for what each error means.

Broadcast rings (``kind="bcast"``): one PRODUCER publishes, every
CONSUMER (subscriber) receives every message; ``Ring.seek()`` and
``Ring.lost()`` serve the subscribers, ``Ring.subscribers()`` lists them.
Event loops: ``Ring.fileno()`` is a descriptor that polls readable when a
call would not block, and the coroutines ``Ring.recv_async()`` and
``Ring.send_async()`` wait on it with asyncio.

A Ring is used by one thread at a time, in the process that made it: after
``fork()`` the child opens rings of its own.
"""

import ctypes as _ct
import errno as _errno
from itertools import accumulate as _accumulate
import mmap as _mmap
import os as _os
from typing import NamedTuple as _NamedTuple

__all__ = [
    "PRODUCER", "CONSUMER", "SEEK_OLDEST", "SEEK_NEWEST", "Ring", "Info",
    "Stats", "Subscriber", "Overflow", "create", "open", "unlink", "strerror",
    "library_path",
]

#: Role bit: the handle sends (shmring_create(3), shmring_open(3)).
PRODUCER = 1
#: Role bit: the handle receives. Or-able with PRODUCER.
CONSUMER = 2

#: Ring.seek(): back to the oldest message still intact (SHMRING_SEEK_OLDEST).
SEEK_OLDEST = 0
#: Ring.seek(): past every message published so far (SHMRING_SEEK_NEWEST).
SEEK_NEWEST = 1

# Ring kinds by name, as enum shmring_kind numbers them: a kind the
# library gains is one more entry here.
_KINDS = {"spsc": 0, "mpmc": 1, "bcast": 2}
_KIND_NAMES = {v: k for k, v in _KINDS.items()}

# shmring_opts.flags: SHMRING_OVERWRITE (broadcast rings only; other
# kinds refuse it with EINVAL).
_FLAG_OVERWRITE = 0x2

# timeout_ns: -1 waits forever; the largest finite timeout.
_FOREVER = -1
_NS_MAX = (1 << 63) - 1


def _find_library():
    """The files to try loading, in order: SHMRING_LIBRARY alone where it
    is set; else the soname through the loader's search, then the copy
    in the directory `make install` put it in."""
    override = _os.environ.get("SHMRING_LIBRARY")
    if override:
        return [override]
    names = ["libshmring.so.0"]
    try:
        from . import _install  # written by `make install`
        names.append(_os.path.join(_install.LIBDIR, "libshmring.so.0"))
    except ImportError:
        pass
    return names


def _load():
    errors = []
    for name in _find_library():
        try:
            return _ct.CDLL(name), name
        except OSError as e:
            errors.append(str(e))
    raise ImportError("shmring: cannot load libshmring: " + "; ".join(errors))


_lib, _libname = _load()


class _CInfo(_ct.Structure):
    # struct shmring_info, field for field.
    _fields_ = [
        ("kind", _ct.c_int), ("capacity", _ct.c_size_t),
        ("max_msg", _ct.c_size_t), ("region_size", _ct.c_size_t),
        ("creator_pid", _ct.c_int), ("created_ns", _ct.c_uint64),
        ("used", _ct.c_size_t), ("producers", _ct.c_uint),
        ("consumers", _ct.c_uint), ("layout_version", _ct.c_uint),
        ("mode", _ct.c_uint), ("slot_size", _ct.c_size_t),
        ("prod_pos", _ct.c_uint64), ("cons_pos", _ct.c_uint64),
        ("data_waiters", _ct.c_uint), ("space_waiters", _ct.c_uint),
        ("creator_alive", _ct.c_int), ("flags", _ct.c_uint64),
        ("oldest_pos", _ct.c_uint64), ("reserved", _ct.c_uint64 * 6),
    ]


class _CStats(_ct.Structure):
    # struct shmring_stats, field for field.
    _fields_ = [
        ("msgs_sent", _ct.c_uint64), ("bytes_sent", _ct.c_uint64),
        ("msgs_recv", _ct.c_uint64), ("bytes_recv", _ct.c_uint64),
        ("times_full", _ct.c_uint64), ("times_empty", _ct.c_uint64),
        ("sleeps", _ct.c_uint64), ("wakeups", _ct.c_uint64),
        ("last_attach_ns", _ct.c_uint64), ("last_detach_ns", _ct.c_uint64),
        ("used", _ct.c_size_t), ("producers", _ct.c_uint),
        ("consumers", _ct.c_uint), ("msgs_lost", _ct.c_uint64),
        ("reserved", _ct.c_uint64 * 7),
    ]


class _CSubscriber(_ct.Structure):
    # struct shmring_subscriber, field for field.
    _fields_ = [
        ("pid", _ct.c_int), ("alive", _ct.c_int), ("pos", _ct.c_uint64),
        ("lag", _ct.c_uint64), ("lost", _ct.c_uint64),
        ("reserved", _ct.c_uint64 * 4),
    ]


# SHMRING_MAX_PEERS: no ring has more subscribers.
_MAX_PEERS = 32


class _COpts(_ct.Structure):
    # struct shmring_opts
    _fields_ = [
        ("kind", _ct.c_int), ("capacity", _ct.c_size_t),
        ("max_msg", _ct.c_size_t), ("mode", _ct.c_uint),
        ("flags", _ct.c_uint),
    ]


def _proto(name, restype, *argtypes):
    f = getattr(_lib, name)
    f.restype = restype
    f.argtypes = argtypes
    return f


_vp = _ct.c_void_p
_create = _proto("shmring_create", _ct.c_int, _ct.c_char_p,
                 _ct.POINTER(_COpts), _ct.c_int, _ct.POINTER(_vp))
_open = _proto("shmring_open", _ct.c_int, _ct.c_char_p, _ct.c_int,
               _ct.POINTER(_vp))
_close = _proto("shmring_close", _ct.c_int, _vp)
_unlink = _proto("shmring_unlink", _ct.c_int, _ct.c_char_p)
# The hot path goes without argtypes, whose conversions took a third of
# the cost of a call: every argument of these calls is then passed as
# what it is, so the code below gives each the right type. A ctypes
# object passed so (a c_void_p, a c_int64) is turned into a parameter
# object on every call, an allocation each; the parameter objects that
# from_param() returns are passed as they are, by a copy of their value.
# So the handle, the receive buffer's address and size, and the timeouts
# are made once as parameter objects (_ptr_arg, _size_arg and _ns_arg
# below); a message to send is bytes (passed as its address) or a
# c_void_p. A length goes as a Python int, which ctypes passes as a C
# int: the x86-64 and AArch64 calls (through libffi) widen it to the
# 64-bit register by sign extension, so a size_t below 2**31 arrives
# whole, and every length here is at most max_msg
# (SHMRING_MAX_MSG_LIMIT, 2**30). On other ABIs the calls get argtypes,
# which convert, and take Python ints instead.
_send = _lib.shmring_send
_send.restype = _ct.c_int
_recv = _lib.shmring_recv
_recv.restype = _ct.c_ssize_t
_size_t = _ct.c_size_t
_int64 = _ct.c_int64
# The try calls never wait, so they run holding the interpreter's lock,
# which a call through a CDLL gives up and takes back (about 45 ns), and
# they take one argument less. send() and recv() without a timeout call
# them first and only when the ring is full (empty) the call that waits,
# through the CDLL: about 90 ns a call less where nobody has to wait
# (bench/python_cost.py, bench/README.md). Such a wait is then counted
# twice in Stats.times_full (times_empty), and the consumer's slip
# (shmring_set_slip(3)) never starts: the try that found the ring empty
# ends the run of messages the slip waits for.
_EAGAIN = -_errno.EAGAIN
_lib_locked = _ct.PyDLL(_libname, handle=_lib._handle)
_try_send = _lib_locked.shmring_try_send
_try_send.restype = _ct.c_int
_try_recv = _lib_locked.shmring_try_recv
_try_recv.restype = _ct.c_ssize_t
_ptr_arg = _ct.c_void_p.from_param
if _os.uname().machine not in ("x86_64", "aarch64"):
    _send.argtypes = (_ct.c_void_p, _ct.c_void_p, _size_t, _int64)
    _recv.argtypes = (_ct.c_void_p, _ct.c_void_p, _size_t, _int64)
    _try_send.argtypes = (_ct.c_void_p, _ct.c_void_p, _size_t)
    _try_recv.argtypes = (_ct.c_void_p, _ct.c_void_p, _size_t)
    _size_arg = _ns_arg = int  # argtypes convert ints (and refuse these)
else:
    _size_arg = _size_t.from_param
    _ns_arg = _int64.from_param
_FOREVER_C = _ns_arg(_FOREVER)
_ZERO_C = _ns_arg(0)
_NO_CAP = _size_arg(0)
_send_burst = _proto("shmring_send_burst", _ct.c_int, _vp, _vp,
                     _ct.c_size_t, _ct.c_int64)
_recv_burst = _proto("shmring_recv_burst", _ct.c_int, _vp, _vp,
                     _ct.c_size_t, _ct.c_int64)
_info = _proto("shmring_info", _ct.c_int, _vp, _ct.POINTER(_CInfo))
_stats = _proto("shmring_stats", _ct.c_int, _vp, _ct.POINTER(_CStats))
_strerror = _proto("shmring_strerror", _ct.c_char_p, _ct.c_int)
_seek = _proto("shmring_seek", _ct.c_int, _vp, _ct.c_int)
_lost = _proto("shmring_lost", _ct.c_int, _vp, _ct.POINTER(_ct.c_uint64))
_poll_fd = _proto("shmring_poll_fd", _ct.c_int, _vp, _ct.c_short)
_subscribers = _proto("shmring_subscribers", _ct.c_int, _vp,
                      _ct.POINTER(_CSubscriber), _ct.c_size_t)
# <poll.h>'s POLLIN and POLLOUT, the directions of shmring_poll_fd().
_POLLIN = 0x1
_POLLOUT = 0x4


def library_path():
    """The library this module loaded: a path, or the soname searched."""
    return _libname


def strerror(err):
    """shmring's message for an error number (positive or negative)."""
    return _strerror(-abs(err)).decode("utf-8", "replace")


class Overflow(OSError):
    """A receive on a subscriber of an overwrite-mode broadcast ring that
    the publisher overtook (errno EOVERFLOW, once per overtaking): the
    messages it skipped are gone, and the next receive returns the oldest
    message still intact. ``lost`` is Ring.lost() when it was raised: the
    messages this handle missed since it attached, as far as counted yet
    (shmring_lost(3) says when a gap is counted).
    """

    lost = None


def _error(rc, eof=False):
    """The exception for a negative return code of the C library.

    OSError(errno, message) makes the subclass Python has for that errno
    (FileNotFoundError, BrokenPipeError, TimeoutError, ...); the end of
    stream of a receive is EOFError, as multiprocessing's Connection
    raises it, and EOVERFLOW is Overflow. ESTALE (shmring_release(3),
    which this binding does not call) is a plain OSError.
    """
    if eof and rc == -_errno.EPIPE:
        return EOFError(strerror(rc))
    if rc == -_errno.EOVERFLOW:
        return Overflow(-rc, strerror(rc))
    return OSError(-rc, strerror(rc))


def _wake(fut):
    # add_reader's callback: the awaited descriptor polled readable.
    if not fut.done():
        fut.set_result(None)


def _timeout_ns(timeout):
    """A timeout in seconds (None: forever) as the C library's int64 ns."""
    if timeout is None:
        return _FOREVER
    if timeout < 0:
        raise ValueError("timeout must be None or >= 0 seconds")
    ns = timeout * 1e9
    return _NS_MAX if ns >= _NS_MAX else int(ns)


def _ns_param(timeout):
    """_timeout_ns() as _send and _recv take it."""
    if timeout is None:
        return _FOREVER_C
    if timeout == 0:
        return _ZERO_C
    return _ns_arg(_timeout_ns(timeout))


def _name_bytes(name):
    if isinstance(name, str):
        return name.encode()
    if isinstance(name, (bytes, bytearray)):
        return bytes(name)
    raise TypeError("ring name must be str or bytes, not %s" %
                    type(name).__name__)


class Info(_NamedTuple):
    """Parameters and state of a ring, from Ring.info() (shmring_info(3)).

    kind is "spsc", "mpmc" or "bcast"; capacity is bytes (SPSC, BCAST)
    or slots (MPMC); used, prod_pos and cons_pos count in the same unit;
    created_ns is CLOCK_REALTIME at creation.
    """
    kind: str
    capacity: int
    max_msg: int
    region_size: int
    creator_pid: int
    created_ns: int
    used: int
    producers: int
    consumers: int
    layout_version: int
    mode: int
    slot_size: int
    prod_pos: int
    cons_pos: int
    data_waiters: int
    space_waiters: int
    creator_alive: bool


class Stats(_NamedTuple):
    """Counters of a ring summed over every process that is or was
    attached, from Ring.stats() (shmring_stats(3)): a snapshot. A send()
    or recv() without a timeout that had to wait counts twice in
    times_full or times_empty: it tries first.
    """
    msgs_sent: int
    bytes_sent: int
    msgs_recv: int
    bytes_recv: int
    times_full: int
    times_empty: int
    sleeps: int
    wakeups: int
    last_attach_ns: int
    last_detach_ns: int
    used: int
    producers: int
    consumers: int
    msgs_lost: int  # broadcast: what the subscribers attached now missed


class Subscriber(_NamedTuple):
    """One subscriber of a broadcast ring, from Ring.subscribers()
    (shmring_subscribers(3)): its process, whether it still runs, the
    position of the next message it reads, how many bytes published it
    has not read yet, and how many messages it missed (overwrite mode).
    """
    pid: int
    alive: bool
    pos: int
    lag: int
    lost: int


class _Burst:
    """Buffers of send_many() / recv_many(): `n` slots of max_msg bytes in
    one anonymous mapping, and the struct iovec array that describes
    them, as a flat array of (base, length) words. A receive fills the
    slots; a send packs its batch, joined, at the start of the mapping.
    A whole batch then costs one call into the library, and the copies
    and the arrays' updates are single operations that run at C speed."""

    __slots__ = ("n", "size", "mm", "export", "iov", "reset", "offs", "base")
    _BUDGET = 1 << 24  # bytes of slots at most

    def __init__(self, max_msg):
        size = max(max_msg, 1)
        self.n = n = max(1, min(64, self._BUDGET // size))
        self.size = size
        self.mm = _mmap.mmap(-1, n * size)
        self.export = (_ct.c_char * (n * size)).from_buffer(self.mm)
        self.base = base = _ct.addressof(self.export)
        self.offs = [k * size for k in range(n)]
        words = []
        for off in self.offs:
            words += [base + off, size]
        self.iov = (_ct.c_size_t * (2 * n))(*words)
        # What the iovec array holds before a receive fills in lengths.
        self.reset = bytes(self.iov)

    def close(self):
        self.export = None  # releases the mapping's export
        self.mm.close()


class Ring:
    """An attached ring: made by create() or open(), closed by close().

    A context manager (closing on exit) and an iterator over received
    messages that stops at end of stream; an Overflow (a lapped
    subscriber) escapes the loop, and iterating again goes on from the
    oldest message intact.
    """

    __slots__ = ("_h", "_hp", "_pid", "_name", "_role", "_max_msg",
                 "_mm", "_mmc", "_bufp", "_capp", "_sb", "_rb", "_waits",
                 "__weakref__")

    def __init__(self, handle, name, role):
        # Not for users: create() and open() build Rings.
        self._h = handle
        # The handle as send() and recv() pass it (see _send above); None
        # once closed, which the library refuses (EINVAL) before anything.
        self._hp = _ptr_arg(handle.value)
        self._pid = _os.getpid()
        self._name = name
        self._role = role
        self._sb = None
        self._rb = None
        self._waits = 0  # the directions a coroutine waits in now
        ci = _CInfo()
        rc = _info(handle, _ct.byref(ci))
        self._max_msg = ci.max_msg if rc == 0 else 0
        # The receive buffer of recv(), for a consumer: an anonymous
        # mapping of max_msg bytes. Pages are touched only as far as
        # messages reach, so a large max_msg costs no memory up front, and
        # slicing the mapping makes the bytes object in one copy. Another
        # handle passes no buffer, and the library refuses it (EPERM).
        self._mm = self._mmc = self._bufp = None
        self._capp = _NO_CAP
        if role & CONSUMER:
            self._mm = _mmap.mmap(-1, max(self._max_msg, 1))
            self._mmc = _ct.c_char.from_buffer(self._mm)
            self._bufp = _ptr_arg(_ct.addressof(self._mmc))
            self._capp = _size_arg(self._max_msg)

    @property
    def name(self):
        """The ring's name, as given to create() or open()."""
        return self._name

    @property
    def role(self):
        """The role bits this handle holds (PRODUCER, CONSUMER)."""
        return self._role

    @property
    def max_msg(self):
        """The largest message the ring accepts, in bytes."""
        return self._max_msg

    @property
    def closed(self):
        """True once close() was called."""
        return self._h is None

    def _handle(self):
        h = self._h
        if h is None:
            raise ValueError("operation on a closed Ring")
        return h

    def send(self, data, timeout=None):
        """Send one message (a bytes-like object, empty allowed), waiting
        up to timeout seconds for room (None: forever; 0: never waits).

        Raises BrokenPipeError when every consumer that ever attached is
        gone, TimeoutError when the ring stayed full, BlockingIOError when
        full with timeout 0, OSError(EMSGSIZE) for a message larger than
        max_msg, PermissionError when the handle is not a producer.
        """
        if timeout is None and type(data) is bytes:
            # The try call first: see _try_send above.
            rc = _try_send(self._hp, data, len(data))
            if not rc:
                return
            if rc == _EAGAIN:
                rc = _send(self._hp, data, len(data), _FOREVER_C)
        elif type(data) is bytes:
            rc = _send(self._hp, data, len(data), _ns_param(timeout))
        else:
            rc = self._send_buffer(data, _ns_param(timeout))
        if rc:
            self._handle()
            raise _error(rc)

    def _send_buffer(self, data, ns):
        h = self._handle()
        mv = memoryview(data)
        n = mv.nbytes
        if not mv.contiguous or mv.readonly:
            # No address can be had for a read-only buffer in pure Python:
            # copy it once.
            return _send(h, mv.tobytes(), _size_t(n), ns)
        if n == 0:
            return _send(h, None, _size_t(0), ns)
        return _send(h, (_ct.c_char * n).from_buffer(mv), _size_t(n), ns)

    def try_send(self, data):
        """send() that never waits: BlockingIOError when the ring is full."""
        if type(data) is bytes:
            rc = _try_send(self._hp, data, len(data))
        else:
            rc = self._send_buffer(data, _ZERO_C)
        if rc:
            self._handle()
            raise _error(rc)

    def recv(self, timeout=None):
        """Receive one message as bytes, waiting up to timeout seconds
        (None: forever; 0: never waits).

        Raises EOFError at end of stream (the ring is empty and every
        producer that ever attached has closed or died), TimeoutError
        when nothing came, BlockingIOError when empty with timeout 0,
        PermissionError when the handle is not a consumer.
        """
        if timeout is None:
            n = _try_recv(self._hp, self._bufp, self._capp)
            if n >= 0:
                return self._mm[:n]
            if n == _EAGAIN:
                n = _recv(self._hp, self._bufp, self._capp, _FOREVER_C)
        else:
            n = _recv(self._hp, self._bufp, self._capp, _ns_param(timeout))
        if n >= 0:
            return self._mm[:n]
        raise self._rx_error(n)

    def try_recv(self):
        """recv() that never waits: BlockingIOError when the ring is empty."""
        n = _try_recv(self._hp, self._bufp, self._capp)
        if n >= 0:
            return self._mm[:n]
        raise self._rx_error(n)

    def recv_into(self, buffer, timeout=None):
        """Receive one message into a writable, contiguous bytes-like
        object (bytearray, memoryview, array, numpy array) and return its
        length in bytes; nothing else is copied or allocated.

        Raises as recv() does, and OSError(EMSGSIZE) when the buffer is
        smaller than the next message, which then stays in the ring.
        """
        h = self._handle()
        mv = memoryview(buffer)
        if mv.readonly:
            raise TypeError("recv_into needs a writable buffer")
        if not mv.contiguous:
            raise ValueError("recv_into needs a contiguous buffer")
        n = mv.nbytes
        ptr = (_ct.c_char * n).from_buffer(mv) if n else None
        got = _recv(h, ptr, _size_t(n), _ns_param(timeout))
        if got < 0:
            raise self._rx_error(got)
        return got

    def send_many(self, messages, timeout=None):
        """Send messages (a sequence of bytes-like objects) in order, in
        one call into the library: wait up to timeout seconds for room
        for the first, then send as many as fit now (up to 64, fewer for
        a large max_msg), published together. Returns how many were sent,
        at least one unless messages is empty: send the rest with another
        call. Raises as send() does.
        """
        b = self._sb
        if b is None:
            self._handle()
            b = self._sb = _Burst(self._max_msg)
        batch = messages[:b.n]
        if not batch:
            return 0
        try:
            blob = b"".join(batch)  # bytes-like objects, C-contiguous
        except TypeError:
            blob = b"".join(memoryview(m).tobytes() for m in batch)
        lens = [len(m) if type(m) is bytes else memoryview(m).nbytes
                for m in batch]
        if max(lens) > b.size:
            # Send those before the first too large; it is refused alone.
            k = next(i for i, n in enumerate(lens) if n > b.size)
            if k == 0:
                raise OSError(_errno.EMSGSIZE, strerror(_errno.EMSGSIZE))
            lens = lens[:k]
            blob = blob[:sum(lens)]
        b.mm[:len(blob)] = blob
        k = len(lens)
        b.iov[0:2 * k:2] = list(_accumulate(lens[:-1], initial=b.base))
        b.iov[1:2 * k:2] = lens
        rc = _send_burst(self._h, b.iov, k, _timeout_ns(timeout))
        if rc < 0:
            raise _error(rc)
        return rc

    def recv_many(self, timeout=None, max_count=64):
        """Receive up to max_count messages (at most 64, fewer for a large
        max_msg) in one call into the library: wait up to timeout seconds
        for the first, then take all that are there now. Returns a list
        of bytes, never empty. Raises as recv() does.
        """
        b = self._rb
        if b is None:
            self._handle()
            b = self._rb = _Burst(self._max_msg)
        iov = b.iov
        _ct.memmove(iov, b.reset, len(b.reset))
        got = _recv_burst(self._h, iov, min(max_count, b.n),
                          _timeout_ns(timeout))
        if got < 0:
            raise self._rx_error(got)
        mm = b.mm
        return [mm[off:off + n]
                for off, n in zip(b.offs, iov[1:2 * got:2])]

    def _rx_error(self, rc):
        # The exception of a failed receive: an Overflow says what was lost.
        self._handle()
        exc = _error(rc, eof=True)
        if type(exc) is Overflow:
            try:
                exc.lost = self.lost()
            except OSError:
                pass
        return exc

    def seek(self, where):
        """Move this subscriber of a broadcast ring: SEEK_OLDEST back to
        the oldest message still intact (a late joiner's history),
        SEEK_NEWEST past every message published so far. Messages skipped
        or replayed so are not counted by lost() (shmring_seek(3)).

        Raises OSError(EINVAL) on another kind of ring or for another
        where, PermissionError when the handle is not a consumer.
        """
        rc = _seek(self._handle(), where)
        if rc:
            raise _error(rc)

    def lost(self):
        """How many messages this subscriber of an overwrite-mode broadcast
        ring missed because the publisher overtook it, since it attached
        (shmring_lost(3)); always 0 for other rings.

        Raises PermissionError when the handle is not a consumer.
        """
        count = _ct.c_uint64()
        rc = _lost(self._handle(), _ct.byref(count))
        if rc:
            raise _error(rc)
        return count.value

    def subscribers(self):
        """The subscribers attached to a broadcast ring now, as a list of
        Subscriber: a snapshot, from any handle (a monitor's too).

        Raises OSError(EINVAL) on another kind of ring.
        """
        subs = (_CSubscriber * _MAX_PEERS)()
        n = _subscribers(self._handle(), subs, _MAX_PEERS)
        if n < 0:
            raise _error(n)
        return [Subscriber(s.pid, bool(s.alive), s.pos, s.lag, s.lost)
                for s in subs[:n]]

    def _poll_fd(self, events):
        fd = _poll_fd(self._handle(), events)
        if fd < 0:
            raise _error(fd)
        return fd

    def fileno(self):
        """A descriptor that polls readable when a receive would not raise
        BlockingIOError (a message, end of stream, an Overflow to report):
        for a producer-only handle, when a send would not (room for a
        max_msg message, or no consumer left). shmring_poll_fd(3): it
        belongs to the Ring, which closes it; never close or read it.

        It stays readable until a call in that direction raises
        BlockingIOError (or TimeoutError); from then on it turns readable
        as soon as the call would succeed: with select, poll, epoll or
        asyncio's loop.add_reader(), receive until BlockingIOError each
        time it polls readable. Readiness may be spurious, never missed.
        Raises PermissionError for a handle with no role.
        """
        return self._poll_fd(_POLLIN if self._role & CONSUMER or
                             not self._role & PRODUCER else _POLLOUT)

    async def _ready(self, events):
        # Wait until the descriptor of that direction polls readable. It
        # is readable, never writable, in both directions, so both wait
        # with add_reader; the reader goes whatever ends the wait, a
        # cancellation included.
        # A second waiter would replace the first one's reader, which would
        # then never wake: refused.
        import asyncio
        if self._waits & events:
            raise RuntimeError("another coroutine already waits to %s on "
                               "this Ring" % ("receive" if events == _POLLIN
                                              else "send"))
        fd = self._poll_fd(events)
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        loop.add_reader(fd, _wake, fut)
        self._waits |= events
        try:
            await fut
        finally:
            self._waits &= ~events
            loop.remove_reader(fd)

    async def recv_async(self):
        """Receive one message as bytes in an asyncio coroutine: try first,
        and while the ring is empty wait for fileno() to poll readable in
        the running loop, without blocking it.

        Raises EOFError at end of stream, Overflow and the rest as recv()
        does. One recv_async() at a time per Ring; cancelling it leaves
        the Ring and the loop as they were.
        """
        recv = self.try_recv
        while True:
            try:
                return recv()
            except BlockingIOError:
                pass
            await self._ready(_POLLIN)

    async def send_async(self, data):
        """Send one message in an asyncio coroutine: try first, and while
        the ring is full wait for the producer's descriptor
        (shmring_poll_fd(3) with POLLOUT) to poll readable, without
        blocking the loop.

        Raises BrokenPipeError once every consumer is gone, and the rest
        as send() does. One send_async() at a time per Ring; cancelling it
        sends nothing.
        """
        send = self.try_send
        while True:
            try:
                return send(data)
            except BlockingIOError:
                pass
            await self._ready(_POLLOUT)

    def info(self):
        """The ring's parameters and state now, as an Info."""
        ci = _CInfo()
        rc = _info(self._handle(), _ct.byref(ci))
        if rc:
            raise _error(rc)
        v = [getattr(ci, f) for f in Info._fields]
        v[0] = _KIND_NAMES.get(ci.kind, str(ci.kind))
        v[-1] = bool(ci.creator_alive)
        return Info(*v)

    def stats(self):
        """The ring's counters now, as a Stats (any handle, a monitor's
        too)."""
        cs = _CStats()
        rc = _stats(self._handle(), _ct.byref(cs))
        if rc:
            raise _error(rc)
        return Stats(*[getattr(cs, f) for f in Stats._fields])

    def close(self):
        """Detach from the ring; closing twice does nothing. Closing the
        last producer is an end of stream for the consumers. The ring
        itself stays until unlink()."""
        h, self._h = self._h, None
        self._hp = None
        if self._mm is not None:
            self._bufp = None
            self._capp = _NO_CAP
            self._mmc = None  # releases the mapping's export
            self._mm.close()
            self._mm = None
        for b in (self._sb, self._rb):
            if b is not None:
                b.close()
        self._sb = self._rb = None
        # A child of fork() shares the parent's handle memory but not its
        # attachment: only the process that attached detaches.
        if h is not None and self._pid == _os.getpid():
            rc = _close(h)
            if rc:
                raise _error(rc)

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self):
        self._handle()
        return self

    def __exit__(self, *exc):
        self.close()

    def __iter__(self):
        return self

    def __next__(self):
        # recv() in line: a loop over a Ring is the common way to read it.
        n = _try_recv(self._hp, self._bufp, self._capp)
        if n >= 0:
            return self._mm[:n]
        if n == _EAGAIN:
            n = _recv(self._hp, self._bufp, self._capp, _FOREVER_C)
            if n >= 0:
                return self._mm[:n]
        exc = self._rx_error(n)
        if type(exc) is EOFError:
            raise StopIteration
        raise exc

    def __repr__(self):
        state = "closed" if self._h is None else "role=%d" % self._role
        return "<shmring.Ring %r %s>" % (self._name, state)


def create(name, role, *, kind="spsc", capacity=None, max_msg=None,
           mode=0o600, overwrite=False):
    """Create a ring (exclusively) and attach to it with role.

    name is "/name" as for shm_open(3) ("file:PATH" and "sysv:KEY" too);
    role is PRODUCER, CONSUMER, both or'ed, or 0 (create only); kind is
    "spsc" (one producer, one consumer, variable-size records), "mpmc"
    (many of each, fixed-size slots) or "bcast" (one publisher, the
    PRODUCER, and many subscribers, CONSUMERs, each of which receives
    every message); capacity is data bytes (SPSC, BCAST) or slots
    (MPMC), a power of two, None for the default; max_msg the largest
    message in bytes, None for the default; mode the permission bits;
    overwrite (broadcast rings only) makes the publisher never wait: it
    writes over the oldest messages, and a subscriber it overtook gets
    Overflow once (shmring_create(3), SHMRING_OVERWRITE).

    Raises FileExistsError when the name is taken, PermissionError,
    OSError(EINVAL) for bad options, ValueError for an unknown kind or
    overwrite on another kind than "bcast".
    """
    try:
        k = _KINDS[kind]
    except KeyError:
        raise ValueError("unknown ring kind %r (one of %s)" %
                         (kind, ", ".join(sorted(_KINDS)))) from None
    if overwrite and kind != "bcast":
        raise ValueError("overwrite is for broadcast rings (kind='bcast')")
    o = _COpts(kind=k, capacity=capacity or 0, max_msg=max_msg or 0,
               mode=mode, flags=_FLAG_OVERWRITE if overwrite else 0)
    h = _vp()
    rc = _create(_name_bytes(name), _ct.byref(o), role, _ct.byref(h))
    if rc:
        raise _error(rc)
    return Ring(h, name, role)


def open(name, role):  # noqa: A001 - the name is the API's
    """Attach to an existing ring with role (PRODUCER, CONSUMER, both, or
    0 for a read-only monitor).

    Raises FileNotFoundError when there is no such ring, PermissionError,
    OSError(EBUSY) when an SPSC role is held by a live process,
    OSError(EPROTO) for a region that is not a usable ring, OSError(EUSERS)
    when too many processes are attached.
    """
    h = _vp()
    rc = _open(_name_bytes(name), role, _ct.byref(h))
    if rc:
        raise _error(rc)
    return Ring(h, name, role)


def unlink(name):
    """Remove a ring's name; attached processes keep working.

    Raises FileNotFoundError when there is no such ring.
    """
    rc = _unlink(_name_bytes(name))
    if rc:
        raise _error(rc)
