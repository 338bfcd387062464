"""Enforces the contracts' protovalidate rules on requests, fast.

protovalidate-python evaluates every rule as CEL in pure Python: 3 ms for a one-field request and 15-40 ms
for a chat or a batch of texts on this machine, which would dominate a worker's hot path. This module
compiles each message type's rules once into plain Python checks. It covers the standard rules the
contracts use (string lengths, bytes and pattern; numeric bounds; enums; repeated items; required fields
and oneofs) and the message-level CEL rules registered in :data:`MESSAGE_RULES`. A message type with any
other rule is validated by protovalidate itself, so nothing is ever skipped. ``workers/tests`` checks that
both give the same violations.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import protovalidate
from buf.validate import validate_pb2
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message

from workers.runtime.errors import FieldViolation, InvalidInput
from workers.runtime.validation_accept import Accept, compile_accept

# Python forms of the contracts' message-level CEL rules, by rule id. Each returns True when valid.
MESSAGE_RULES: dict[str, Callable[[Any], bool]] = {
    "generate.input": lambda m: (m.prompt != "") != (len(m.messages) > 0),
    "complete.input": lambda m: (m.prompt != "") != (len(m.messages) > 0),
}

Check = Callable[[Any, str, list[FieldViolation]], None]


class Unsupported(Exception):
    """A rule this module does not compile: the message type falls back to protovalidate."""


def _re2_anchors(pattern: str) -> str:
    """``pattern`` with its end anchors as RE2 (protovalidate) reads them: an unescaped ``$`` outside a
    character class matches only at the very end of the text (``\\Z``), never before a final newline as
    Python's ``$`` does."""
    out: list[str] = []
    escaped = in_class = False
    for i, ch in enumerate(pattern):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = (
                ch != "]" or pattern[i - 1] == "[" or pattern[max(0, i - 2) : i] == "[^"
            )  # "[]" and "[^]" start a class
        elif ch == "[":
            in_class = True
        elif ch == "$":
            out.append("\\Z")
            continue
        out.append(ch)
    return "".join(out)


def _is_nan(value: float) -> bool:
    return value != value  # noqa: PLR0124 - NaN is the only value unequal to itself


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


Problem = tuple[str, str] | None
ValueCheck = Callable[[Any], Problem]


def _rule(test: Callable[[Any, Any], bool], bound: Any, rule_id: str, message: str) -> ValueCheck:
    """A check of one value against ``bound``: None when ``test(value, bound)`` holds."""

    def check(value: Any) -> Problem:
        return None if test(value, bound) else (rule_id, message)

    check.test = test  # type: ignore[attr-defined]
    check.bound = bound  # type: ignore[attr-defined]
    return check


def _fits_bytes(s: str, n: int) -> bool:
    return len(s) * 4 <= n or (len(s) <= n and len(s.encode()) <= n)


def _string_checks(rules: Any) -> list[ValueCheck]:
    checks: list[ValueCheck] = []
    for fd, value in rules.ListFields():
        name = fd.name
        if name == "min_len":
            checks.append(
                _rule(
                    lambda s, n: len(s) >= n, value, "string.min_len", f"must be at least {value} characters"
                )
            )
        elif name == "max_len":
            checks.append(
                _rule(
                    lambda s, n: len(s) <= n, value, "string.max_len", f"must be at most {value} characters"
                )
            )
        elif name == "max_bytes":
            checks.append(_rule(_fits_bytes, value, "string.max_bytes", f"must be at most {value} bytes"))
        elif name == "min_bytes":
            checks.append(
                _rule(
                    lambda s, n: len(s.encode()) >= n,
                    value,
                    "string.min_bytes",
                    f"must be at least {value} bytes",
                )
            )
        elif name == "pattern":
            checks.append(
                _rule(
                    lambda s, p: p.search(s) is not None,
                    re.compile(_re2_anchors(value)),
                    "string.pattern",
                    f'does not match regex pattern "{value}"',
                )
            )
        else:
            raise Unsupported(f"string.{name}")
    return checks


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "gt": lambda v, b: v > b and not _is_nan(v),
    "gte": lambda v, b: v >= b and not _is_nan(v),
    "lt": lambda v, b: v < b and not _is_nan(v),
    "lte": lambda v, b: v <= b and not _is_nan(v),
}
_WORDS = {
    "gt": "greater than",
    "gte": "greater than or equal to",
    "lt": "less than",
    "lte": "less than or equal to",
}


