"""How much of the public internet a set of CIDR blocks lets in.

"Open to the world" is not only ``0.0.0.0/0``: ``0.0.0.0/1`` + ``128.0.0.0/1`` is the same set,
``::/0`` and ``2000::/3`` are the IPv6 internet, and any block covering a large share of public
address space is open in practice. Public space is every address outside the IANA special-purpose
registries (RFC 6890 and its updates: private, shared, loopback, link-local, documentation,
benchmarking, multicast, reserved): the blocks below are subtracted, what is left is counted.

A set is *internet-wide* when the public addresses it covers are more than one block of
``/max_public_prefix`` (default ``/16`` for IPv4, ``/32`` for IPv6, the size of one organisation's
allocation): an office ``/32`` or a VPN ``/24`` passes; a ``/8`` of someone else's space does not.
Results are cached per CIDR, so a check run parses each distinct block once.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable
from typing import Any

IPv4Net = ipaddress.IPv4Network
IPv6Net = ipaddress.IPv6Network

NOT_PUBLIC_V4 = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
    )
)
PUBLIC_V6 = ipaddress.ip_network("2000::/3")
"""IPv6 global unicast (RFC 4291 2.4): everything outside it is not routed on the internet."""
NOT_PUBLIC_V6 = tuple(ipaddress.ip_network(n) for n in ("2001:db8::/32", "2001::/23", "2002::/16"))

DEFAULT_MAX_PREFIX = {4: 16, 6: 32}


@functools.lru_cache(maxsize=4096)
def parse(cidr: str) -> IPv4Net | IPv6Net | None:
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return None


def _subtract(networks: list[Any], holes: Iterable[Any]) -> list[Any]:
    remaining = list(networks)
    for hole in holes:
        next_round = []
        for net in remaining:
            if net.version != hole.version or not net.overlaps(hole):
                next_round.append(net)
            elif net.subnet_of(hole):
                continue
            else:
                next_round.extend(net.address_exclude(hole))
        remaining = next_round
    return remaining


@functools.lru_cache(maxsize=4096)
def public_addresses(cidr: str) -> int:
    """How many public addresses one CIDR block covers (0 for a private block or a malformed one)."""
    net = parse(cidr)
    if net is None:
        return 0
    if net.version == 4:
        return sum(n.num_addresses for n in _subtract([net], NOT_PUBLIC_V4))
    if not net.overlaps(PUBLIC_V6):
        return 0
    inside = PUBLIC_V6 if PUBLIC_V6.subnet_of(net) else net  # type: ignore[arg-type]
    return sum(n.num_addresses for n in _subtract([inside], NOT_PUBLIC_V6))


def internet_wide(cidrs: Iterable[Any], max_prefix: dict[int, int] | None = None) -> list[str]:
    """The blocks of ``cidrs`` (strings) that together open more public space than one organisation's
    allocation, per IP version; empty when they do not (or none is a known string)."""
    limits = {**DEFAULT_MAX_PREFIX, **(max_prefix or {})}
    by_version: dict[int, list[tuple[str, Any]]] = {4: [], 6: []}
    for cidr in cidrs:
        if not isinstance(cidr, str):
            continue
        net = parse(cidr)
        if net is not None and public_addresses(cidr):
            by_version[net.version].append((cidr, net))
    wide: list[str] = []
    for version, found in by_version.items():
        if not found:
            continue
        collapsed = ipaddress.collapse_addresses([n for _, n in found])
        total = sum(public_addresses(str(n)) for n in collapsed)
        bits = 32 if version == 4 else 128
        if total > 2 ** (bits - limits[version]):
            wide.extend(c for c, _ in found)
    return wide
