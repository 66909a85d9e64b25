"""Reading scenario and sweep files: YAML, ``extends:``, ``--set`` overrides and error words.

Loading a scenario goes:

1. read the file as plain YAML data (nothing in a scenario is ever executed; a key given twice
   is an error);
2. follow ``extends:`` (a parent path relative to the file) recursively, refusing cycles;
3. deep-merge: schema defaults <- parent <- child <- ``--set`` overrides (mappings merge key by
   key, lists are replaced whole);
4. validate with pydantic; unknown keys are errors that suggest the closest valid key.

Any problem raises :class:`~sim.config.errors.ScenarioError`, whose message names the file, the
field path, the bad value and what is allowed. Sweep files are read with the same tools
(:func:`read_yaml`, :func:`apply_override`, :func:`first_error`), so their errors read the same.
"""

from __future__ import annotations

import copy
import difflib
import re
from pathlib import Path
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from sim.config.errors import ScenarioError
from sim.config.schema import Scenario

__all__ = [
    "load_scenario", "scenario_from_dict", "parse_override", "apply_override", "deep_merge",
    "defaults", "read_yaml", "load_chain", "safe_load", "suggest", "format_error",
    "first_error", "dump_resolved", "json_schema",
]


def defaults() -> dict[str, Any]:
    """Every field of a scenario at its schema default, as plain data (``name`` left out)."""
    return Scenario(name="default").model_dump(mode="python", exclude={"name"})


def deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """``top`` over ``base``: mappings merge key by key, anything else (lists too) is replaced."""
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


