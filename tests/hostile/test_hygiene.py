"""Security hygiene of the source: YAML only through safe loaders, no eval/exec/pickle
or shell on anything, and bandit clean (CI runs bandit as its own step too)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hostilekit import ROOT, error_line

SRC = ROOT / "src" / "itsm_diag"
#: calls that run code or unpickle data: never on anything, input or not
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "breakpoint", "input"}
FORBIDDEN_MODULES = {"pickle", "cPickle", "dill", "marshal", "shelve", "joblib"}
FORBIDDEN_ATTRS = {("os", "system"), ("os", "popen"), ("pd", "read_pickle"),
                   ("pandas", "read_pickle"), ("yaml", "unsafe_load"), ("yaml", "full_load"),
                   ("yaml", "load_all"), ("yaml", "unsafe_load_all"), ("yaml", "full_load_all")}
UNSAFE_LOADERS = {"Loader", "UnsafeLoader", "FullLoader"}
#: the one module that may start a process: --format pdf runs the browser the user has,
#: with an argument list (never a shell; the test below fails on shell=)
# the browser that prints the PDF; this interpreter, isolated (-I), flattening half of a
# big JSON export (no shell in either, and their arguments are not the user's text)
SUBPROCESS_ALLOWED = {"render/pdf.py", "importers/jsonworker.py"}


def _modules() -> list[tuple[Path, ast.Module]]:
    return [(p, ast.parse(p.read_text(encoding="utf-8"))) for p in sorted(SRC.rglob("*.py"))]


def test_no_eval_exec_pickle_or_shell_in_src() -> None:
    found = []
    for path, tree in _modules():
        rel = path.relative_to(SRC)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [
                    node.module or ""]
                found += [f"{rel}:{node.lineno} imports {n}" for n in names
                          if n.split(".")[0] in FORBIDDEN_MODULES or (
                              n == "subprocess" and rel.as_posix() not in SUBPROCESS_ALLOWED)]
            elif isinstance(node, ast.Call):
                fn = node.func
                if isinstance(fn, ast.Name) and fn.id in FORBIDDEN_CALLS:
                    found.append(f"{rel}:{node.lineno} calls {fn.id}()")
                if (isinstance(fn, ast.Attribute) and isinstance(fn.value, ast.Name)
                        and (fn.value.id, fn.attr) in FORBIDDEN_ATTRS):
                    found.append(f"{rel}:{node.lineno} calls {fn.value.id}.{fn.attr}()")
                for kw in node.keywords:
                    if kw.arg in ("allow_pickle", "shell") and not (
                            isinstance(kw.value, ast.Constant) and kw.value.value is False):
                        found.append(f"{rel}:{node.lineno} passes {kw.arg}=")
    assert found == [], found


def test_yaml_is_only_read_with_safe_loaders() -> None:
    """YAML is parsed through loader classes, never yaml.load with an unsafe one: every
    loader the package names (``yaml.XLoader`` or ``getattr(yaml, "XLoader")``) is a
    safe one, no ``yaml.load*`` call names another, and one module does the parsing."""
    import yaml

    safe = {"SafeLoader", "CSafeLoader"}
    named = []
    calls = []
    for path, tree in _modules():
        rel = path.relative_to(SRC)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id == "yaml" and node.attr.endswith("Loader")):
                named.append((rel, node.attr))
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "getattr" and len(node.args) >= 2
                    and isinstance(node.args[0], ast.Name) and node.args[0].id == "yaml"
                    and isinstance(node.args[1], ast.Constant)):
                named.append((rel, str(node.args[1].value)))
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "yaml"
                    and node.func.attr in ("load", "load_all", "unsafe_load", "full_load",
                                           "safe_load", "safe_load_all")):
                calls.append((rel, node.func.attr))
    assert named, "no YAML loader found: the scan is broken"
    assert {name for _, name in named} <= safe, named
    assert not any(name in UNSAFE_LOADERS for _, name in named)
    assert all(issubclass(getattr(yaml, name), yaml.SafeLoader) or name == "CSafeLoader"
               for _, name in named if hasattr(yaml, name))
    assert calls == [], calls  # parsing goes through the loader classes above
    # one place reads YAML: every rule, config, mapping and answers file goes through it
    assert {str(rel) for rel, _ in named} == {"rulefiles.py"}


PAYLOAD = "!!python/object/apply:os.system ['echo pwned > {marker}']\n"


@pytest.mark.parametrize("kind", ["config", "mapping", "answers"])
def test_yaml_code_tags_are_refused(tmp_path: Path, kind: str) -> None:
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.yaml"
    if kind == "config":
        evil.write_text("defaults:\n  window_weeks: " + PAYLOAD.format(marker=marker))
        args = ["diagnose", str(ROOT / "samples" / "servicenow"), "--config", str(evil)]
    elif kind == "mapping":
        evil.write_text("tool: x\ncolumns:\n  ticket_id: " + PAYLOAD.format(marker=marker))
        args = ["diagnose", str(ROOT / "samples" / "glpi"), "--mapping", str(evil)]
    else:
        evil.write_text("backlog: " + PAYLOAD.format(marker=marker))
        args = ["diagnose", str(ROOT / "samples" / "servicenow"), "--answers", str(evil)]
    line = error_line(*args)
    assert str(evil) in line
    assert not marker.exists()


@pytest.mark.skipif(shutil.which("bandit") is None and not (
    Path(sys.executable).parent / "bandit").exists(), reason="bandit is not installed")
def test_bandit_is_clean() -> None:
    exe = Path(sys.executable).parent / "bandit"
    done = subprocess.run(
        [str(exe) if exe.exists() else "bandit", "-q", "-r", str(SRC), "-c",
         str(ROOT / "pyproject.toml")], capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
