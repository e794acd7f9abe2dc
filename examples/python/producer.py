#!/usr/bin/env python3
"""Send lines to a consumer: the producer half of a pair.

    producer.py NAME [COUNT]   sends COUNT numbered greetings (default 10)
                               to the ring NAME that consumer.py created,
                               then closes it: an end of stream.
"""
import sys

import shmring


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else "/shmring-py-example"
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    try:
        ring = shmring.open(name, shmring.PRODUCER)
    except FileNotFoundError:
        sys.exit("producer: no ring %s: start consumer.py first" % name)
    with ring:
        for k in range(count):
            try:
                ring.send(b"hello %d" % k, timeout=5.0)
            except BrokenPipeError:
                sys.exit("producer: the consumer has gone")


if __name__ == "__main__":
    main()
