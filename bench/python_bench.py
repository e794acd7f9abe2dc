#!/usr/bin/env python3
"""python_bench.py - the Python binding against what a Python user has
without it, Python on both sides, in one run.

    python_bench.py [--check] [--trials N] [--seconds S] [--sizes 64,4096]

Streams numbered messages from a producer process to a consumer process
through each transport, at each size:

  py-ring       shmring.Ring: send() / recv()
  py-ring-burst shmring.Ring: send_many() / recv_many(), up to 64 a call
  py-queue      multiprocessing.Queue: put() / get() (pickles, a pipe)
  py-pipe       multiprocessing.Pipe(duplex=False): send_bytes() /
                recv_bytes()
  py-shm-block  a multiprocessing.shared_memory block passed by hand: a
                ring of fixed slots, positions in the block, both sides
                polling (what one writes without a library)

Every side does the same Python work per message, kept small: the
producer takes message k from a table of 256, the consumer checks its
first byte (k mod 256). Each trial times the consumer from its first message to its
last; the transports take turns, trial by trial, so that load from
elsewhere drifts over all of them alike, and the median trial is
reported with the spread (min..max). Each ratio is taken against the
baseline measured in the same run at the same size. Prints a table, the
targets (64 B: Ring >= 10x Queue, >= 3x Pipe, judged on the plain calls, the
same ratio with bursts shown beside) and one SUMMARY line per
transport and size; --check exits 1 when a target is missed.
"""
import argparse
import multiprocessing
import os
import resource
import statistics
import sys
import time
from multiprocessing import shared_memory

import shmring

CTX = multiprocessing.get_context("fork")
TRANSPORTS = ["py-ring", "py-ring-burst", "py-queue", "py-pipe",
              "py-shm-block"]
TARGETS = [("py-ring", "py-queue", 10.0), ("py-ring", "py-pipe", 3.0)]
SLOTS = 1024
LIMIT = 60  # seconds: a trial that takes longer has hung


def pin(cpu):
    # Each side on a CPU of its own where there are two.
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) >= 2:
        os.sched_setaffinity(0, {cpus[cpu % len(cpus)]})


def payloads(size):
    """256 messages of size bytes, message k's first byte k: the producer
    sends payloads[k & 255] as message k, the consumer checks that byte
    of each (and the count), so that the harness's own work per message
    stays small beside what it measures, the same for every transport."""
    return [bytes([k]) + bytes(size - 1) for k in range(256)]


# --- each transport: a producer (child) and a consumer (parent) --------------

class Ring:
    def __init__(self, size):
        self.name = "/shmring-pybench-%d-%d" % (os.getpid(), time.monotonic_ns())
        self.ring = shmring.create(self.name, shmring.CONSUMER)

    def produce(self, n, size):
        msgs = payloads(size)
        with shmring.open(self.name, shmring.PRODUCER) as r:
            send = r.send
            for k in range(n):
                send(msgs[k & 255])

    def consume(self, n):
        recv = self.ring.recv
        check(recv(), 0)
        t0 = time.perf_counter()
        for k in range(1, n):
            if recv()[0] != k & 255:
                raise SystemExit("py-ring: message %d out of order" % k)
        return time.perf_counter() - t0, n - 1

    def close(self):
        self.ring.close()
        shmring.unlink(self.name)


class RingBurst(Ring):
    # The same ring through send_many() / recv_many(): up to 64 messages
    # a call into the library.
    def produce(self, n, size):
        msgs = payloads(size) * 2
        with shmring.open(self.name, shmring.PRODUCER) as r:
            send_many = r.send_many
            k = 0
            while k < n:
                j = k & 255
                k += send_many(msgs[j:j + min(64, n - k)])

    def consume(self, n):
        recv_many = self.ring.recv_many
        first = recv_many()
        for k, m in enumerate(first):
            check(m, k)
        k = len(first)
        t0 = time.perf_counter()
        while k < n:
            for m in recv_many():
                if m[0] != k & 255:
                    raise SystemExit("py-ring-burst: message %d out of "
                                     "order" % k)
                k += 1
        return time.perf_counter() - t0, n - len(first)


