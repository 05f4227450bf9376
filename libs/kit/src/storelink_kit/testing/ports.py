"""Ports for processes a test starts, chosen so that nothing else takes them before they listen.

A port from the kernel's ephemeral range (`bind(0)`) can be handed to any outgoing connection between
the check and the process's own `bind`; ports below that range are only ever taken by listeners.
So a stack's ports are picked below the ephemeral range, at random, and checked free.
"""

from __future__ import annotations

import random
import socket
from collections.abc import Iterable
from pathlib import Path

_EPHEMERAL = Path("/proc/sys/net/ipv4/ip_local_port_range")
_LOWEST = 10_000  # above the well-known and registered ports a developer's own servers tend to use


def ephemeral_start() -> int:
    """The first port of the kernel's ephemeral range (Linux default 32768)."""
    try:
        return int(_EPHEMERAL.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_offset(base_ports: Iterable[int], *, tries: int = 500) -> int:
    """An offset that puts every one of `base_ports` on a free port below the ephemeral range."""
    ports = sorted(set(base_ports))
    lowest = max(0, _LOWEST - ports[0])
    highest = ephemeral_start() - 1 - ports[-1]
    if highest <= lowest:
        raise RuntimeError(f"ports {ports[0]}..{ports[-1]} do not fit below the ephemeral range")
    pick = random.SystemRandom()
    for _ in range(tries):
        offset = pick.randrange(lowest, highest)
        if all(port_is_free(p + offset) for p in ports):
            return offset
    raise RuntimeError(f"no offset within {tries} tries puts ports {ports} on free ports")


def free_listen_port() -> int:
    """One free port below the ephemeral range (e.g. for a broker a test starts)."""
    return free_port_offset([_LOWEST]) + _LOWEST
