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

from sim.config.errors import InputError, ScenarioError
from sim.config.schema import Scenario

__all__ = [
    "load_scenario", "scenario_from_dict", "parse_override", "apply_override", "deep_merge",
    "defaults", "read_yaml", "load_chain", "safe_load", "suggest", "format_error",
    "first_error", "dump_resolved", "json_schema", "override_source", "looks_like_sweep",
    "SWEEP_ONLY_KEYS", "MAX_FILE_BYTES", "MAX_DEPTH", "MAX_VALUES", "load_base",
    "start_from_base_office", "NOT_IN_SNAPSHOT", "office_scenario",
]


def defaults() -> dict[str, Any]:
    """Every field of a scenario at its schema default, as plain data (``name`` left out)."""
    return Scenario(name="default").model_dump(mode="python", exclude={"name"})


def deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """``top`` over ``base``: mappings merge key by key, anything else (lists too) is replaced.

    The result shares nothing with either argument: a caller may edit it in place (a sweep
    point's or an options arm's overrides) without touching the base every other one starts from.
    """
    out = {key: value if key in top else copy.deepcopy(value) for key, value in base.items()}
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


#: Largest scenario or sweep file read, in bytes: real ones are a few KB (a thousand bodies
#: listed one by one is about 100 KB), and the YAML parser takes seconds per MB.
MAX_FILE_BYTES = 1_000_000
#: Deepest nesting of mappings and lists (a scenario nests about 6 deep).
MAX_DEPTH = 50
#: Most values a file may hold once its aliases (``*name``) are expanded (a scenario: ~2,000).
MAX_VALUES = 200_000


