"""Keep freed tensor memory in this process's heap instead of handing it back every step.

A training step allocates and frees a dozen activation-sized buffers (11 MB each for a digits
sweep row of 30 members). glibc serves blocks above its mmap threshold with fresh mmaps and
returns a freed heap top at once, so each epoch paid page faults and page zeroing for all of
them again: ~25% of a digits epoch. Raising the mmap threshold to glibc's 64-bit maximum and
the trim threshold to 256 MB keeps those buffers in the heap; peak RSS stayed the same
(benchmarks/allocator.py, benchmarks/README.md).

Left alone: anything but glibc (macOS, musl), a user's own MALLOC_MMAP_THRESHOLD_ or
MALLOC_TRIM_THRESHOLD_, and NORMTUI_MALLOC=system (glibc's defaults, e.g. to compare).
"""

from __future__ import annotations

import ctypes
import functools
import os
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters
MMAP_THRESHOLD = 32 << 20  # the largest glibc accepts on 64-bit
TRIM_THRESHOLD = 256 << 20
OPT_OUT = "NORMTUI_MALLOC"  # "system": leave the allocator as glibc set it
USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")


@functools.cache
def keep_freed_memory() -> bool:
    """Raise glibc's thresholds once per process; whether they were raised."""
    if not sys.platform.startswith("linux") or os.environ.get(OPT_OUT) == "system":
        return False
    if any(name in os.environ for name in USER_SETTINGS):
        return False
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 - glibc only: musl's mallopt does nothing
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
