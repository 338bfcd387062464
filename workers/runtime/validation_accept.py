"""A fast yes/no over a message type's compiled checks: one generated function, no violation lists.

Nearly every request is valid, so the question asked per call is "does this break any rule?". The
checks of :mod:`workers.runtime.validation` are closures nested three deep (field, value, rule); this
module turns a message type's checks into the source of one straight-line Python function that calls
each rule's test directly and returns False at the first broken rule. Only then does the caller run the
checks themselves to name every violation. A plan with a check it cannot inline (a type validated by
protovalidate itself) gets no accept function, and every message of that type takes the full path.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from typing import Any

Accept = Callable[[Any], bool]


class _Source:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.env: dict[str, Any] = {}

    def const(self, value: Any) -> str:
        name = f"c{len(self.env)}"
        self.env[name] = value
        return name

    def line(self, depth: int, text: str) -> None:
        self.lines.append("    " * depth + text)


def _attr(var: str, name: str) -> str:
    return (
        f"getattr({var}, {name!r})" if keyword.iskeyword(name) or not name.isidentifier() else f"{var}.{name}"
    )


def _tests(src: _Source, value_checks: list[Any], var: str) -> str | None:
    """``not (test(var, bound) and ...)`` for the value checks, or None when one is not a plain rule."""
    parts = []
    for check in value_checks:
        test, bound = getattr(check, "test", None), getattr(check, "bound", None)
        if test is None:
            return None
        parts.append(f"{src.const(test)}({var}, {src.const(bound)})")
    return "not (" + " and ".join(parts) + ")"


def _emit(src: _Source, plan: Any, var: str, depth: int, accepts: Callable[[Any], Accept | None]) -> bool:
    for n, check in enumerate(plan.checks):
        spec = getattr(check, "spec", None)
        if spec is None:
            return False
        kind = spec[0]
        if kind == "message_rule":
            src.line(depth, f"if not {src.const(spec[1])}({var}): return False")
        elif kind == "oneof_required":
            src.line(depth, f"if not {var}.WhichOneof({spec[1]!r}): return False")
        elif kind == "required":
            _, name, has_presence = spec
            test = f"{var}.HasField({name!r})" if has_presence else _attr(var, name)
            src.line(depth, f"if not {test}: return False")
        elif kind in ("nested", "repeated_messages", "map_values"):
            _, name, sub = spec
            accept = accepts(sub)
            if accept is None:
                return False
            call = src.const(accept)
            if kind == "nested":
                src.line(
                    depth, f"if {var}.HasField({name!r}) and not {call}({_attr(var, name)}): return False"
                )
            else:
                items = _attr(var, name) + (".values()" if kind == "map_values" else "")
                src.line(depth, f"for x in {items}:")
                src.line(depth + 1, f"if not {call}(x): return False")
        elif kind == "count":
            counted = _tests(src, [spec[2]], f"len({_attr(var, spec[1])})")
            if counted is None:
                return False
            src.line(depth, f"if {counted}: return False")
        elif kind == "items":
            each = _tests(src, spec[2], "x")
            if each is None:
                return False
            src.line(depth, f"for x in {_attr(var, spec[1])}:")
            src.line(depth + 1, f"if {each}: return False")
        elif kind == "value":
            _, name, value_checks, has_presence = spec
            value = f"v{depth}_{n}"
            broken = _tests(src, value_checks, value)
            if broken is None:
                return False
            inner = depth
            if has_presence:
                src.line(depth, f"if {var}.HasField({name!r}):")
                inner = depth + 1
            src.line(inner, f"{value} = {_attr(var, name)}")
            src.line(inner, f"if {broken}: return False")
        else:
            return False
    return True


def compile_accept(plan: Any, accepts: Callable[[Any], Accept | None]) -> Accept | None:
    """The accept function of ``plan`` (``accepts`` gives those of nested plans), or None."""
    src = _Source()
    src.line(0, "def accept(m):")
    if not _emit(src, plan, "m", 1, accepts):
        return None
    src.line(1, "return True")
    namespace = dict(src.env)
    exec("\n".join(src.lines), namespace)  # noqa: S102 - source built above from compiled rules only
    return namespace["accept"]  # type: ignore[no-any-return]