class Queue:
    def __init__(self, size):
        self.q = CTX.Queue()

    def produce(self, n, size):
        msgs = payloads(size)
        put = self.q.put
        for k in range(n):
            put(msgs[k & 255])

    def consume(self, n):
        get = self.q.get
        check(get(timeout=LIMIT), 0)
        t0 = time.perf_counter()
        for k in range(1, n):
            if get()[0] != k & 255:
                raise SystemExit("py-queue: message %d out of order" % k)
        return time.perf_counter() - t0, n - 1

    def close(self):
        self.q.close()
        self.q.join_thread()


class Pipe:
    def __init__(self, size):
        self.rx, self.tx = CTX.Pipe(duplex=False)

    def produce(self, n, size):
        self.rx.close()
        msgs = payloads(size)
        send = self.tx.send_bytes
        for k in range(n):
            send(msgs[k & 255])

    def consume(self, n):
        self.tx.close()
        recv = self.rx.recv_bytes
        if not self.rx.poll(LIMIT):
            raise SystemExit("py-pipe: nothing came")
        check(recv(), 0)
        t0 = time.perf_counter()
        for k in range(1, n):
            if recv()[0] != k & 255:
                raise SystemExit("py-pipe: message %d out of order" % k)
        return time.perf_counter() - t0, n - 1

    def close(self):
        self.rx.close()


class ShmBlock:
    # Slot k % SLOTS holds message k; the producer's count is word 0 and
    # the consumer's word 8 of the block, each written by one side only.
    # x86 keeps stores in order, so a count read means its slot is
    # written; polled, as one would without a library.
    def __init__(self, size):
        self.size = size
        self.shm = shared_memory.SharedMemory(create=True,
                                              size=64 + SLOTS * size)

    def produce(self, n, size):
        buf = self.shm.buf
        pos = buf[:16].cast("Q")
        msgs = payloads(size)
        parent = os.getppid()
        for k in range(n):
            spins = 0
            while k - pos[1] >= SLOTS:
                spins += 1
                if not spins & 0xfffff and os.getppid() != parent:
                    return  # the consumer is gone
            off = 64 + (k % SLOTS) * size
            buf[off:off + size] = msgs[k & 255]
            pos[0] = k + 1
        pos.release()
        del buf

    def consume(self, n):
        buf = self.shm.buf
        pos = buf[:16].cast("Q")
        size = self.size
        deadline = time.monotonic() + LIMIT
        while pos[0] == 0:
            if time.monotonic() > deadline:
                raise SystemExit("py-shm-block: nothing came")
        t0 = None
        for k in range(n):
            spins = 0
            while pos[0] <= k:
                spins += 1
                if not spins & 0xfffff and time.monotonic() > deadline:
                    raise SystemExit("py-shm-block: the producer stalled")
            off = 64 + (k % SLOTS) * size
            if bytes(buf[off:off + size])[0] != k & 255:
                raise SystemExit("py-shm-block: message %d out of order" % k)
            pos[1] = k + 1
            if t0 is None:
                t0 = time.perf_counter()
        elapsed = time.perf_counter() - t0
        pos.release()
        del buf
        return elapsed, n - 1

    def close(self):
        self.shm.close()
        self.shm.unlink()


KINDS = {"py-ring": Ring, "py-ring-burst": RingBurst, "py-queue": Queue, "py-pipe": Pipe,
         "py-shm-block": ShmBlock}


def check(msg, k):
    if msg[0] != k & 255:
        raise SystemExit("first message is %d, not %d" % (msg[0], k))


def child(t, n, size):
    pin(0)
    t.produce(n, size)


