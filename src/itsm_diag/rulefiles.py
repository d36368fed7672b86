"""Where the shipped rule files are, and which ones: light enough for start-up paths.

:mod:`itsm_diag.config` validates the rule files with pydantic models; this module only
names them, reads the sign and check titles for ``itsm-diag signs`` without loading the
models (pydantic's import alone is most of the start-up budget), and holds the one YAML
reader every rule, config, mapping and answers file goes through.
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path
from typing import Any

from itsm_diag.errors import ConfigError

SIGN_IDS: tuple[str, ...] = (
    "backlog",
    "recurrence",
    "reporting",
    "trust",
    "changes",
    "onboarding",
    "strategy",
)
CHECK_IDS: tuple[str, ...] = (
    "ownership",
    "routing",
    "vague-tickets",
    "channels",
    "knowledge",
    "sla-by-priority",
    "reopens",
)
#: the reason variants each sign's or check's module may pick
#: (:attr:`~itsm_diag.signs.base.Measurement.reasons`), by rule id: its rule file words
#: each under ``reason_variants`` and no other (checked when the rules load, so a
#: misspelt code fails then, not mid-run); the module takes its codes from here
REASON_VARIANTS: dict[str, tuple[str, ...]] = {
    # worded by the assignee history (an audit log) dating every aged ticket's time
    # without an assignee; the rule's own reasons judge the owner now
    "ownership": ("dated",),
}
#: analyses (``rules/analyses/<id>.yaml``): where the work goes, what recurs, what to do
#: next; measured and worded like the signs, never graded or scored
ANALYSIS_IDS: tuple[str, ...] = (
    "flow",
    "text-clusters",
    "drivers",
    "actions",
    "forecast",
)


def rules_dir() -> Path:
    """The rules folder: inside an installed wheel, else the source checkout's ``rules/``."""
    packaged = resources.files("itsm_diag") / "_data" / "rules"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "rules"


#: the most characters a YAML file the tool reads may hold (a mapping with a large values
#: table is a few hundred KB)
MAX_YAML_CHARS = 10_000_000
#: the most values a YAML document may expand to once its aliases (``*name``) are
#: followed: a real config or mapping holds a few hundred; nine nested aliases of nine
#: items each make a billion from 400 bytes
MAX_YAML_NODES = 100_000


def yaml_text(text: str, source: Path | str, *, keys_as_written: bool = False) -> Any:
    """YAML text's data, read with the safe loaders only (the C one when built: several
    times faster, equally safe); every YAML the tool reads comes through here. Broken
    YAML is a :class:`~itsm_diag.errors.ConfigError` naming ``source`` and the line, and
    so are a key given twice in one mapping (which one would win?), an alias bomb (a
    document expanding past :data:`MAX_YAML_NODES` values) and an alias that refers to
    itself; the node graph is checked before anything is built from it.

    ``keys_as_written``: a mapping key YAML 1.1 resolves to a boolean (an unquoted
    ``Yes``, ``No``, ``On``, ``Off``) stays the text written (a mapping file's value
    words: ``On: open`` maps "on", not every spelling of true); values are untouched."""
    import yaml

    if len(text) > MAX_YAML_CHARS:
        raise ConfigError(f"the file holds {len(text):,} characters; a config or mapping "
                          f"file holds far fewer (at most {MAX_YAML_CHARS:,})", file=source,
                          hint="pass the right file")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_nodes(node, source)
        if keys_as_written:
            _bool_keys_as_text(node)
        return loader.construct_document(node)
    except (ValueError, OverflowError, TypeError) as exc:
        # a scalar YAML reads as a date or number and cannot build (2024-13-45)
        raise ConfigError(f"a value cannot be read: {exc}", file=source,
                          hint="quote it if it is text") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"not valid YAML: {getattr(exc, 'problem', None) or exc}",
                          file=source, row=mark.line + 1 if mark is not None else None,
                          hint="fix the YAML syntax (indentation, quotes, colons)") from exc
    finally:
        loader.dispose()


