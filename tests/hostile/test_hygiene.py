"""Security hygiene of the source: YAML only through safe loaders, no eval/exec/pickle
or shell on anything, and bandit clean (CI runs bandit as its own step too)."""

from __future__ import annotations

import ast
import importlib
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
SUBPROCESS_ALLOWED = {"render/pdf.py"}


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
    import yaml

    SAFE = (yaml.SafeLoader, *((yaml.CSafeLoader,) if hasattr(yaml, "CSafeLoader") else ()))

    calls = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "yaml"
                    and node.func.attr in ("load", "safe_load", "load_all", "safe_load_all")):
                loader = next((k.value for k in node.keywords if k.arg == "Loader"), None)
                loader_name = (loader.attr if isinstance(loader, ast.Attribute) else
                               loader.id if isinstance(loader, ast.Name) else None)
                calls.append((path.relative_to(SRC), node.func.attr, loader_name))
    assert calls, "no YAML reads found: the scan is broken"
    for rel, func, loader_name in calls:
        if func.startswith("safe_"):
            continue
        assert loader_name is not None and loader_name not in UNSAFE_LOADERS, (rel, func)
        module = importlib.import_module(f"itsm_diag.{str(rel)[:-3].replace('/', '.')}")
        if hasattr(module, loader_name):
            assert issubclass(getattr(module, loader_name), SAFE), (rel, loader_name)
            continue
        # a local name: every assignment to it must name only safe loaders
        source = (SRC / rel).read_text(encoding="utf-8")
        assigned = [ast.get_source_segment(source, n.value) or ""
                    for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == loader_name
                            for t in n.targets)]
        assert assigned, (rel, loader_name)
        for text in assigned:
            assert "SafeLoader" in text and not any(
                f"yaml.{u}" in text for u in UNSAFE_LOADERS), (rel, text)
    # one place reads YAML: every rule, config, mapping and answers file goes through it
    assert [str(rel) for rel, _, _ in calls] == ["rulefiles.py"]


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
