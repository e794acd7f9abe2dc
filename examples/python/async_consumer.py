#!/usr/bin/env python3
"""Receive messages in an asyncio program: consumer.py for an event loop.

    async_consumer.py NAME [IDLE]   creates the ring NAME, then prints every
                                    message producer.py sends, until the end
                                    of stream, or until no message came for
                                    IDLE seconds (default 30).

The loop is never blocked: Ring.recv_async() takes a message when there is
one and otherwise waits for the ring's descriptor (Ring.fileno()) to poll
readable, so the loop's other tasks run meanwhile. asyncio.wait_for()
cancels a wait that lasts too long; the ring is left as it was.
"""
import asyncio
import sys

import shmring


async def receive(ring, idle):
    count = 0
    while True:
        try:
            msg = await asyncio.wait_for(ring.recv_async(), idle)
        except EOFError:
            return "end of stream after %d messages" % count
        except asyncio.TimeoutError:
            return "nothing for %g s after %d messages" % (idle, count)
        count += 1
        print(msg.decode(errors="replace"))


async def main(name, idle):
    ring = shmring.create(name, shmring.CONSUMER)
    try:
        with ring:
            print("listening on", name, flush=True)
            print(await receive(ring, idle), flush=True)
    finally:
        shmring.unlink(name)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else
                     "/shmring-py-example",
                     float(sys.argv[2]) if len(sys.argv) > 2 else 30.0))