def _bool_keys_as_text(root: Any) -> None:
    """Each mapping key of the node graph ``root`` that YAML resolved to a boolean made
    a text key of the same characters (a new key node: an anchored one may be a value
    elsewhere, and stays a boolean there). Merged mappings (``<<``) are nodes of the
    graph too, so their keys are kept as written as well."""
    import yaml

    bool_tag, str_tag = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:str"
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            node.value = [(yaml.ScalarNode(str_tag, key.value, key.start_mark, key.end_mark)
                           if isinstance(key, yaml.ScalarNode) and key.tag == bool_tag
                           else key, value) for key, value in node.value]
            stack.extend(item for pair in node.value for item in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def _check_nodes(root: Any, source: Path | str) -> None:
    """Refuse duplicate keys, self-referring aliases and alias bombs in a composed YAML
    node graph: one walk, each distinct node once (an alias is the same node object
    again), its expanded size summed from its children's."""
    import yaml

    size: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if key in size:
            continue
        if isinstance(node, yaml.MappingNode):
            kids = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            kids = list(node.value)
        else:
            kids = []
        if not done:
            # a node is opened once: a copy of it still on the stack is below its own
            # closing entry, so it is finished (in ``size``) by the time it comes up; a
            # cycle shows as a child that is open, checked as the children are pushed
            open_nodes.add(key)
            stack.append((node, True))
            for kid in kids:
                if id(kid) in open_nodes:
                    raise ConfigError("a YAML alias refers to the value it is part of",
                                      file=source, row=kid.start_mark.line + 1,
                                      hint="write the value out instead of the alias")
                if id(kid) not in size:
                    stack.append((kid, False))
            continue
        open_nodes.discard(key)
        size[key] = 1 + sum(size[id(kid)] for kid in kids)
        if size[key] > MAX_YAML_NODES:
            raise ConfigError(
                f"the YAML expands to more than {MAX_YAML_NODES:,} values through its "
                "aliases (*name): an alias bomb, not a config or mapping file",
                file=source, row=node.start_mark.line + 1,
                hint="write the values out, without nested aliases")
        if isinstance(node, yaml.MappingNode):
            _no_duplicate_keys(node, source)


def _no_duplicate_keys(node: Any, source: Path | str) -> None:
    """A key written twice in one YAML mapping is an error naming both lines (PyYAML
    keeps the last silently). ``<<`` merge keys are YAML's own and may repeat."""
    seen: dict[tuple[str, str], int] = {}
    for key, _ in node.value:
        if not hasattr(key, "tag") or not isinstance(key.value, str) or key.value == "<<":
            continue
        ident = (key.tag, key.value)
        line = key.start_mark.line + 1
        if ident in seen:
            raise ConfigError(f"the key {key.value!r} is given twice (lines {seen[ident]} and "
                              f"{line}); only one can apply", file=source, row=line,
                              hint="remove one of them")
        seen[ident] = line


def read_text(path: Path) -> str:
    """A UTF-8 text file (a leading BOM dropped); bytes that are not UTF-8 are a
    :class:`~itsm_diag.errors.ConfigError` naming the first one (OSError passes)."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"the file is not UTF-8 text (byte {exc.start:,} is "
                          f"0x{data[exc.start]:02x})", file=path,
                          hint="save it as UTF-8 (any editor's 'UTF-8' encoding)") from exc


def yaml_load(path: Path) -> Any:
    """:func:`yaml_text` of a UTF-8 file (OSError passes to the caller)."""
    return yaml_text(read_text(path), path)


def _title_fields(path: Path) -> dict[str, Any] | None:
    """``id``, ``number`` and ``title`` of one rule file, or None when it cannot say."""
    try:
        data = yaml_load(path)
    except (OSError, ConfigError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not isinstance(
            data.get("title"), str):
        return None
    return data


def sign_line(number: object, rule_id: str, title: str) -> str:
    """One sign as ``itsm-diag signs`` lists it."""
    return f"{number}. {rule_id:<12} {title}"


def check_line(rule_id: str, title: str) -> str:
    """One extra check as ``itsm-diag signs`` lists it."""
    return f"   {rule_id:<16} {title}"


def listing(signs: list[str], checks: list[str]) -> str:
    """The whole ``itsm-diag signs`` output from its sign and check lines."""
    lines = [*signs]
    if checks:
        lines += ["", "Extra checks (not scored):", *checks]
    return "\n".join(lines)


def titles(directory: Path | None = None) -> tuple[list[str], list[str]] | None:
    """The lines ``itsm-diag signs`` prints for the signs and for the checks; None when a
    file is missing or malformed (the caller then loads the validated rules, which say
    what is wrong)."""
    base = directory or rules_dir()
    signs = []
    for sign_id in SIGN_IDS:
        data = _title_fields(base / f"{sign_id}.yaml")
        if data is None:
            return None
        signs.append(sign_line(data.get("number"), data["id"], data["title"]))
    checks = []
    for check_id in CHECK_IDS:
        path = base / "checks" / f"{check_id}.yaml"
        if not path.exists():
            continue
        data = _title_fields(path)
        if data is None:
            return None
        checks.append(check_line(data["id"], data["title"]))
    return signs, checks


def print_titles() -> bool:
    """Print the list ``itsm-diag signs`` shows; False (nothing printed) when the rule
    files need the full, validated load to explain a problem."""
    found = titles()
    if found is None:
        return False
    sys.stdout.write(listing(*found) + "\n")
    return True