class _SafeLoader(yaml.SafeLoader):
    """``yaml.safe_load``'s loader (plain data only), also refusing a key given twice.

    YAML would silently keep the last of two equal keys in one mapping.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, (str, int, float, bool)) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def safe_load(text: str) -> Any:
    """Parse YAML text as plain data (the safe loader; duplicate keys are errors)."""
    return yaml.load(text, Loader=_SafeLoader)  # noqa: S506 - _SafeLoader is a SafeLoader


_TYPE_NAMES = {"list": "a list", "str": "a string", "int": "a number", "float": "a number",
               "bool": "true/false", "date": "a date", "datetime": "a date"}


def _yaml_problem(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if isinstance(exc, yaml.reader.ReaderError):
        problem = f"unacceptable character #x{exc.character:04x} at byte {exc.position}"
    if "could not determine a constructor for the tag" in problem:
        tag = problem.rsplit("tag ", 1)[-1]
        problem = (f"the tag {tag} is not allowed: scenario files hold plain data only "
                   f"(mappings, lists, numbers, text)")
    if "'\\t'" in problem:
        problem += " (indent with spaces, not tabs)"
    return problem


_SCENARIO_EXPECTED = ("a mapping with at least 'name'",
                      "a mapping of keys such as name, staff, bodies")


def read_yaml(path: Path, expected: tuple[str, str] = _SCENARIO_EXPECTED) -> dict[str, Any]:
    """A YAML file's top-level mapping.

    ``expected`` says what an empty file and a file with another top level should have held
    (a scenario's words by default; a sweep file passes its own).
    """
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise ScenarioError(f"{path}: is a folder, expected a YAML file") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        data = safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}:" if mark else ""
        raise ScenarioError(f"{path}:{where} invalid YAML: {_yaml_problem(exc)}") from None
    if data is None:
        raise ScenarioError(f"{path}: the file is empty; expected {expected[0]}")
    if not isinstance(data, dict):
        kind = _TYPE_NAMES.get(type(data).__name__, type(data).__name__)
        raise ScenarioError(f"{path}: the top level is {kind}; expected {expected[1]}")
    return data


def load_chain(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """A scenario file's data merged over its ``extends:`` parents, refusing cycles."""
    path = path.resolve()
    data = read_yaml(path)
    parent = data.get("extends")
    if parent is None:
        return data
    if not isinstance(parent, str) or not parent:
        raise ScenarioError(f"{path}: extends: {parent!r} must be a path to a scenario file")
    parent_path = path.parent / parent
    if not parent_path.exists():
        raise ScenarioError(f"{path}: extends: parent file {parent_path} not found")
    if parent_path.resolve() in (*seen, path):
        chain = " -> ".join(str(p) for p in (*seen, path, parent_path.resolve()))
        raise ScenarioError(f"{path}: extends: cyclic inheritance {chain}")
    try:
        inherited = load_chain(parent_path, (*seen, path))
    except ScenarioError as exc:  # name the file the user ran as well as the broken parent
        raise ScenarioError(f"{path}: in its parent (extends: {parent}): {exc}") from None
    merged = deep_merge(inherited, data)
    merged["extends"] = parent
    return merged


_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$|^\d+$")


def parse_override(text: str) -> tuple[list[str], Any]:
    """Parse ``a.b.c=VALUE`` into a key path and a YAML-typed value."""
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise ScenarioError(f"--set {text!r}: expected path.to.key=VALUE")
    parts = key.strip().split(".")
    if not all(_KEY.match(p) for p in parts):
        raise ScenarioError(f"--set {text!r}: {key!r} is not a dotted key path")
    try:
        value = safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return parts, value


def apply_override(data: dict[str, Any], parts: list[str], value: Any, source: str) -> None:
    """Set the value at a key path in raw scenario data; errors name ``source``."""
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        node = _step_into(node, part, parts[: i + 1], source)
    last = parts[-1]
    if isinstance(node, list):
        idx = _list_index(node, last, parts, source)
        node[idx] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ScenarioError(f"{source}: {'.'.join(parts[:-1])} is a value, not a section")


def _step_into(node: Any, part: str, so_far: list[str], source: str) -> Any:
    if isinstance(node, list):
        return node[_list_index(node, part, so_far, source)]
    if isinstance(node, dict):
        if part not in node:
            raise ScenarioError(
                f"{source}: {'.'.join(so_far)}: unknown key{suggest(part, node)}"
            )
        return node[part]
    raise ScenarioError(f"{source}: {'.'.join(so_far[:-1])} is a value, not a section")


def _list_index(node: list[Any], part: str, so_far: list[str], source: str) -> int:
    if not part.isdigit() or int(part) >= len(node):
        raise ScenarioError(
            f"{source}: {'.'.join(so_far)}: index must be 0..{len(node) - 1}, got {part!r}"
        )
    return int(part)


def suggest(key: str, allowed: Any) -> str:
    """The tail of an unknown-key message: the closest allowed key, then all of them."""
    names = sorted(str(k) for k in allowed)
    close = difflib.get_close_matches(str(key), names, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"{hint} (allowed: {', '.join(names)})"


# Pydantic's type errors in the words of a YAML file.
_EXPECTED = {
    "int_type": "expected a whole number", "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number", "float_type": "expected a number",
    "float_parsing": "expected a number", "bool_type": "expected true or false",
    "bool_parsing": "expected true or false", "string_type": "expected text (quote it)",
    "list_type": "expected a list", "tuple_type": "expected a list",
    "dict_type": "expected a mapping of keys", "model_type": "expected a mapping of keys",
    "model_attributes_type": "expected a mapping of keys",
    "finite_number": "expected a finite number",
}
_LEADING_NAME = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)[ .:]")


def format_error(source: str, err: dict[str, Any], model: type[BaseModel]) -> str:
    """One pydantic error of ``model`` in the words of a YAML file read from ``source``."""
    loc = [str(p) for p in err["loc"]]
    path = ".".join(loc)
    if err["type"] == "extra_forbidden":
        allowed = _fields_at(model, loc[:-1])
        return f"{source}: {path}: unknown key{suggest(loc[-1], allowed)}"
    value = err.get("input")
    shown = repr(value) if not isinstance(value, dict) else "a mapping"
    if isinstance(value, list):
        shown = "a list"
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
        if not path or msg.startswith((f"{path}.", f"{path} ", f"{path}:")):
            return f"{source}: {msg}"  # the check named the field itself
        lead = _LEADING_NAME.match(msg)
        if lead and lead.group(1) in _fields_at(model, loc):
            return f"{source}: {path}.{msg}"  # the check named a field of its section
        return f"{source}: {path}: {msg}"
    if err["type"] == "missing":
        return f"{source}: {path}: required field is missing{_field_hint(model, loc)}"
    msg = _EXPECTED.get(err["type"], msg)
    return f"{source}: {path}: {shown} is not allowed: {msg}"


def _field_hint(model: type[BaseModel], loc: list[str]) -> str:
    """What a missing field should hold: its allowed values, or its description."""
    section = _as_model(_annotation_at(model, loc[:-1]))
    field = section.model_fields.get(loc[-1]) if section is not None and loc else None
    if field is None:
        return ""
    if get_origin(field.annotation) is Literal:
        return "; allowed: " + ", ".join(repr(a) for a in get_args(field.annotation))
    return f" ({field.description})" if field.description else ""


def _fields_at(model: type[BaseModel], loc: list[str]) -> list[str]:
    """The field names of the schema section at ``loc``, for suggestions."""
    model_cls = _as_model(_annotation_at(model, loc))
    return list(model_cls.model_fields) if model_cls is not None else []


def _annotation_at(model: type[BaseModel], loc: list[str]) -> Any:
    """The type annotation of the schema node at ``loc`` (None when there is none)."""
    annotation: Any = model
    for part in loc:
        model_cls = _as_model(annotation)
        if model_cls is not None:
            field = model_cls.model_fields.get(part)
            if field is None:
                return None
            annotation = field.annotation
        else:  # a dict value or list item: step into the container's item type
            args = [a for a in getattr(annotation, "__args__", ()) if a is not type(None)]
            annotation = args[-1] if args else None
    return annotation


def _as_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) not in (Union, UnionType):
        return None
    args = [a for a in get_args(annotation) if a is not type(None)]
    if len(args) == 1 and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return args[0]  # Optional[Model]
    return None


