"""Dumping with a marshmallow schema, compiled once: ``schema.dump``'s output, faster.

marshmallow looks up every field's value and formatting afresh for every object it
dumps; on a large document (an enrollment with its lessons, quizzes, notes and
bookmarks) that is most of a read request's CPU. ``CompiledDumper`` turns a schema into
one small function per field when it is built and gives exactly what ``schema.dump``
gives (same keys, same order, same types), for the field types the services use.

What it cannot replicate it refuses when it is built (``TypeError``), never silently:
``Method`` and ``Function`` fields, custom formats, ``as_string`` numbers, dotted
attributes, and dump hooks, except the ``pre_dump`` hooks a caller names in
``replicated_hooks`` because it replicates them (``parse_datetime`` turns the ISO
strings such a hook parses into date-times; ``datetime_text``, when what the hook
does to such a string is known, gives its output text at once). The schema stays the
API's contract and its documentation; tests compare the two dumps.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Mapping
from datetime import date, datetime
from typing import Any

from marshmallow import Schema, fields
from marshmallow.utils import missing

__all__ = ["CompiledDumper", "compiled_dumper"]

Convert = Callable[[Any], Any]
_ISO_FORMATS = (None, "iso", "iso8601")


class CompiledDumper:
    def __init__(
        self,
        schema: Schema | type[Schema],
        *,
        replicated_hooks: Collection[str] = (),
        parse_datetime: Callable[[str], datetime] | None = None,
        datetime_text: Callable[[str], str] | None = None,
    ) -> None:
        self._replicated = frozenset(replicated_hooks)
        self._parse_datetime = parse_datetime
        self._datetime_text = datetime_text
        self._dump_one = self._compile(schema)

    def dump(self, obj: Any, *, many: bool = False) -> Any:
        if many:
            return [self._dump_one(item) for item in obj]
        return self._dump_one(obj)

    # -- compiling ----------------------------------------------------------------------
    def _compile(self, schema: Schema | type[Schema]) -> Callable[[Any], dict[str, Any]]:
        instance = schema() if isinstance(schema, type) else schema
        self._check_hooks(instance)
        plan: list[tuple[str, str, Convert | None, Any]] = []
        for name, field in instance.dump_fields.items():
            source = field.attribute or name
            if "." in source:
                raise TypeError(f"{type(instance).__name__}.{name}: dotted attributes")
            key = field.data_key if field.data_key is not None else name
            plan.append((key, source, self._converter(field), field.dump_default))

        def dump(obj: Any) -> dict[str, Any]:
            out: dict[str, Any] = {}
            # ``type(obj) is dict`` first: nested entries are plain dicts, for which the
            # ABC check costs about 110 ns more (35 ns against 148 here)
            if type(obj) is dict or isinstance(obj, Mapping):
                get = obj.get
                for key, source, convert, default in plan:
                    value = get(source, missing)
                    if value is missing:
                        value = default() if callable(default) else default
                        if value is missing:
                            continue
                    out[key] = value if value is None or convert is None else convert(value)
            else:
                for key, source, convert, default in plan:
                    value = getattr(obj, source, missing)
                    if value is missing:
                        value = default() if callable(default) else default
                        if value is missing:
                            continue
                    out[key] = value if value is None or convert is None else convert(value)
            return out

        return dump

    def _check_hooks(self, schema: Schema) -> None:
        hooks: Mapping[str, list[tuple[str, bool, dict[str, Any]]]] = schema._hooks
        for tag, registered in hooks.items():
            for name, *_options in registered:
                if "dump" in tag and name not in self._replicated:
                    raise TypeError(f"{type(schema).__name__}.{name}: a dump hook it does not run")

    def _converter(self, field: fields.Field) -> Convert | None:
        """How a field's value becomes its JSON value (None: as it is)."""
        name = f"{type(field).__name__} field {field.name!r}"
        if isinstance(field, (fields.Method, fields.Function, fields.Constant)):
            raise TypeError(f"{name}: computed fields are not replicated")
        if isinstance(field, fields.Number):
            if field.as_string:
                raise TypeError(f"{name}: as_string")
            if type(field) not in (fields.Integer, fields.Float):
                raise TypeError(f"{name}: only Integer and Float numbers")
            return field.num_type
        if type(field) in (fields.DateTime, fields.Date):
            if getattr(field, "format", None) not in _ISO_FORMATS:
                raise TypeError(f"{name}: only ISO 8601 formatting")
            return date.isoformat if type(field) is fields.Date else self._datetime_converter()
        if type(field) is fields.String:
            return _text
        if type(field) in (fields.Boolean, fields.Raw):
            return None
        if type(field) is fields.Dict:
            keys = None if field.key_field is None else self._converter(field.key_field)
            values = None if field.value_field is None else self._converter(field.value_field)
            if keys is None and values is None:
                return dict
            return lambda mapping: {
                (key if keys is None or key is None else keys(key)): (
                    value if values is None or value is None else values(value)
                )
                for key, value in mapping.items()
            }
        if type(field) is fields.List:
            inner = self._converter(field.inner)
            if inner is None:
                return list
            return lambda values: [None if item is None else inner(item) for item in values]
        if type(field) is fields.Nested:
            if field.only or field.exclude:
                raise TypeError(f"{name}: only/exclude on the Nested field")
            nested = self._compile(field.nested)  # type: ignore[arg-type]
            if field.many:
                return lambda values: [nested(item) for item in values]
            return nested
        raise TypeError(f"{name}: not a field type it replicates")

    def _datetime_converter(self) -> Convert:
        parse = self._parse_datetime
        text = self._datetime_text

        def convert(value: Any) -> str:
            if text is not None and isinstance(value, str):
                return text(value)
            if isinstance(value, str) and parse is not None:
                value = parse(value)
            if not isinstance(value, datetime):
                raise TypeError(f"expected a date-time, got {type(value).__name__}")
            return value.isoformat()

        return convert


def _text(value: Any) -> str:
    if type(value) is str:
        return value
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


@functools.cache
def compiled_dumper(
    schema: type[Schema],
    replicated_hooks: frozenset[str] = frozenset(),
    parse_datetime: Callable[[str], datetime] | None = None,
) -> CompiledDumper:
    """The compiled dumper of ``schema``, built on first use."""
    return CompiledDumper(schema, replicated_hooks=replicated_hooks, parse_datetime=parse_datetime)
