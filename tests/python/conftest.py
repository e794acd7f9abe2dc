"""Shared fixtures of the Python binding's tests, and the one-line
summary ("N passed, N failed") that tests/run-test.sh shows."""
import itertools
import os

import pytest

import shmring

_seq = itertools.count()


@pytest.fixture
def ring_name():
    """A fresh ring name, unlinked after the test whatever happened."""
    names = []

    def make():
        name = "/shmring-pytest-%d-%d" % (os.getpid(), next(_seq))
        names.append(name)
        return name

    yield make
    for name in names:
        try:
            shmring.unlink(name)
        except FileNotFoundError:
            pass


def pytest_configure(config):
    # The library under test must be the build tree's, not an installed one.
    lib = os.environ.get("SHMRING_LIBRARY")
    assert lib is None or shmring.library_path() == lib


def pytest_terminal_summary(terminalreporter):
    st = terminalreporter.stats
    failed = len(st.get("failed", [])) + len(st.get("error", []))
    terminalreporter.write_line("%d passed, %d failed" %
                                (len(st.get("passed", [])), failed))