def _number_checks(kind: str, rules: Any) -> list[ValueCheck]:
    bounds = {fd.name: value for fd, value in rules.ListFields()}
    unknown = set(bounds) - set(_OPS)
    if unknown:
        raise Unsupported(f"{kind}.{min(unknown)}")
    low = next(((k, bounds[k]) for k in ("gt", "gte") if k in bounds), None)
    high = next(((k, bounds[k]) for k in ("lt", "lte") if k in bounds), None)
    if low and high:
        lo_op, hi_op = _OPS[low[0]], _OPS[high[0]]
        message = f"must be {_WORDS[low[0]]} {_fmt(low[1])} and {_WORDS[high[0]]} {_fmt(high[1])}"
        return [
            _rule(
                lambda v, b: lo_op(v, b[0]) and hi_op(v, b[1]),
                (low[1], high[1]),
                f"{kind}.{low[0]}_{high[0]}",
                message,
            )
        ]
    bound = low or high
    if bound is None:
        return []
    return [
        _rule(_OPS[bound[0]], bound[1], f"{kind}.{bound[0]}", f"must be {_WORDS[bound[0]]} {_fmt(bound[1])}")
    ]


def _enum_checks(rules: Any, enum: EnumDescriptor) -> list[ValueCheck]:
    checks: list[ValueCheck] = []
    for fd, value in rules.ListFields():
        listed = "[" + ", ".join(str(x) for x in value) + "]" if fd.name in ("in", "not_in") else ""
        if fd.name == "defined_only":
            if value:
                message = "value must be one of the defined enum values"
                checks.append(
                    _rule(lambda v, d: v in d, frozenset(enum.values_by_number), "enum.defined_only", message)
                )
        elif fd.name == "not_in":
            checks.append(
                _rule(
                    lambda v, b: v not in b, frozenset(value), "enum.not_in", f"must not be in list {listed}"
                )
            )
        elif fd.name == "in":
            checks.append(
                _rule(lambda v, a: v in a, frozenset(value), "enum.in", f"must be in list {listed}")
            )
        else:
            raise Unsupported(f"enum.{fd.name}")
    return checks


_NUMERIC = {
    "int32",
    "int64",
    "uint32",
    "uint64",
    "sint32",
    "sint64",
    "fixed32",
    "fixed64",
    "sfixed32",
    "sfixed64",
    "float",
    "double",
}


def _scalar_checks(rules: Any, field: FieldDescriptor) -> list[ValueCheck]:
    """Checks for one value of ``field`` from its FieldRules (the ``type`` oneof only)."""
    kind = rules.WhichOneof("type")
    if kind is None:
        return []
    sub = getattr(rules, kind)
    if kind == "string":
        return _string_checks(sub)
    if kind in _NUMERIC:
        return _number_checks(kind, sub)
    if kind == "enum":
        return _enum_checks(sub, field.enum_type)
    if kind == "bytes":
        bounds = {fd.name: value for fd, value in sub.ListFields()}
        if set(bounds) - {"max_len", "min_len"}:
            raise Unsupported("bytes")
        checks: list[ValueCheck] = []
        if "max_len" in bounds:
            n = bounds["max_len"]
            checks.append(_rule(lambda b, m: len(b) <= m, n, "bytes.max_len", f"must be at most {n} bytes"))
        if "min_len" in bounds:
            n = bounds["min_len"]
            checks.append(_rule(lambda b, m: len(b) >= m, n, "bytes.min_len", f"must be at least {n} bytes"))
        return checks
    raise Unsupported(kind)


