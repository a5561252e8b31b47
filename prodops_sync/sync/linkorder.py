"""The order a push creates pages in, so that links find their targets (pure).

A link in a page body needs the target page's id, which exists only once that page is
created. A page created after every page it links to goes out complete in one request; a
page created before some of its targets is created with the part of its body before the
first such link, and the rest is appended once the targets exist (one more request, see
``NotionRemote.create``). So the order decides how many pages cost a second request: the
fewest when link targets come first.

Reference fields (``x-ref``) are relations on Notion and need the target's page too (a
missing one waits in a column and costs a property write once the target exists), but they
are not ordered for: on generated playbooks that made more second writes in all.

Links between playbook documents often form cycles (A links to B, B links back), and then
no order avoids second requests: at least one page of every cycle is created before one of
its targets. Choosing the fewest such pages is the minimum feedback vertex set problem
(NP-hard); :func:`creation_order` uses a greedy rule. On bench/scale.py's playbooks, where
every body links to eleven documents anywhere in the playbook, about 60 % of the pages still
need the second request (in file order: 97 %).
Correctness never depends on the order, only the number of requests.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Mapping, Sequence

from prodops_sync.links import split_href

# An inline Markdown link or image target: ``](href`` or ``](<href>``. Reference-style
# definitions are not followed: a link missed here only costs a request, never a link.
_INLINE_TARGET = re.compile(r"\]\(\s*<?([^)\s>]+)")


def link_targets(key: str, body: str) -> set[str]:
    """The keys of the playbook documents the Markdown ``body`` of document ``key`` links
    to (itself excluded)."""
    found: set[str] = set()
    for match in _INLINE_TARGET.finditer(body):
        target = split_href(key, match.group(1))
        if target is not None and target[0] != key:
            found.add(target[0])
    return found


def creation_order(keys: Sequence[str], targets: Mapping[str, set[str]]) -> list[str]:
    """``keys`` in an order that creates each page after the pages it links to wherever
    the links allow (targets outside ``keys`` already exist or never will: ignored).

    The pages that must come before one of their targets go first; the others follow in
    an order where every target comes before the pages linking to it (ties keep the given
    order). Those first pages are chosen by :func:`_greedy_order`, then as many of them as
    fit are moved into the ordered part (:func:`_fit_into_order`)."""
    index = {key: n for n, key in enumerate(keys)}
    waits = {k: {t for t in targets.get(k, set()) if t in index and t != k} for k in keys}
    greedy = _greedy_order(keys, waits)
    created: set[str] = set()
    early: list[str] = []
    for key in greedy:
        if waits[key] - created:
            early.append(key)
        created.add(key)
    early = _fit_into_order(early, waits)
    first = set(early)
    return early + _targets_first([k for k in keys if k not in first], waits, index)


def _targets_first(
    keys: Sequence[str], waits: Mapping[str, set[str]], index: Mapping[str, int]
) -> list[str]:
    """``keys`` (whose links among themselves have no cycle) with every target before the
    pages that link to it; ties in ``index`` order."""
    members = set(keys)
    pending = {k: len(waits[k] & members) for k in keys}
    waited_by: dict[str, list[str]] = {k: [] for k in keys}
    for key in keys:
        for target in waits[key] & members:
            waited_by[target].append(key)
    ready = [(index[k], k) for k in keys if not pending[k]]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, key = heapq.heappop(ready)
        order.append(key)
        for source in waited_by[key]:
            pending[source] -= 1
            if not pending[source]:
                heapq.heappush(ready, (index[source], source))
    if len(order) < len(keys):  # a cycle after all (a bug): never leave a page out
        placed = set(order)
        order.extend(k for k in keys if k not in placed)
    return order


# How many link steps :func:`_fit_into_order` may follow in all: it only saves requests, so
# it stops early on a huge playbook rather than spend minutes (5,000 documents with eleven
# links each need about a tenth of this).
_FIT_BUDGET = 30_000_000


def _fit_into_order(early: list[str], waits: Mapping[str, set[str]]) -> list[str]:
    """The pages of ``early`` that must stay early: each other one is moved into the
    ordered part, in turn, if its links and the ordered part's still form no cycle (no
    target of it leads back to it through ordered pages). One pass leaves no page early
    that could be moved."""
    early_set = set(early)
    ordered = {k for k in waits if k not in early_set}
    budget = _FIT_BUDGET
    kept: list[str] = []
    for n, key in enumerate(early):
        reached, steps = _leads_back(key, waits, ordered, budget)
        budget -= steps
        if budget <= 0:  # out of budget: this page and the rest stay early
            return kept + early[n:]
        if reached:
            kept.append(key)
        else:
            ordered.add(key)
    return kept


def _leads_back(
    key: str, waits: Mapping[str, set[str]], ordered: set[str], budget: int
) -> tuple[bool, int]:
    """Whether a target of ``key`` leads back to ``key`` through pages of ``ordered``,
    and how many link steps the search took (it stops at ``budget``)."""
    seen: set[str] = set()
    stack = [t for t in waits[key] if t in ordered]
    steps = 0
    while stack and steps < budget:
        page = stack.pop()
        if page in seen:
            continue
        seen.add(page)
        for target in waits[page]:
            steps += 1
            if target == key:
                return True, steps
            if target in ordered and target not in seen:
                stack.append(target)
    return bool(stack), steps


def _greedy_order(keys: Sequence[str], waits_in: Mapping[str, set[str]]) -> list[str]:
    """A first order: a page whose targets all exist goes next (in the given order among
    such pages); when none is left, every remaining page sits on a cycle, and the page
    that most of them link to and that links to most of them (the largest product of the
    two counts) goes next, breaking the most cycles for one second request."""
    index = {key: n for n, key in enumerate(keys)}
    remaining = set(keys)
    waits_on = {k: set(waits_in[k]) for k in keys}
    waited_by: dict[str, set[str]] = {k: set() for k in keys}
    for key, wanted in waits_on.items():
        for target in wanted:
            waited_by[target].add(key)
    ready = [(index[k], k) for k in keys if not waits_on[k]]
    heapq.heapify(ready)
    cyclic: list[tuple[int, int, str]] = []  # (-score, index, key), stale entries skipped

    def score(key: str) -> int:
        return (len(waited_by[key]) + 1) * (len(waits_on[key]) + 1)

    def push_cyclic(key: str) -> None:
        heapq.heappush(cyclic, (-score(key), index[key], key))

    for key in keys:
        if waits_on[key]:
            push_cyclic(key)
    order: list[str] = []
    while remaining:
        key = ""
        while ready and not key:
            _, candidate = heapq.heappop(ready)
            key = candidate if candidate in remaining else ""
        while not key and cyclic:
            negative, _, candidate = heapq.heappop(cyclic)
            if candidate in remaining and -negative == score(candidate):
                key = candidate
        if not key:  # unreachable: some remaining page is either ready or queued
            key = min(remaining, key=index.__getitem__)
        order.append(key)
        remaining.discard(key)
        _created(key, waits_on, waited_by, ready, index, push_cyclic)
    return order


def _created(
    key: str,
    waits_on: dict[str, set[str]],
    waited_by: dict[str, set[str]],
    ready: list[tuple[int, str]],
    index: Mapping[str, int],
    push_cyclic: Callable[[str], None],
) -> None:
    """Take ``key`` out of the graph: the pages waiting on it wait on one page less (and
    may become ready); the pages it waits on are waited on by one page less."""
    for source in waited_by.pop(key, set()):
        wanted = waits_on.get(source)
        if wanted is None:
            continue
        wanted.discard(key)
        if not wanted:
            heapq.heappush(ready, (index[source], source))
        else:
            push_cyclic(source)
    for target in waits_on.pop(key, set()):
        sources = waited_by.get(target)
        if sources is not None:
            sources.discard(key)
            push_cyclic(target)