class _SafeLoader(yaml.SafeLoader):
    """``yaml.safe_load``'s loader (plain data only), also refusing a key given twice.

    Nesting deeper than :data:`MAX_DEPTH` is refused as well (:func:`safe_load` also refuses
    aliases that expand beyond :data:`MAX_VALUES` values). YAML would silently keep the last
    of two equal keys in one mapping; deep nesting would exhaust Python's recursion, and an
    "alias bomb" (aliases of aliases) the memory of what reads the data.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {MAX_DEPTH} levels deep (mappings and lists "
                    f"inside each other); a scenario nests about 6", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, (str, int, float, bool)):
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r}", key_node.start_mark
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _expanded_size(root: yaml.Node) -> int:
    """How many values the composed document holds with every alias expanded.

    Shared nodes are counted once per use (that is what the data becomes once copied or
    validated) but computed once, so a bomb is measured without being expanded. A node that
    contains itself (``&a [*a]``) is an error.
    """
    sizes: dict[int, int] = {}
    pending: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in pending:
            raise yaml.composer.ComposerError(
                None, None, "an alias (*name) inside the value of its own anchor (&name): data "
                "that contains itself", node.start_mark)
        pending.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(item) for item in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        pending.discard(key)
        sizes[key] = min(total, MAX_VALUES + 1)
        return sizes[key]

    return size(root)


def safe_load(text: str) -> Any:
    """Parse YAML text as plain data (the safe loader; duplicate keys are errors).

    Refuses nesting deeper than :data:`MAX_DEPTH` and aliases that expand to more than
    :data:`MAX_VALUES` values (``yaml.YAMLError`` either way, like any invalid YAML).
    """
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node) > MAX_VALUES:
            raise yaml.composer.ComposerError(
                None, None, f"holds more than {MAX_VALUES:,} values once its aliases (*name) are "
                f"expanded; a scenario holds a few thousand (aliases of aliases?)", None)
        return loader.construct_document(node)
    except RecursionError:  # e.g. thousands of anchors, each an alias of the one before
        raise yaml.composer.ComposerError(
            None, None, "nested too deeply (aliases of aliases?)", None) from None
    finally:
        loader.dispose()


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
        with path.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)  # never more, whatever the file's size
        if len(raw) > MAX_FILE_BYTES:
            size = path.stat().st_size
            shown = f"{size / 1e6:.1f} MB" if size > MAX_FILE_BYTES else "larger"
            raise ScenarioError(f"{path}: too large ({shown}); a scenario or sweep file may be "
                                f"at most {MAX_FILE_BYTES / 1e6:g} MB (real ones are a few KB)")
        text = raw.decode("utf-8")
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
    except RecursionError:  # the guards above should prevent it; never a traceback
        raise ScenarioError(f"{path}: invalid YAML: nested too deeply to read") from None
    except MemoryError:
        raise ScenarioError(f"{path}: invalid YAML: too large to hold in memory") from None
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


_BOUND_WORDS = {"ge": "greater than or equal to", "gt": "greater than",
                "le": "less than or equal to", "lt": "less than"}
_BOUND_ERRORS = {"greater_than": "gt", "greater_than_equal": "ge", "less_than": "lt",
                 "less_than_equal": "le"}


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _constraints(annotation: Any) -> list[Any]:
    """The constraint objects (``Ge(0)``, ...) inside an ``Annotated`` type, or its optional."""
    if get_origin(annotation) in (Union, UnionType):
        return [c for a in get_args(annotation) if a is not type(None) for c in _constraints(a)]
    found: list[Any] = []
    for item in getattr(annotation, "__metadata__", ()):
        found.extend(getattr(item, "metadata", None) or [item])  # a Field(...) holds them
    return found


def _bounds(model: type[BaseModel], loc: list[str]) -> dict[str, Any]:
    """The bounds (ge, gt, le, lt) the schema sets on the node at ``loc``."""
    annotation: Any = model
    constraints: list[Any] = []
    for part in loc:
        model_cls = _as_model(annotation)
        if model_cls is not None:
            field = model_cls.model_fields.get(part)
            if field is None:
                return {}
            annotation, constraints = field.annotation, list(field.metadata)
        else:  # a dict value or list item
            args = [a for a in getattr(annotation, "__args__", ()) if a is not type(None)]
            annotation, constraints = (args[-1] if args else None), []
    bounds = {}
    for item in [*constraints, *_constraints(annotation)]:
        for key in _BOUND_WORDS:
            if getattr(item, key, None) is not None:
                bounds[key] = getattr(item, key)
    return bounds


def _bound_message(err: dict[str, Any], model: type[BaseModel], loc: list[str]) -> str:
    """``must be between 0 and 1 (greater than or equal to 0, less than or equal to 1)``."""
    bounds = _bounds(model, loc)
    bounds.update(err.get("ctx") or {})  # the one it broke, as checked
    low = next((k for k in ("ge", "gt") if k in bounds), None)
    high = next((k for k in ("le", "lt") if k in bounds), None)
    words = [f"{_BOUND_WORDS[k]} {_number(bounds[k])}" for k in (low, high) if k]
    if low and high:
        return (f"must be between {_number(bounds[low])} and {_number(bounds[high])} "
                f"({', '.join(words)})")
    return f"must be {words[0]}"


def _yaml_flow(value: Any) -> str:
    """A value as YAML writes it on one line (``[osdo]``)."""
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip().removesuffix(
        "\n...").strip()


def format_error(source: str, err: dict[str, Any], model: type[BaseModel],
                 override: str | None = None) -> str:
    """One pydantic error of ``model`` in the words of a YAML file read from ``source``.

    ``override``: the ``--set PATH=VALUE`` that gave the bad value, when one did (examples in
    the message then use ``--set``).
    """
    loc = [str(p) for p in err["loc"]]
    path = ".".join(loc)
    if err["type"] == "extra_forbidden":
        allowed = _fields_at(model, loc[:-1])
        hint = _elsewhere(loc, model, override)
        return f"{source}: {path}: unknown key{hint or suggest(loc[-1], allowed)}"
    value = err.get("input")
    shown = repr(value) if not isinstance(value, dict) else "a mapping"
    if isinstance(value, list):
        shown = "a list"
    msg = err["msg"]
    if err["type"] in _BOUND_ERRORS:
        return f"{source}: {path}: {shown} is not allowed: {_bound_message(err, model, loc)}"
    if err["type"] in ("list_type", "tuple_type") and not isinstance(value, (dict, list)):
        as_list = _yaml_flow([value])
        example = (f"--set {override.partition('=')[0]}={as_list}" if override
                   else f"{loc[-1] if loc else 'key'}: {as_list}")
        return f"{source}: {path}: {shown} is not allowed: expected a list, e.g. {example}"
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


def _field_paths(model: type[BaseModel], prefix: tuple[str, ...] = (),
                 depth: int = 0) -> list[tuple[str, ...]]:
    """Every field path of the schema; ``<n>`` stands for a list index, ``<name>`` a key."""
    paths = []
    for name, field in model.model_fields.items():
        here = (*prefix, name)
        paths.append(here)
        annotation = field.annotation
        steps: tuple[str, ...] = ()
        for _ in range(3):  # through list[...] and dict[str, ...] to a section
            if _as_model(annotation) is not None or depth > 8:
                break
            origin = get_origin(annotation)
            args = [a for a in get_args(annotation) if a is not type(None)]
            if origin is list and args:
                steps, annotation = (*steps, "<n>"), args[0]
            elif origin is dict and len(args) == 2:
                steps, annotation = (*steps, "<name>"), args[1]
            else:
                break
        section = _as_model(annotation)
        if section is not None and depth <= 8:
            paths.extend(_field_paths(section, (*here, *steps), depth + 1))
    return paths


def _elsewhere(loc: list[str], model: type[BaseModel], override: str | None) -> str:
    """For an unknown key that is a field's name in another section: where it belongs."""
    name = loc[-1] if loc else ""
    found = [".".join(p) for p in _field_paths(model) if p[-1] == name and list(p) != loc]
    if not found:
        return ""
    found.sort(key=lambda p: (p.count("."), p))
    best = found[0]
    if override and "<" not in best:
        hint = f"; did you mean --set {best}={override.partition('=')[2]}?"
    else:
        hint = f"; did you mean {best!r}?"
    if len(found) > 1:
        more = ", ".join(repr(p) for p in found[1:4])
        hint += f" (also in {more}{', ...' if len(found) > 4 else ''})"
    return f"{hint} ({name} is a field of {best.rpartition('.')[0]}, not of "\
           f"{'.'.join(loc[:-1]) or 'the top level'})"


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


