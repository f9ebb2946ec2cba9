"""A security group's ingress rules judged: which ports face which addresses.

The rule this course teaches: the API port is the only one that may face the world (the
lesson opens it to one address); SSH, if at all, from a single IPv4 address (a /32); nothing
else: no other port, no port range, no "all traffic".
"""

from __future__ import annotations

from typing import Any

SSH = 22
PROTOCOLS = {"-1": "all traffic", "6": "tcp", "17": "udp", "1": "icmp"}


def sources(permission: dict[str, Any]) -> list[str]:
    """Where a rule admits traffic from: CIDRs, prefix lists and other groups."""
    return [
        *(r["CidrIp"] for r in permission.get("IpRanges", [])),
        *(r["CidrIpv6"] for r in permission.get("Ipv6Ranges", [])),
        *(p["PrefixListId"] for p in permission.get("PrefixListIds", [])),
        *(g["GroupId"] for g in permission.get("UserIdGroupPairs", [])),
    ]


def describe(permission: dict[str, Any]) -> str:
    """ "tcp 22 from 0.0.0.0/0", "all traffic from 10.0.0.0/8"."""
    proto = str(permission.get("IpProtocol", "-1"))
    proto = PROTOCOLS.get(proto, proto)
    low, high = permission.get("FromPort"), permission.get("ToPort")
    ports = (
        ""
        if proto == "all traffic" or low is None
        else f" {low}" + (f"-{high}" if high != low else "")
    )
    return f"{proto}{ports} from {', '.join(sources(permission)) or 'nowhere'}"


def _tcp_port(permission: dict[str, Any]) -> int | None:
    """The one TCP port a rule opens, or None when it opens more (or another protocol)."""
    if str(permission.get("IpProtocol")) not in ("tcp", "6"):
        return None
    low, high = permission.get("FromPort"), permission.get("ToPort")
    return int(low) if low is not None and low == high else None


def ingress_problems(permissions: list[dict[str, Any]], api_port: int) -> list[str]:
    """Each rule that opens more than the API port and SSH from one /32; and a closed API."""
    problems = []
    ssh_from: list[str] = []
    api_open = False
    for permission in permissions:
        port = _tcp_port(permission)
        if port == api_port:
            api_open = True
        elif port == SSH:
            wide = [s for s in sources(permission) if not (s.endswith("/32") and ":" not in s)]
            ssh_from += sources(permission)
            if wide:
                problems.append(f"{describe(permission)}: SSH open to {', '.join(wide)}")
        else:
            problems.append(f"{describe(permission)}: only port {api_port} may be open")
    if len(ssh_from) > 1:
        problems.append(
            f"SSH from {len(ssh_from)} sources ({', '.join(ssh_from)}): one /32 at most"
        )
    if not api_open:
        problems.append(f"port {api_port} is not open, so the API cannot be called")
    return problems
