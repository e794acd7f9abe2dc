"""examples/python end to end: producer.py to consumer.py and to its
asyncio twin async_consumer.py, and numpy frames through recv_into
(frames.py)."""
import os
import subprocess
import sys

import pytest

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        os.pardir, os.pardir, "examples", "python")
LIMIT = 60


def example(script):
    return [sys.executable, os.path.join(EXAMPLES, script)]


@pytest.mark.parametrize("script", ["consumer.py", "async_consumer.py"])
def test_producer_to_consumer(script):
    name = "/shmring-pytest-example-%d" % os.getpid()
    consumer = subprocess.Popen(example(script) + [name],
                                stdout=subprocess.PIPE, text=True)
    try:
        # The consumer says so once its ring exists.
        assert consumer.stdout.readline() == "listening on %s\n" % name
        producer = subprocess.run(example("producer.py") + [name, "25"],
                                  timeout=LIMIT)
        assert producer.returncode == 0
        out, _ = consumer.communicate(timeout=LIMIT)
    finally:
        if consumer.poll() is None:
            consumer.kill()
            consumer.wait(LIMIT)
    assert consumer.returncode == 0
    lines = out.splitlines()
    assert lines[:-1] == ["hello %d" % k for k in range(25)]
    assert lines[-1] == "end of stream after 25 messages"
    assert not os.path.exists("/dev/shm" + name)


def test_numpy_frames():
    pytest.importorskip("numpy")
    done = subprocess.run(example("frames.py") + ["40"], timeout=LIMIT,
                          stdout=subprocess.PIPE, text=True)
    assert done.returncode == 0
    assert done.stdout == "received 40 frames of 480x640x3\n"
