"""Fault injection: make chosen requests fail the way real networks and servers do.

Kinds: ``"409"``, ``"429"``, ``"500"``, ``"502"``, ``"503"`` (answered with that status before
the request is processed; Notion's 409 is ``conflict_error``, a write that collided),
``"drop"`` (the connection is closed without an answer, nothing processed),
``"drop_after"`` (the request IS processed, then the connection is closed: the client never
learns that its write succeeded), and ``"timeout"`` (the answer is held back for
``timeout_delay`` seconds before the connection is closed, nothing processed).

Broken answers, as proxies, gateways and buggy servers give them: ``"html"`` (a 200 with an
HTML sign-in page, nothing processed), ``"redirect"`` (a 302 to a cloud metadata address,
nothing processed), ``"echo_auth"`` (a 400 whose message quotes the request's
``Authorization`` header, nothing processed), ``"error200"`` (the vendor's error object with
status 200, nothing processed), ``"truncated"`` (the request IS processed, the JSON answer is
cut off half-way), ``"endless"`` (processed; a list answer says there is more, with the same
cursor every time) and ``"trickle"`` (a 200 whose body arrives one byte every
``trickle_delay`` seconds, nothing processed).
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

FAULT_KINDS = (
    "409", "429", "500", "502", "503", "drop", "drop_after", "timeout",
    "html", "redirect", "echo_auth", "error200", "truncated", "endless", "trickle",
)
UNPROCESSED_ANSWERS = ("html", "redirect", "echo_auth", "error200", "trickle")
"""Faults answered instead of processing the request."""


@dataclass
class _Rule:
    kind: str
    match: str | None
    nth: int | None = None  # fail the nth matching request from now (1 = the next one)
    times: int = 0  # for "next" rules: how many matching requests still fail
    fraction: float = 0.0
    rng: random.Random | None = None
    seen: int = 0


@dataclass
class FaultPlan:
    """Rules deciding which incoming requests fail and how.

    ``match`` (optional on every rule) is a substring tested against ``"METHOD /path"`` so a
    rule can target one endpoint, e.g. ``match="PATCH /v1/blocks"``.
    """

    timeout_delay: float = 2.0
    trickle_delay: float = 1.0
    injected: list[tuple[int, str, str]] = field(default_factory=list)
    _rules: list[_Rule] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_nth(self, n: int, kind: str, *, match: str | None = None) -> None:
        """Make the ``n``-th matching request from now fail (``n=1``: the next one)."""
        self._check(kind)
        if n < 1:
            raise ValueError("n counts from 1")
        with self._lock:
            self._rules.append(_Rule(kind=kind, match=match, nth=n))

    def fail_next(self, kind: str, *, times: int = 1, match: str | None = None) -> None:
        """Make the next ``times`` matching requests fail."""
        self._check(kind)
        with self._lock:
            self._rules.append(_Rule(kind=kind, match=match, times=times))

    def fail_fraction(
        self,
        fraction: float,
        kinds: tuple[str, ...] = ("500",),
        *,
        seed: int = 0,
        match: str | None = None,
    ) -> None:
        """Make a seeded random ``fraction`` of matching requests fail with one of ``kinds``."""
        if not 0.0 <= fraction <= 1.0:
            raise ValueError("fraction must be within [0, 1]")
        for kind in kinds:
            self._check(kind)
        rng = random.Random(seed)
        with self._lock:
            for kind in kinds:
                self._rules.append(
                    _Rule(kind=kind, match=match, fraction=fraction / len(kinds), rng=rng)
                )

    def clear(self) -> None:
        """Remove every rule (the record of injected faults is kept)."""
        with self._lock:
            self._rules.clear()

    def decide(self, index: int, method: str, path: str) -> str | None:
        """Return the fault kind for this request, or None. Called once per request."""
        target = f"{method} {path}"
        with self._lock:
            chosen: str | None = None
            for rule in list(self._rules):
                if rule.match is not None and rule.match not in target:
                    continue
                if rule.nth is not None:
                    rule.seen += 1
                    if rule.seen == rule.nth:
                        self._rules.remove(rule)
                        chosen = chosen or rule.kind
                elif rule.times > 0:
                    if chosen is None:
                        rule.times -= 1
                        if rule.times == 0:
                            self._rules.remove(rule)
                        chosen = rule.kind
                elif rule.rng is not None and chosen is None and rule.rng.random() < rule.fraction:
                    chosen = rule.kind
            if chosen is not None:
                self.injected.append((index, chosen, target))
            return chosen

    @staticmethod
    def _check(kind: str) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
