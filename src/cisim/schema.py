"""Field rules of the config schema, and the fields every design option shares.

A schema field declares what it allows beyond its type once, with `checked(default, **rule)`:
bounds, choices (a tuple, or a registry read when checking), a pattern, non-emptiness,
distinct entries (`Rule`). `cisim.config` composes and validates with them; the design modules
(`cisim.construction`) declare their options' schemas with them, so this module imports nothing
from the package (a job building a network does not load the config machinery).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable


class ConfigError(ValueError):
    """A configuration value outside what is allowed (one line: key, value, what is allowed)."""


def _require(ok: bool, key: str, value, allowed: str):
    if not ok:
        raise ConfigError(f"{key}={value!r} is not allowed: {allowed}")


# ---------------------------------------------------------------- rules declared on the fields
INT64_MAX = 2**63 - 1  # seeds, sizes and counts are stored as int64 (netCDF coordinates, numpy)


def _either(choices) -> str:
    """'a, b or c'."""
    words = [str(c) for c in choices]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _number(v) -> str:
    return "2**63 - 1" if v == INT64_MAX else f"{v:g}" if isinstance(v, float) else str(v)


def _registry(module: str, name: str) -> Callable[[], Any]:
    """The choices held by `cisim.<module>.<name>`, read when checking (registries import the
    numerical code, which the schema does not need to load)."""
    return lambda: getattr(importlib.import_module(f".{module}", __package__), name)


@dataclass(frozen=True)
class Rule:
    """What a field allows beyond its type. Bounds, choices and `pattern` apply to a scalar or to
    every entry of a list (of nested lists too); `nonempty` and `distinct` to the value itself,
    `length` to every entry (itself a list); `group` marks a list of conf/<group>/ options,
    checked against their own schema; `noun` names the entries in messages."""

    ge: float | None = None  # value >= ge
    gt: float | None = None  # value > gt
    le: float | None = None  # value <= le
    lt: float | None = None  # value < lt
    choices: tuple | Callable[[], Any] | None = None  # allowed values, or a registry read when checking (`_registry`)
    pattern: str | None = None  # a string matching this regular expression
    nonempty: bool = False  # a list or mapping with at least one entry
    distinct: bool = False  # no entry twice
    length: int | None = None  # every entry is a list of this many values
    group: str | None = None  # entries are conf/<group>/ options (checked against their own schema)
    noun: str | None = None  # the entries, in messages (default: from the field's type)

    def options(self) -> list:
        return list(self.choices() if callable(self.choices) else self.choices)

    def allowed(self, kind: str, many: bool) -> str:
        """What is allowed, in words; `kind` is the entries' type: integer, number, string, mapping."""
        if self.choices is not None:
            scalar = _either(self.options())
        else:
            noun = self.noun or (f"{kind}s" if many else f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}")
            if self.pattern is not None:
                noun += f" matching {self.pattern}"
            bounds = [f"{op} {_number(v)}" for op, v in ((">=", self.ge), (">", self.gt), ("<=", self.le), ("<", self.lt)) if v is not None]
            scalar = f"{noun} {' and '.join(bounds)}" if bounds else noun
        if many:
            each = "entries each " if self.choices is not None else ""
            return f"a {'non-empty ' if self.nonempty else ''}list of {'distinct ' if self.distinct else ''}{each}{scalar}"
        return "a non-empty " + scalar.split(" ", 1)[1] if self.nonempty else scalar

    def check(self, key: str, value, kind: str) -> None:
        """ConfigError naming `key`, the offending value (the entry, for lists) and what is allowed."""
        many = isinstance(value, list)
        allowed = self.allowed(kind, many)
        if self.nonempty:
            _require(len(value) > 0, key, value, allowed)
        if not many:
            self._check_entry(key, value, allowed)
            return
        if self.distinct:
            seen = [json.dumps(v, sort_keys=True) for v in value]
            _require(len(set(seen)) == len(seen), key, value, allowed)
        if self.group is not None:
            return  # option names, or the options composed from them: checked against their schema
        for entry in value:
            if self.length is not None:
                _require(isinstance(entry, list) and len(entry) == self.length, key, entry, allowed)
            for leaf in entry if isinstance(entry, list) else [entry]:
                self._check_entry(key, leaf, allowed)

    def _check_entry(self, key: str, v, allowed: str) -> None:
        if v is None:
            return  # Optional fields: None means "not set" (the field's description says what then)
        if self.choices is not None:
            _require(v in self.options(), key, v, allowed)
        if self.pattern is not None:
            _require(isinstance(v, str) and re.fullmatch(self.pattern, v) is not None, key, v, allowed)
        for bound, ok in ((self.ge, lambda b: v >= b), (self.gt, lambda b: v > b), (self.le, lambda b: v <= b), (self.lt, lambda b: v < b)):
            if bound is not None:
                _require(ok(bound), key, v, allowed)  # written as "ok", so NaN fails every bound


def checked(default: Any = dataclasses.MISSING, *, factory: Callable[[], Any] | None = None, **rule) -> Any:
    """A dataclass field with a default (or `factory`) and the `Rule(**rule)` it must satisfy."""
    if factory is not None:
        return field(default_factory=factory, metadata={"rule": Rule(**rule)})
    return field(default=default, metadata={"rule": Rule(**rule)})


@dataclass
class DesignConf:
    """The fields every design option has; each design's `Options` (cisim.construction.<design>)
    subclasses it with its own name and fields."""

    name: str = checked("baseline", choices=_registry("construction", "DESIGNS"))  # registered design (cisim.construction.DESIGNS)
    chi_scale: float = 1.0  # multiplies the suppression constant χ (post's w_correction)
    chi_convention: str = checked("post", choices=_registry("construction", "CHI_CONVENTIONS"))  # pairs χ balances: post (t ≠ u, eq 5.24) or published (t < u, the authors' code); docs/reproduction.md