def override_source(text: str, target: str) -> str:
    """How messages name an override: ``--set a.b=1 (applied to scenarios/x.yaml)``."""
    return f"--set {text} (applied to {target})"


def scenario_from_dict(
    data: dict[str, Any], source: str = "<scenario>", overrides: list[str] | None = None,
    applied_to: str | None = None,
) -> Scenario:
    """Validate a raw mapping (merged onto the defaults) into a :class:`Scenario`.

    A problem with a value that an override gave is reported against that ``--set`` (applied
    to ``applied_to``, default ``source``), anything else against ``source``.
    """
    merged = deep_merge(defaults(), data)
    target = applied_to or source
    given = []
    for text in overrides or []:
        parts, value = parse_override(text)
        apply_override(merged, parts, value, override_source(text, target))
        given.append((text, parts))
    try:
        scenario = Scenario.model_validate(merged)
    except ValidationError as exc:
        raise ScenarioError(first_error(exc, source, Scenario, given, target)) from None
    office_scenario(scenario, source)  # a bad snapshot override is the file's error, now
    return scenario


#: Parts of a scenario that do not change its snapshot: how the run is set up and read, and
#: the dated policy a snapshot leaves out (the snapshot's cache key leaves them out too).
NOT_IN_SNAPSHOT = frozenset({"name", "description", "extends", "horizon_days", "warmup_days",
                             "replications", "platforms", "output", "start", "migration",
                             "incidents", "seed"})  # a snapshot runs on the run's own seed