class _MessagePlan:
    """The compiled checks of one message type."""

    def __init__(self, compiler: ContractValidator, descriptor: Descriptor) -> None:
        self.descriptor = descriptor
        self.checks: list[Check] = []
        options = descriptor.GetOptions()
        if options.HasExtension(validate_pb2.message):
            mrules = options.Extensions[validate_pb2.message]
            for fd, _ in mrules.ListFields():
                if fd.name not in ("cel",):
                    raise Unsupported(f"message.{fd.name}")
            for rule in mrules.cel:
                predicate = MESSAGE_RULES.get(rule.id)
                if predicate is None:
                    raise Unsupported(f"cel {rule.id}")
                self.checks.append(self._message_rule(predicate, rule.id, rule.message))
        for oneof in descriptor.oneofs:
            oopts = oneof.GetOptions()
            if oopts.HasExtension(validate_pb2.oneof) and oopts.Extensions[validate_pb2.oneof].required:
                self.checks.append(_oneof_required(oneof.name))
        for field in descriptor.fields:
            self.checks.extend(self._field_checks(compiler, field))

    @staticmethod
    def _message_rule(predicate: Callable[[Any], bool], rule_id: str, message: str) -> Check:
        def check(m: Any, path: str, out: list[FieldViolation]) -> None:
            if not predicate(m):
                out.append(FieldViolation(path, message, rule_id))

        check.spec = ("message_rule", predicate)  # type: ignore[attr-defined]
        return check

    def _field_checks(self, compiler: ContractValidator, field: FieldDescriptor) -> list[Check]:
        options = field.GetOptions()
        rules = options.Extensions[validate_pb2.field] if options.HasExtension(validate_pb2.field) else None
        checks: list[Check] = []
        name = field.name
        is_message = field.type == FieldDescriptor.TYPE_MESSAGE
        repeated = field.is_repeated
        is_map = is_message and field.message_type.GetOptions().map_entry
        if rules is not None:
            for fd, _ in rules.ListFields():
                if fd.name not in ("required", "string", "bytes", "enum", "repeated", *_NUMERIC):
                    raise Unsupported(f"field.{fd.name}")
            if rules.ignore not in (validate_pb2.IGNORE_UNSPECIFIED,):
                raise Unsupported("field.ignore")
        if is_map:
            if rules is not None and rules.ListFields():
                raise Unsupported("map")
            value_field = field.message_type.fields_by_name["value"]
            if value_field.type == FieldDescriptor.TYPE_MESSAGE:
                sub = compiler.plan(value_field.message_type)
                if sub.checks:
                    checks.append(_map_values(name, sub))
            return checks
        if repeated:
            item_checks: list[ValueCheck] = []
            if rules is not None and rules.WhichOneof("type") == "repeated":
                rep = rules.repeated
                for fd, value in rep.ListFields():
                    if fd.name == "min_items":
                        message = f"must contain at least {value} item(s)"
                        checks.append(
                            _count_check(
                                name, _rule(lambda c, n: c >= n, value, "repeated.min_items", message)
                            )
                        )
                    elif fd.name == "max_items":
                        message = f"must contain no more than {value} item(s)"
                        checks.append(
                            _count_check(
                                name, _rule(lambda c, n: c <= n, value, "repeated.max_items", message)
                            )
                        )
                    elif fd.name == "items":
                        if value.ListFields() and any(
                            f.name not in ("string", "bytes", "enum", *_NUMERIC)
                            for f, _ in value.ListFields()
                        ):
                            raise Unsupported("repeated.items")
                        item_checks = _scalar_checks(value, field)
                    else:
                        raise Unsupported(f"repeated.{fd.name}")
            elif rules is not None and rules.WhichOneof("type") is not None:
                raise Unsupported("rules on a repeated field")
            if item_checks:
                checks.append(_items_check(name, item_checks))
            if is_message:
                sub = compiler.plan(field.message_type)
                if sub.checks:
                    checks.append(_repeated_messages(name, sub))
            return checks
        has_presence = field.has_presence
        if rules is not None and rules.required:
            checks.append(_required(name, has_presence))
        if is_message:
            if rules is not None and rules.WhichOneof("type") is not None:
                raise Unsupported("rules on a message field")
            sub = compiler.plan(field.message_type)
            if sub.checks:
                checks.append(_nested(name, sub))
            return checks
        if rules is not None:
            value_checks = _scalar_checks(rules, field)
            if value_checks:
                checks.append(_value_check(name, value_checks, has_presence))
        return checks

    def run(self, message: Any, path: str, out: list[FieldViolation]) -> None:
        for check in self.checks:
            check(message, path, out)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _count_check(name: str, count_check: ValueCheck) -> Check:
    def check(m: Any, path: str, out: list[FieldViolation]) -> None:
        problem = count_check(len(getattr(m, name)))
        if problem is not None:
            out.append(FieldViolation(_join(path, name), problem[1], problem[0]))

    check.spec = ("count", name, count_check)  # type: ignore[attr-defined]
    return check


