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

# Python forms of the contracts' message-level CEL rules, by rule id. Each returns True when valid.
MESSAGE_RULES: dict[str, Callable[[Any], bool]] = {
    "generate.input": lambda m: (m.prompt != "") != (len(m.messages) > 0),
    "complete.input": lambda m: (m.prompt != "") != (len(m.messages) > 0),
}

Check = Callable[[Any, str, list[FieldViolation]], None]


class Unsupported(Exception):
    """A rule this module does not compile: the message type falls back to protovalidate."""


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _string_checks(rules: Any) -> list[Callable[[str], tuple[str, str] | None]]:
    checks: list[Callable[[str], tuple[str, str] | None]] = []
    for fd, value in rules.ListFields():
        name = fd.name
        if name == "min_len":
            n = value
            checks.append(lambda s, n=n: None if len(s) >= n else ("string.min_len", f"must be at least {n} characters"))
        elif name == "max_len":
            n = value
            checks.append(lambda s, n=n: None if len(s) <= n else ("string.max_len", f"must be at most {n} characters"))
        elif name == "max_bytes":
            n = value

            def max_bytes(s: str, n: int = n) -> tuple[str, str] | None:
                if len(s) * 4 <= n or (len(s) <= n and len(s.encode()) <= n):
                    return None
                return ("string.max_bytes", f"must be at most {n} bytes")

            checks.append(max_bytes)
        elif name == "min_bytes":
            n = value
            checks.append(
                lambda s, n=n: None if len(s.encode()) >= n else ("string.min_bytes", f"must be at least {n} bytes")
            )
        elif name == "pattern":
            pattern = re.compile(value)
            text = value
            checks.append(
                lambda s, p=pattern, t=text: None
                if p.search(s)
                else ("string.pattern", f'does not match regex pattern "{t}"')
            )
        else:
            raise Unsupported(f"string.{name}")
    return checks


def _number_checks(kind: str, rules: Any) -> list[Callable[[Any], tuple[str, str] | None]]:
    bounds = {fd.name: value for fd, value in rules.ListFields()}
    unknown = set(bounds) - {"gt", "gte", "lt", "lte"}
    if unknown:
        raise Unsupported(f"{kind}.{sorted(unknown)[0]}")
    low = ("gt", bounds["gt"]) if "gt" in bounds else ("gte", bounds["gte"]) if "gte" in bounds else None
    high = ("lt", bounds["lt"]) if "lt" in bounds else ("lte", bounds["lte"]) if "lte" in bounds else None
    words = {"gt": "greater than", "gte": "greater than or equal to", "lt": "less than", "lte": "less than or equal to"}
    ops: dict[str, Callable[[Any, Any], bool]] = {
        "gt": lambda v, b: v > b,
        "gte": lambda v, b: v >= b,
        "lt": lambda v, b: v < b,
        "lte": lambda v, b: v <= b,
    }
    if low and high:
        rule_id = f"{kind}.{low[0]}_{high[0]}"
        message = f"must be {words[low[0]]} {_fmt(low[1])} and {words[high[0]]} {_fmt(high[1])}"
        lo_op, hi_op = ops[low[0]], ops[high[0]]
        lo, hi = low[1], high[1]
        return [lambda v: None if lo_op(v, lo) and hi_op(v, hi) and v == v else (rule_id, message)]
    bound = low or high
    if bound is None:
        return []
    rule_id, message = f"{kind}.{bound[0]}", f"must be {words[bound[0]]} {_fmt(bound[1])}"
    op, b = ops[bound[0]], bound[1]
    return [lambda v: None if op(v, b) and v == v else (rule_id, message)]


def _enum_checks(rules: Any, enum: EnumDescriptor) -> list[Callable[[int], tuple[str, str] | None]]:
    checks: list[Callable[[int], tuple[str, str] | None]] = []
    for fd, value in rules.ListFields():
        if fd.name == "defined_only" and value:
            defined = frozenset(enum.values_by_number)
            checks.append(
                lambda v, d=defined: None if v in d else ("enum.defined_only", "value must be one of the defined enum values")
            )
        elif fd.name == "not_in":
            banned = frozenset(value)
            text = "[" + ", ".join(str(x) for x in value) + "]"
            checks.append(lambda v, b=banned, t=text: None if v not in b else ("enum.not_in", f"must not be in list {t}"))
        elif fd.name == "in":
            allowed = frozenset(value)
            text = "[" + ", ".join(str(x) for x in value) + "]"
            checks.append(lambda v, a=allowed, t=text: None if v in a else ("enum.in", f"must be in list {t}"))
        elif fd.name == "defined_only":
            continue
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


def _scalar_checks(rules: Any, field: FieldDescriptor) -> list[Callable[[Any], tuple[str, str] | None]]:
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
        checks: list[Callable[[Any], tuple[str, str] | None]] = []
        if "max_len" in bounds:
            n = bounds["max_len"]
            checks.append(lambda b, n=n: None if len(b) <= n else ("bytes.max_len", f"must be at most {n} bytes"))
        if "min_len" in bounds:
            n = bounds["min_len"]
            checks.append(lambda b, n=n: None if len(b) >= n else ("bytes.min_len", f"must be at least {n} bytes"))
        return checks
    raise Unsupported(kind)


