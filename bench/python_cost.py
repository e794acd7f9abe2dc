#!/usr/bin/env python3
"""python_cost.py - where the time of one Ring.send() + Ring.recv() goes,
in one process, on a ring that is never full nor empty.

    python_cost.py [--rounds N]

Times a send+recv pair of 64-byte messages layer by layer, from the bare
foreign calls up to the Ring methods: ctypes objects passed to the
functions as they were bound before (converted on every call), the
parameter objects the binding makes once, the try functions called
holding the interpreter lock, the bytes object made from the receive
buffer, and the methods themselves. Each figure is the best of N rounds
of 2000 pairs, less the cost of the empty loop; the layers take turns,
round by round, so that load from elsewhere falls on all of them alike.
It reads the binding's private names: it measures this version of it.
"""
import argparse
import ctypes as ct
import os
import time

import shmring


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=50)
    a = ap.parse_args()
    name = "/shmring-pycost-%d" % os.getpid()
    r = shmring.create(name, shmring.PRODUCER | shmring.CONSUMER,
                       capacity=1 << 20)
    shmring.unlink(name)
    msg = bytes(64)
    send, recv = shmring._lib.shmring_send, shmring._lib.shmring_recv
    send.restype, recv.restype = ct.c_int, ct.c_ssize_t
    try_send, try_recv = shmring._try_send, shmring._try_recv
    mm = r._mm
    h, buf, cap = ct.c_void_p(r._h.value), ct.c_void_p(
        ct.addressof(r._mmc)), r.max_msg
    forever = ct.c_int64(-1)
    hp, bp, capp, foreverp = r._hp, r._bufp, r._capp, shmring._FOREVER_C
    layers = [
        ("send/recv, ctypes objects", lambda: (
            send(h, msg, 64, forever), recv(h, buf, cap, forever))),
        ("send/recv, parameter objects", lambda: (
            send(hp, msg, 64, foreverp), recv(hp, bp, capp, foreverp))),
        ("try_send/try_recv, lock held", lambda: (
            try_send(hp, msg, 64), try_recv(hp, bp, capp))),
        ("  and the bytes received", lambda: (
            try_send(hp, msg, 64), mm[:try_recv(hp, bp, capp)])),
        ("Ring.send(msg), Ring.recv()", lambda: (r.send(msg), r.recv())),
    ]

    def rnd(f):
        t = time.perf_counter_ns()
        for _ in range(2000):
            f()
        return (time.perf_counter_ns() - t) / 2000

    best = [float("inf")] * len(layers)
    empty = float("inf")
    for _ in range(a.rounds):
        empty = min(empty, rnd(lambda: None))
        for k, (_, f) in enumerate(layers):
            best[k] = min(best[k], rnd(f))
    r.close()
    print("== python: one send+recv pair of 64 B, one process, by layer ==")
    print("load average %.2f %.2f %.2f" % os.getloadavg())
    for (what, _), ns in zip(layers, best):
        print("%-32s %6.0f ns" % (what, ns - empty))


if __name__ == "__main__":
    main()
