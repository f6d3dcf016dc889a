"""A network partition as the user names it, made whole.

``partition n1,n2 | n3`` names some groups; every node left out forms one more group
together, so a partition always covers the cluster. The simulator's network and the
attached app's link blocking both start from the same normalised groups, checked the
same way: every name a node of the cluster, none in two groups.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


class PartitionError(ValueError):
    """The groups cannot be a partition of these nodes (the message says why)."""


def unknown_node(node: str, nodes: Iterable[str]) -> str:
    """The message for a name that is not one of ``nodes``."""
    return f"unknown node {node!r}; the nodes are {', '.join(nodes)}"


def normalise_groups(groups: Sequence[Iterable[str]], nodes: Sequence[str]) -> list[list[str]]:
    """``groups`` with the nodes they leave out added as one last group, in ``nodes``'
    order. Raises :class:`PartitionError` for an unknown node or one in two groups."""
    known = set(nodes)
    listed = [list(group) for group in groups]
    seen: set[str] = set()
    for group in listed:
        for node in group:
            if node not in known:
                raise PartitionError(unknown_node(node, nodes))
            if node in seen:
                raise PartitionError(f"{node} is in two groups")
            seen.add(node)
    rest = [node for node in nodes if node not in seen]
    if rest:
        listed.append(rest)
    return listed


def describe_groups(groups: Iterable[Iterable[str]]) -> str:
    """``n1,n2 | n3``: the groups as the command language writes them."""
    return " | ".join(",".join(group) for group in groups)