#: Parts a snapshot override may not set: those, and the bodies whose documents the office holds.
_NOT_IN_SNAPSHOT_SET = NOT_IN_SNAPSHOT | {"bodies"}


def office_scenario(scenario: Scenario, source: str = "<scenario>") -> Scenario:
    """The scenario whose snapshot a working office is taken from: ``start.snapshot_set`` applied.

    The scenario itself when the set is empty. Its bodies and document types are the
    scenario's (an office's documents belong to them); errors name ``source`` and the override.
    """
    sets = scenario.start.snapshot_set
    if not sets:
        return scenario
    data = scenario.model_dump(mode="python")
    for path, value in sets.items():
        where = f"{source}: start.snapshot_set.{path}"
        parts = path.split(".")
        if not all(_KEY.match(p) for p in parts):
            raise ScenarioError(f"{where}: {path!r} is not a dotted key path")
        if parts[0] in _NOT_IN_SNAPSHOT_SET:
            allowed = ", ".join(k for k in Scenario.model_fields if k not in _NOT_IN_SNAPSHOT_SET)
            raise ScenarioError(f"{where}: {parts[0]} cannot differ between a run and its "
                                f"snapshot; allowed: the model's sections ({allowed})")
        apply_override(data, parts, copy.deepcopy(value), where)
    data["start"]["snapshot_set"] = {}
    try:
        office = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(first_error(exc, f"{source}: start.snapshot_set", Scenario)) from None
    if set(office.documents.types) != set(scenario.documents.types):
        raise ScenarioError(f"{source}: start.snapshot_set: the document types must stay "
                            f"{sorted(scenario.documents.types)} (an office's documents are of "
                            f"them), got {sorted(office.documents.types)}")
    return office


def start_from_base_office(data: dict[str, Any], base: dict[str, Any], changed: list[str],
                           source: str) -> None:
    """Set ``data`` (a variant of ``base`` changing ``changed``) to start from the base's office.

    ``base`` is the resolved base scenario as data, ``changed`` the dotted paths the variant
    sets: each goes back in ``start.snapshot_set`` to its value in the base's snapshot (the
    base with its own snapshot overrides applied), so the variant's snapshot is the base's,
    shared by every variant. A changed path inside or around one of the base's overrides gets
    the office's value, which holds that override. Nothing to do when the base starts from an
    empty office: every variant starts empty.
    """
    if base["start"]["office"] != "working":
        return
    sets = dict(base["start"]["snapshot_set"])
    office = base
    if sets:  # the base's office differs from the base: a copy with its overrides
        office = copy.deepcopy(base)
        for path, value in sets.items():
            apply_override(office, path.split("."), copy.deepcopy(value),
                           f"{source}: start.snapshot_set.{path}")
    for path in changed:
        node: Any = office
        parts = path.split(".")
        for i, part in enumerate(parts):
            node = _step_into(node, part, parts[: i + 1], source)
        sets[path] = copy.deepcopy(node)
    data["start"]["snapshot_set"] = sets


def _blamed(loc: list[str], message: str,
            overrides: list[tuple[str, list[str]]]) -> str | None:
    """The override behind an error at ``loc``: the last one that set it or a value in it."""
    for text, parts in reversed(overrides):
        if loc[:len(parts)] == parts:
            return text  # it set the bad value, or a section holding it
    for text, parts in reversed(overrides):
        if loc and parts[:len(loc)] == loc:
            return text  # a check of the section it changed failed
    for text, parts in reversed(overrides):
        if not loc and re.search(rf"\b{re.escape(parts[-1])}\b", message):
            return text  # a check across sections that names the field it set
    return None