def scenario_from_dict(
    data: dict[str, Any], source: str = "<scenario>", overrides: list[str] | None = None
) -> Scenario:
    """Validate a raw mapping (merged onto the defaults) into a :class:`Scenario`."""
    merged = deep_merge(defaults(), data)
    for text in overrides or []:
        parts, value = parse_override(text)
        apply_override(merged, parts, value, f"{source} (--set {text})")
    try:
        return Scenario.model_validate(merged)
    except ValidationError as exc:
        raise ScenarioError(first_error(exc, source, Scenario)) from None


def first_error(exc: ValidationError, source: str, model: type[BaseModel]) -> str:
    """The one message to show for a failed validation of ``model`` read from ``source``."""
    errors = exc.errors(include_url=False)
    # An unknown key explains a 'missing' error better than the other way round.
    first = min(errors, key=lambda e: e["type"] != "extra_forbidden")
    message = format_error(source, first, model)
    annotation = _annotation_at(model, [str(p) for p in first["loc"]])
    if first["type"] != "missing" and type(None) in get_args(annotation):
        message += " (or null)"  # an optional field: null is allowed too
    return message


def load_scenario(path: str | Path, overrides: list[str] | None = None) -> Scenario:
    """Load, inherit, override and validate a scenario file."""
    path = Path(path)
    data = load_chain(path)
    return scenario_from_dict(data, str(path), overrides)


def dump_resolved(scenario: Scenario) -> str:
    """YAML text of a scenario with every default filled in; loading it gives it back."""
    data = scenario.model_dump(mode="json")
    data["extends"] = None
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the scenario format, for editors."""
    return Scenario.model_json_schema()
