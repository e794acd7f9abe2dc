#!/usr/bin/env python3
"""Receive messages until end of stream: the consumer half of a pair.

    consumer.py NAME      creates the ring NAME, then prints every message
                          the producer sends; ends when the producer closes.
Start it first, then producer.py NAME in another terminal.
"""
import sys

import shmring


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else "/shmring-py-example"
    ring = shmring.create(name, shmring.CONSUMER)
    try:
        print("listening on", name, flush=True)
        count = 0
        with ring:
            for msg in ring:      # stops at end of stream (EOFError)
                count += 1
                print(msg.decode(errors="replace"))
        print("end of stream after", count, "messages", flush=True)
    finally:
        shmring.unlink(name)


if __name__ == "__main__":
    main()
