"""Worker processes that never outlive the indexing run that forked them."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1
_registered = False


def _die_with_parent() -> None:
    """In a forked child: exit as soon as the parent dies (a killed run must not leave workers behind,
    since they would keep its index lock and wait forever for work)."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
            if os.getppid() != parent:  # the parent died before prctl took effect
                os._exit(1)
            return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="kb-parent-watch", daemon=True).start()


def bind_children_to_this_process() -> None:
    """Make every process forked from now on exit when its parent does (idempotent)."""
    global _registered
    if not _registered:
        os.register_at_fork(after_in_child=_die_with_parent)
        _registered = True
