"""Reading the YAML files people write (scenarios, manifests, bindings), strictly.

One file has one meaning and costs bounded work to read:

- UTF-8 text only (a byte-order mark is allowed); binary or UTF-16 files are refused;
- at most ``MAX_BYTES`` bytes and ``MAX_DEPTH`` levels of nesting;
- no anchors or aliases (``&a`` / ``*a``): they let a few kilobytes expand into gigabytes;
- no key given twice in one mapping (YAML would silently keep the last one).

Every refusal is an ``InputError`` naming the file and, where there is one, the line.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from simulator.errors import InputError

MAX_BYTES = 1_000_000   # the largest shipped scenario or manifest is a few kilobytes
MAX_DEPTH = 32          # scenarios nest five levels deep


class _Refused(yaml.MarkedYAMLError):
    """A construct this loader does not accept, with the mark of where it is."""


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader without aliases, duplicate keys or unbounded nesting."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(problem=f"alias '*{event.anchor}' is not allowed; write the value "
                           "out in full", problem_mark=event.start_mark)
        if getattr(event, "anchor", None) is not None:
            raise _Refused(problem=f"anchor '&{event.anchor}' is not allowed; write values "
                           "out in full instead of reusing them", problem_mark=event.start_mark)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Refused(problem=f"nested more than {MAX_DEPTH} levels deep",
                           problem_mark=event.start_mark)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.setdefault(key, key_node)
            except TypeError:
                raise _Refused(problem="a mapping key must be a plain value",
                               problem_mark=key_node.start_mark) from None
            if first is not key_node:
                raise _Refused(problem=f"key {key!r} is given twice (first on line "
                               f"{first.start_mark.line + 1}); keep one",
                               problem_mark=key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: str | Path):
    """The data of one YAML file, read strictly (see the module notes).

    Raises
    ------
    InputError
        Naming the file, the line (as the field) where known, and the fix.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(f"file is {size:,} bytes; YAML files up to {MAX_BYTES:,} bytes "
                             "are read", path=path)
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror or exc})", path=path) from None
    if b"\0" in raw:
        raise InputError("not a text file (it holds NUL bytes; UTF-16 text does too); save "
                         "it as UTF-8 text", path=path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise InputError(f"not UTF-8 text (byte {exc.start}); save the file as UTF-8",
                         path=path, field=f"line {line}") from None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"not valid YAML: {problem}", path=path,
                         field=f"line {mark.line + 1}" if mark else None) from None
    except (ValueError, OverflowError) as exc:  # e.g. an integer of thousands of digits
        raise InputError(f"not valid YAML: {exc}", path=path) from None
