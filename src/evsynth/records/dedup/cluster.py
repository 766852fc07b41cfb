"""Duplicate groups: connected components over accepted links, with cannot-link guards.

Chaining is the classic way a deduplicator merges two different papers (A looks like B, B looks
like C, so A and C end up together). A merge is therefore refused when it would put into one
group two records that the scoring judged to be different reports (a ``cannot`` pair: different
DOIs, a conference abstract and its article, part 1 and part 2).
"""

from __future__ import annotations

from collections.abc import Iterable


class DisjointSet:
    """Union-find over record indices, with the members of each root kept for the guard."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.members: dict[int, list[int]] = {}

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def group(self, i: int) -> list[int]:
        root = self.find(i)
        return self.members.get(root, [root])

    def union(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        if ri == rj:
            return
        gi, gj = self.group(ri), self.group(rj)
        if len(gi) < len(gj):
            ri, rj, gi, gj = rj, ri, gj, gi
        self.parent[rj] = ri
        self.members[ri] = gi + gj
        self.members.pop(rj, None)


def components(
    n: int,
    links: Iterable[tuple[int, int]],
    cannot: set[tuple[int, int]] | None = None,
    *,
    notice_links: Iterable[tuple[int, int]] = (),
    notices: frozenset[int] = frozenset(),
) -> tuple[list[list[int]], list[tuple[int, int]]]:
    """Groups of two or more indices joined by ``links`` (in the order given, best first).

    ``notice_links`` (an erratum or a reply with its article) are joined after all ``links``;
    for them a ``cannot`` pair with one of the ``notices`` in it does not count (a notice has
    other pages than its article by nature, and two errata of one article have other pages than
    each other), while any two other records in conflict still keep the groups apart.

    Returns the groups (each sorted, groups sorted by first member) and the links that were
    refused because they would join a ``cannot`` pair.
    """
    cannot = cannot or set()
    ds = DisjointSet(n)
    refused: list[tuple[int, int]] = []

    def blocked(gi: list[int], gj: list[int], exempt: frozenset[int]) -> bool:
        return any(
            (min(a, b), max(a, b)) in cannot
            for a in gi
            if a not in exempt
            for b in gj
            if b not in exempt
        )

    for batch, exempt in ((links, frozenset[int]()), (notice_links, notices)):
        for i, j in batch:
            if ds.find(i) == ds.find(j):
                continue
            if cannot and blocked(ds.group(i), ds.group(j), exempt):
                refused.append((i, j))
                continue
            ds.union(i, j)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(ds.find(i), []).append(i)
    out = sorted((sorted(g) for g in groups.values() if len(g) > 1), key=lambda g: g[0])
    return out, refused