def _oneof_required(name: str) -> Check:
    def check(m: Any, path: str, out: list[FieldViolation]) -> None:
        if not m.WhichOneof(name):
            out.append(
                FieldViolation(_join(path, name), "exactly one field is required in oneof", "required")
            )

    check.spec = ("oneof_required", name)  # type: ignore[attr-defined]
    return check


def _required(name: str, has_presence: bool) -> Check:
    def check(m: Any, path: str, out: list[FieldViolation]) -> None:
        present = m.HasField(name) if has_presence else bool(getattr(m, name))
        if not present:
            out.append(FieldViolation(_join(path, name), "value is required", "required"))

    check.spec = ("required", name, has_presence)  # type: ignore[attr-defined]
    return check


def _nested(name: str, plan: _MessagePlan | _FallbackPlan) -> Check:
    def check(m: Any, path: str, out: list[FieldViolation]) -> None:
        if m.HasField(name):
            plan.run(getattr(m, name), _join(path, name), out)

    check.spec = ("nested", name, plan)  # type: ignore[attr-defined]
    return check


def _repeated_messages(name: str, plan: _MessagePlan | _FallbackPlan) -> Check:
    def check(m: Any, path: str, out: list[FieldViolation]) -> None:
        for i, item in enumerate(getattr(m, name)):
            plan.run(item, f"{_join(path, name)}[{i}]", out)

    check.spec = ("repeated_messages", name, plan)  # type: ignore[attr-defined]
    return check


def _map_values(name: str, plan: _MessagePlan | _FallbackPlan) -> Check:
    def check(m: Any, path: str, out: list[FieldViolation]) -> None:
        for key, item in getattr(m, name).items():
            plan.run(item, f"{_join(path, name)}[{key!r}]", out)

    check.spec = ("map_values", name, plan)  # type: ignore[attr-defined]
    return check


def _items_check(name: str, item_checks: list[ValueCheck]) -> Check:
    def check(m: Any, path: str, out: list[FieldViolation]) -> None:
        for i, value in enumerate(getattr(m, name)):
            for item_check in item_checks:
                problem = item_check(value)
                if problem is not None:
                    out.append(FieldViolation(f"{_join(path, name)}[{i}]", problem[1], problem[0]))

    check.spec = ("items", name, item_checks)  # type: ignore[attr-defined]
    return check


def _value_check(name: str, value_checks: list[ValueCheck], has_presence: bool) -> Check:
    def check(m: Any, path: str, out: list[FieldViolation]) -> None:
        if has_presence and not m.HasField(name):
            return
        value = getattr(m, name)
        for value_check in value_checks:
            problem = value_check(value)
            if problem is not None:
                out.append(FieldViolation(_join(path, name), problem[1], problem[0]))

    check.spec = ("value", name, value_checks, has_presence)  # type: ignore[attr-defined]
    return check