def children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def trial(kind, n, size):
    """(msgs/s, CPU seconds of both sides per million messages) through
    one fresh transport and producer."""
    t = KINDS[kind](size)
    p = CTX.Process(target=child, args=(t, n, size), daemon=True)
    try:
        before = children_cpu()
        p.start()
        pin(1)
        cpu = time.process_time()
        elapsed, timed = t.consume(n)
        cpu = time.process_time() - cpu
        p.join(LIMIT)
        if p.exitcode != 0:
            raise SystemExit("%s: producer exited %s" % (kind, p.exitcode))
        cpu += children_cpu() - before
    finally:
        if p.is_alive():
            p.kill()
            p.join()
        t.close()
    return timed / elapsed, cpu / n * 1e6


def measure(sizes, trials, seconds):
    """{(kind, size): [msgs/s of each trial]}: a pilot fixes each one's
    count so that a trial lasts about `seconds`, then the transports take
    turns."""
    results = {}
    for size in sizes:
        counts = {}
        for kind in TRANSPORTS:
            rate = trial(kind, 20000, size)[0]
            counts[kind] = max(20000, int(rate * seconds))
        for _ in range(trials):
            for kind in TRANSPORTS:
                results.setdefault((kind, size), []).append(
                    trial(kind, counts[kind], size))
    return results


def report(results, sizes):
    cpu = {k: statistics.median(c for _, c in v) for k, v in results.items()}
    results = {k: [r for r, _ in v] for k, v in results.items()}
    med = {k: statistics.median(v) for k, v in results.items()}
    print("\n== python: shmring.Ring against multiprocessing, Python on "
          "both sides, streaming ==")
    print("load average %.2f %.2f %.2f; python %s; %s" %
          (os.getloadavg() + (sys.version.split()[0],
                              shmring.library_path())))
    print("%-13s %6s %11s %24s %9s %8s %8s %9s" %
          ("transport", "size", "msgs/s", "spread (min..max)", "MB/s",
           "x pipe", "x queue", "CPU s/M"))
    for size in sizes:
        for kind in TRANSPORTS:
            v = results[(kind, size)]
            print("%-13s %6d %11.0f %11.0f..%-11.0f %9.1f %7.2fx %7.2fx"
                  " %9.3f" %
                  (kind, size, med[(kind, size)], min(v), max(v),
                   med[(kind, size)] * size / 1e6,
                   med[(kind, size)] / med[("py-pipe", size)],
                   med[(kind, size)] / med[("py-queue", size)],
                   cpu[(kind, size)]))
    missed = 0
    head = sizes[0]
    print("\n== python targets, %d-byte messages ==" % head)
    for kind, base, want in TARGETS:
        got = med[(kind, head)] / med[(base, head)]
        ok = got >= want
        missed += not ok
        print("target: %-43s %-6s %.2fx, want >= %.2fx (with bursts: "
              "%.2fx)" % ("python Ring msgs/s against " + base[3:],
                          "met" if ok else "MISSED", got, want,
                          med[("py-ring-burst", head)] / med[(base, head)]))
    for size in sizes:
        for kind in TRANSPORTS:
            m = med[(kind, size)]
            print("SUMMARY transport=%s size=%d msgs_per_s=%.0f "
                  "mb_per_s=%.1f x_pipe=%.2f x_queue=%.2f "
                  "cpu_s_per_M_msgs=%.3f status=ok" %
                  (kind, size, m, m * size / 1e6,
                   m / med[("py-pipe", size)], m / med[("py-queue", size)],
                   cpu[(kind, size)]))
    return missed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="exit 1 when a target is missed")
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=0.4,
                    help="length of one trial (default 0.4)")
    ap.add_argument("--sizes", default="64,4096",
                    help="message sizes in bytes, >= 8 (default 64,4096)")
    a = ap.parse_args()
    sizes = [int(s) for s in a.sizes.split(",")]
    if any(s < 8 for s in sizes) or a.trials < 1:
        ap.error("sizes must be >= 8 bytes and trials >= 1")
    missed = report(measure(sizes, a.trials, a.seconds), sizes)
    sys.exit(1 if a.check and missed else 0)


if __name__ == "__main__":
    main()