def first_error(exc: ValidationError, source: str, model: type[BaseModel],
                overrides: list[tuple[str, list[str]]] | None = None,
                applied_to: str | None = None) -> str:
    """The one message to show for a failed validation of ``model`` read from ``source``.

    ``overrides`` (each ``--set`` text and its key path) were applied to ``applied_to``; an
    error in a value one of them gave is reported against it.
    """
    errors = exc.errors(include_url=False)
    # An unknown key explains a 'missing' error better than the other way round.
    first = min(errors, key=lambda e: e["type"] != "extra_forbidden")
    loc = [str(p) for p in first["loc"]]
    blamed = _blamed(loc, str(first.get("msg", "")), overrides or [])
    if blamed is not None:
        message = format_error(override_source(blamed, applied_to or source), first, model,
                               blamed)
    else:
        message = format_error(source, first, model)
    annotation = _annotation_at(model, loc)
    if first["type"] != "missing" and type(None) in get_args(annotation):
        message += " (or null)"  # an optional field: null is allowed too
    return message


#: Top-level keys of a sweep file that no scenario has: a file with one is a sweep file.
SWEEP_ONLY_KEYS = frozenset({"base", "parameters", "design"})


def looks_like_sweep(data: dict[str, Any]) -> bool:
    """Whether a file's top level is a sweep file's (``base:``, ``parameters:``, ``design:``)."""
    return bool(SWEEP_ONLY_KEYS & set(data))


def load_scenario(path: str | Path, overrides: list[str] | None = None) -> Scenario:
    """Load, inherit, override and validate a scenario file."""
    path = Path(path)
    data = load_chain(path)
    if looks_like_sweep(data) and "options" in data:
        raise ScenarioError(f"{path}: this is an options file (base:, options:), not a "
                            f"scenario: run it with `sim options {path}` (sim.options in Python)")
    if looks_like_sweep(data):
        found = ", ".join(f"{k}:" for k in sorted(SWEEP_ONLY_KEYS & set(data)))
        raise ScenarioError(f"{path}: this is a sweep file ({found}), not a scenario: run it "
                            f"with `sim sweep {path}` (sim.sweep in Python)")
    return scenario_from_dict(data, str(path), overrides)


def load_base(path: Path, base: str, fixed: dict[str, Any], overrides: list[str] | None,
              source: str, error: type[InputError]) -> Scenario:
    """The base scenario of a file that varies one (a sweep file, an options file).

    ``base`` is relative to ``path``; ``fixed`` are the file's own ``set:`` overrides (dotted
    paths), ``overrides`` the command line's ``--set``. The base alone is checked first, so
    that a mistake in the file's ``set`` is not blamed on the base; every problem is an
    ``error`` naming ``source``.
    """
    base_path = path.parent / base
    if not base_path.exists():
        raise error(f"{source}: base: scenario file {base_path} not found")
    try:
        base_raw = load_chain(base_path)
    except ScenarioError as exc:
        raise error(f"{source}: in its base ({base}): {exc}") from None
    data = deep_merge(defaults(), base_raw)
    scenario = scenario_from_dict(data, f"{source} (base {base})")
    if fixed or overrides:
        for key, value in fixed.items():
            apply_override(data, key.split("."), value, f"{source}: set.{key}")
        scenario = scenario_from_dict(data, f"{source}: set", overrides,
                                      applied_to=f"the base {base} of {source}")
    return scenario


def dump_resolved(scenario: Scenario) -> str:
    """YAML text of a scenario with every default filled in; loading it gives it back."""
    data = scenario.model_dump(mode="json", by_alias=True)  # a ramp's from_ is written from:
    data["extends"] = None
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


#: The JSON Schema dialect of :func:`json_schema` (pydantic writes draft 2020-12: ``$defs``).
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
#: The schema's identifier: a name, not an address to fetch (editors are pointed at a file).
SCHEMA_ID = "urn:docflow-sim:scenario"


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the scenario format, for editors (draft 2020-12, with ``$id``).

    ``sim schema > scenario.schema.json`` and point the editor's YAML support at the file
    (README, "Editing scenarios with completion").
    """
    return {"$schema": SCHEMA_DIALECT, "$id": SCHEMA_ID, **Scenario.model_json_schema()}
