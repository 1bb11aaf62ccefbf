"""Which network addresses reader may connect to when it fetches a site's page.

The check is made on every address a name resolves to, before connecting, and again on the
address the socket is connected to: a name that resolves to a private address (or a rebinding
trick between the look-up and the connection) never gets a request out of reader.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from ipaddress import IPv4Address, IPv6Address, ip_address

Address = IPv4Address | IPv6Address
Resolver = Callable[[str, int], list[str]]
"""``(host, port)`` → the addresses to try, in order (``socket.getaddrinfo`` by default)."""


def system_resolver(host: str, port: int) -> list[str]:
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[str] = []
    for *_, sockaddr in found:
        address = str(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def may_connect(address: Address, *, allow_private: bool) -> bool:
    """Public addresses always; loopback and private networks only with ``allow_private``.

    Link-local (where cloud metadata answers), multicast, unspecified, reserved and shared
    (carrier-grade NAT) addresses never: no CMS is published there.
    """
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if (
        address.is_link_local
        or address.is_multicast
        or address.is_unspecified
        or address.is_reserved
    ):
        return False
    if address.is_global:
        return True
    return allow_private and (address.is_loopback or address.is_private)


def parse_address(text: str) -> Address:
    return ip_address(text.split("%", 1)[0])
