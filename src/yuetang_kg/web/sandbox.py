"""What a query worker process does to itself before it loads anything: it cuts itself off from the network,
bounds its memory, gives way to the server on the CPU and arranges to die with the server.

The query check (``guard``) refuses SERVICE, LOAD and FROM, but a check can be wrong; a worker in a network
namespace of its own has only a loopback interface that is down, so even a query the check missed can open no
connection (defence in depth). Linux only: ``unshare(CLONE_NEWNET)`` as root, or with ``CLONE_NEWUSER`` as
another user where unprivileged user namespaces are allowed. Elsewhere ``isolate_network`` raises ``Unavailable``
and ``serve`` refuses to start unless told ``--no-sandbox``.

The memory bound is ``RLIMIT_AS``: an allocation past it fails, in Rust (Oxigraph aborts the process) as in
Python (``MemoryError``), so the worker stops instead of the machine swapping; the server reports the query as
too big and starts a fresh worker.
"""

import ctypes
import errno
import os
import resource
import signal
import sys

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG = 1


class Unavailable(OSError):
    """The platform cannot cut this process off from the network."""


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def isolate_network() -> str:
    """Move this process into a new, empty network namespace; say how. Must run before any thread starts."""
    if not sys.platform.startswith("linux"):
        raise Unavailable(errno.ENOSYS, f"network namespaces are a Linux feature, not available on {sys.platform}")
    libc = _libc()
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(CLONE_NEWNET) == 0:
        return "network namespace"
    first = ctypes.get_errno()
    if libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0:
        _map_ids(uid, gid)
        return "user and network namespace"
    raise Unavailable(first, f"unshare(CLONE_NEWNET) failed: {os.strerror(first)}; unprivileged user "
                             f"namespaces failed too: {os.strerror(ctypes.get_errno())}")


def _map_ids(uid: int, gid: int) -> None:
    # Keep our own ids inside the user namespace, so that files stay readable as before.
    with open("/proc/self/setgroups", "w", encoding="ascii") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w", encoding="ascii") as f:
        f.write(f"{uid} {uid} 1")
    with open("/proc/self/gid_map", "w", encoding="ascii") as f:
        f.write(f"{gid} {gid} 1")


def die_with_parent() -> None:
    """Ask the kernel to kill this process when its parent thread dies (a server killed with -9 included)."""
    if sys.platform.startswith("linux"):
        _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def yield_cpu() -> None:
    """Lower this process's CPU priority: on a small machine, queries must not starve the server's event loop,
    which answers every page and static file."""
    os.nice(10)


def limit_memory(max_bytes: int) -> None:
    """Bound this process's address space: allocations past ``max_bytes`` fail."""
    resource.setrlimit(resource.RLIMIT_AS, (max_bytes, max_bytes))
