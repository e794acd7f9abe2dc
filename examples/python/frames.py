#!/usr/bin/env python3
"""numpy frames through a ring, received without a copy into a new object.

    frames.py [FRAMES]

A child process renders FRAMES 480x640 RGB frames and sends each; the
parent receives every one with recv_into() straight into one preallocated
array, as a video pipeline would, and checks the frame number that each
carries in its first pixels.
"""
import multiprocessing
import os
import sys

import numpy as np

import shmring

SHAPE = (480, 640, 3)


def render(name, frames):
    with shmring.open(name, shmring.PRODUCER) as ring:
        frame = np.zeros(SHAPE, dtype=np.uint8)
        for k in range(frames):
            frame[0, 0] = (k & 0xff, (k >> 8) & 0xff, 0)
            frame[1:, :, 2] = k % 251      # something to look at
            ring.send(frame)               # one copy: into the ring


def main():
    frames = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    name = "/shmring-py-frames-%d" % os.getpid()
    nbytes = int(np.prod(SHAPE))
    with shmring.create(name, shmring.CONSUMER, capacity=1 << 23,
                        max_msg=nbytes) as ring:
        child = multiprocessing.Process(target=render, args=(name, frames))
        child.start()
        try:
            frame = np.empty(SHAPE, dtype=np.uint8)
            got = 0
            while True:
                try:
                    n = ring.recv_into(frame, timeout=10.0)
                except EOFError:
                    break
                k = int(frame[0, 0, 0]) | int(frame[0, 0, 1]) << 8
                if n != nbytes or k != got & 0xffff:
                    sys.exit("frame %d arrived as %d (%d bytes)" % (got, k, n))
                got += 1
        finally:
            child.join(10)
            shmring.unlink(name)
    print("received %d frames of %s" % (got, "x".join(map(str, SHAPE))))
    sys.exit(0 if got == frames and child.exitcode == 0 else 1)


if __name__ == "__main__":
    main()
