"""Installs the shmring package: `pip install ./python` (offline: it needs
only setuptools) or `python3 setup.py install`. The package loads
libshmring.so.0 at import, which `make install` of the C library provides.
"""
from setuptools import setup

setup(
    name="shmring",
    version="0.1.0",
    description="Message rings in shared memory between processes "
                "(ctypes binding of libshmring)",
    license="MIT",
    packages=["shmring"],
    python_requires=">=3.8",
)