class _MessagePlan:
    """The compiled checks of one message type."""

    def __init__(self, compiler: ContractValidator, descriptor: Descriptor) -> None:
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
                name = oneof.name
                self.checks.append(
                    lambda m, path, out, n=name: None
                    if m.WhichOneof(n)
                    else out.append(FieldViolation(_join(path, n), "exactly one field is required in oneof", "required"))
                )
        for field in descriptor.fields:
            self.checks.extend(self._field_checks(compiler, field))

    @staticmethod
    def _message_rule(predicate: Callable[[Any], bool], rule_id: str, message: str) -> Check:
        def check(m: Any, path: str, out: list[FieldViolation]) -> None:
            if not predicate(m):
                out.append(FieldViolation(path, message, rule_id))

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
                    checks.append(
                        lambda m, path, out, n=name, s=sub: [s.run(v, f"{_join(path, n)}[{k!r}]", out) for k, v in getattr(m, n).items()]
                        and None
                    )
            return checks
        if repeated:
            item_checks: list[Callable[[Any], tuple[str, str] | None]] = []
            if rules is not None and rules.WhichOneof("type") == "repeated":
                rep = rules.repeated
                for fd, value in rep.ListFields():
                    if fd.name == "min_items":
                        n = value
                        checks.append(
                            _count_check(name, lambda c, n=n: c >= n, "repeated.min_items", f"must contain at least {n} item(s)")
                        )
                    elif fd.name == "max_items":
                        n = value
                        checks.append(
                            _count_check(name, lambda c, n=n: c <= n, "repeated.max_items", f"must contain no more than {n} item(s)")
                        )
                    elif fd.name == "items":
                        if value.ListFields() and any(f.name not in ("string", "bytes", "enum", *_NUMERIC) for f, _ in value.ListFields()):
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
                    checks.append(
                        lambda m, path, out, n=name, s=sub: [s.run(v, f"{_join(path, n)}[{i}]", out) for i, v in enumerate(getattr(m, n))]
                        and None
                    )
            return checks
        has_presence = field.has_presence
        if rules is not None and rules.required:
            rule_id = "required"
            checks.append(
                lambda m, path, out, n=name, hp=has_presence: None
                if (m.HasField(n) if hp else bool(getattr(m, n)))
                else out.append(FieldViolation(_join(path, n), "value is required", rule_id))
            )
        if is_message:
            if rules is not None and rules.WhichOneof("type") is not None:
                raise Unsupported("rules on a message field")
            sub = compiler.plan(field.message_type)
            if sub.checks:
                checks.append(
                    lambda m, path, out, n=name, s=sub: s.run(getattr(m, n), _join(path, n), out) if m.HasField(n) else None
                )
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


def _count_check(name: str, ok: Callable[[int], bool], rule_id: str, message: str) -> Check:
    def check(m: Any, path: str, out: list[FieldViolation]) -> None:
        if not ok(len(getattr(m, name))):
            out.append(FieldViolation(_join(path, name), message, rule_id))

    return check


def _items_check(name: str, item_checks: list[Callable[[Any], tuple[str, str] | None]]) -> Check:
    def check(m: Any, path: str, out: list[FieldViolation]) -> None:
        for i, value in enumerate(getattr(m, name)):
            for item_check in item_checks:
                problem = item_check(value)
                if problem is not None:
                    out.append(FieldViolation(f"{_join(path, name)}[{i}]", problem[1], problem[0]))

    return check


def _value_check(name: str, value_checks: list[Callable[[Any], tuple[str, str] | None]], has_presence: bool) -> Check:
    def check(m: Any, path: str, out: list[FieldViolation]) -> None:
        if has_presence and not m.HasField(name):
            return
        value = getattr(m, name)
        for value_check in value_checks:
            problem = value_check(value)
            if problem is not None:
                out.append(FieldViolation(_join(path, name), problem[1], problem[0]))

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

    def violations(self, message: Message) -> list[FieldViolation]:
        """Every rule ``message`` breaks, in field order (empty when valid)."""
        out: list[FieldViolation] = []
        self.plan(message.DESCRIPTOR).run(message, "", out)
        return out

    def validate(self, message: Message) -> None:
        """Raises :class:`InvalidInput` listing every violation when ``message`` breaks a rule."""
        out = self.violations(message)
        if out:
            raise InvalidInput(describe_violations(message.DESCRIPTOR.name, out), out)


def describe_violations(type_name: str, violations: list[FieldViolation]) -> str:
    """One line a caller can act on: ``invalid GenerateRequest: sampling.temperature: must be ...``."""
    parts = [f"{v.field}: {v.description}" if v.field else v.description for v in violations]
    return f"invalid {type_name}: " + "; ".join(parts)