class _FallbackPlan:
    """Validates with protovalidate itself (for message types with rules this module does not compile)."""

    def __init__(self, validator: protovalidate.Validator, reason: str) -> None:
        self.reason = reason
        self._validator = validator
        self.checks = [self._check]

    def _check(self, message: Any, path: str, out: list[FieldViolation]) -> None:
        for violation in self._validator.collect_violations(message):
            proto = violation.proto
            out.append(FieldViolation(_join(path, field_path(proto.field)), proto.message, proto.rule_id))

    def run(self, message: Any, path: str, out: list[FieldViolation]) -> None:
        self._check(message, path, out)


def field_path(path: Any) -> str:
    """Renders a ``buf.validate.FieldPath`` as ``messages[0].role``."""
    parts: list[str] = []
    for element in path.elements:
        text = element.field_name
        sub = element.WhichOneof("subscript")
        if sub == "index":
            text += f"[{element.index}]"
        elif sub is not None:
            text += f"[{getattr(element, sub)!r}]"
        parts.append(text)
    return ".".join(parts)


class ContractValidator:
    """Validates messages against their contract rules; compiled per message type on first use."""

    def __init__(self) -> None:
        self._plans: dict[str, _MessagePlan | _FallbackPlan] = {}
        self._accepts: dict[str, Accept | None] = {}
        self._protovalidate = protovalidate.Validator()

    def plan(self, descriptor: Descriptor) -> _MessagePlan | _FallbackPlan:
        """The compiled checks for ``descriptor`` (compiled on first use)."""
        plan = self._plans.get(descriptor.full_name)
        if plan is None:
            try:
                plan = _MessagePlan(self, descriptor)
            except Unsupported as err:
                plan = _FallbackPlan(self._protovalidate, str(err))
            self._plans[descriptor.full_name] = plan
        return plan

    def accept(self, descriptor: Descriptor) -> Accept | None:
        """A fast check that ``descriptor``'s messages break no rule (None: use :meth:`violations`)."""
        if descriptor.full_name not in self._accepts:
            self._accepts[descriptor.full_name] = compile_accept(self.plan(descriptor), self._accept_of)
        return self._accepts[descriptor.full_name]

    def _accept_of(self, plan: _MessagePlan | _FallbackPlan) -> Accept | None:
        return self.accept(plan.descriptor) if isinstance(plan, _MessagePlan) else None

    def violations(self, message: Message) -> list[FieldViolation]:
        """Every rule ``message`` breaks, in field order (empty when valid)."""
        out: list[FieldViolation] = []
        self.plan(message.DESCRIPTOR).run(message, "", out)
        return out

    def validate(self, message: Message) -> None:
        """Raises :class:`InvalidInput` listing every violation when ``message`` breaks a rule."""
        accept = self.accept(message.DESCRIPTOR)
        if accept is not None and accept(message):
            return
        out = self.violations(message)
        if out:
            raise InvalidInput(describe_violations(message.DESCRIPTOR.name, out), out)


#: Violations a message names; the rest are counted ("... and 490 more"), so the status fits in trailers.
MAX_DESCRIBED_VIOLATIONS = 10


def describe_violations(type_name: str, violations: list[FieldViolation]) -> str:
    """One line a caller can act on: ``invalid GenerateRequest: sampling.temperature: must be ...``.

    Names the first :data:`MAX_DESCRIBED_VIOLATIONS` and counts the others: a request breaking a rule
    in each of 512 texts gets a short message, not one too large for the trailers it travels in.
    """
    shown = violations[:MAX_DESCRIBED_VIOLATIONS]
    parts = [f"{v.field}: {v.description}" if v.field else v.description for v in shown]
    more = len(violations) - len(shown)
    return f"invalid {type_name}: " + "; ".join(parts) + (f"; ... and {more} more" if more else "")
