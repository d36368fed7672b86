"""The command line through typer's runner: every command and every exit code."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from itsm_diag import schema
from itsm_diag.cli import app
from itsm_diag.config import SIGN_IDS

FIX = Path(__file__).parent / "fixtures" / "servicenow"
GOOD = [str(FIX / n) for n in ("incident_fields_dayfirst.csv", "change_request_raw.csv",
                               "problem_labels.csv", "sc_req_item.csv")]
runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_help_lists_commands() -> None:
    code, out, _ = run("--help")
    assert code == 0
    for cmd in ("diagnose", "inspect", "demo", "signs", "explain"):
        assert cmd in out


def test_signs_lists_seven_in_order() -> None:
    code, out, _ = run("signs")
    assert code == 0
    positions = [out.index(f" {sid} ") for sid in SIGN_IDS]
    assert positions == sorted(positions)


def test_explain_prints_the_rule_page() -> None:
    code, out, _ = run("explain", "recurrence")
    assert code == 0
    for heading in ("What it checks", "Why it matters", "Thresholds", "Override in a --config",
                    "Data it needs", "Fixes"):
        assert heading in out


def test_explain_unknown_sign_is_exit_2() -> None:
    code, _, err = run("explain", "nosuch")
    assert code == 2 and "valid ids" in err and "backlog" in err


def test_diagnose_json_matches_schema_and_contract(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    code, _, err = run("diagnose", *GOOD, "--format", "json", "--output", str(out))
    assert code == 0, err
    doc = json.loads(out.read_text())
    jsonschema.validate(doc, schema.shipped())
    assert doc["schema_version"] == 1
    assert [s["id"] for s in doc["signs"]] == list(SIGN_IDS)
    assert doc["tickets"]["total"] == 14
    assert doc["tickets"]["by_kind"]["incident"] == 5
    assert doc["score"] == sum(s["status"] == "triggered" for s in doc["signs"])
    assert doc["unknown"] == sum(s["status"] == "unknown" for s in doc["signs"])
    assert [i["table"] for i in doc["inputs"]] == ["incident", "change_request", "problem",
                                                   "sc_req_item"]
    assert not list(tmp_path.glob(".*.tmp")), "temporary file left behind"


def test_diagnose_terminal_fits_100_columns() -> None:
    code, out, err = run("diagnose", *GOOD)
    assert code == 0, err
    assert "Score" in out and "The seven warning signs" in out
    assert max(len(line) for line in out.splitlines()) <= 100


@pytest.mark.parametrize(("fail_on", "expected"), [("0", 1), ("7", 0), ("healthy", 1)])
def test_fail_on_exit_codes(fail_on: str, expected: int) -> None:
    code, _, err = run("diagnose", *GOOD, "--format", "json", "--fail-on", fail_on)
    assert code == expected, err


def test_fail_on_nonsense_is_usage_error() -> None:
    code, _, err = run("diagnose", *GOOD, "--fail-on", "purple")
    assert code == 2 and "--fail-on" in err


@pytest.mark.parametrize("name", ["empty.csv", "header_only.csv", "missing_opened.csv",
                                  "not_servicenow.csv", "ambiguous_dates.csv", "nosuch.csv"])
def test_bad_input_is_exit_2_one_line(name: str) -> None:
    code, _, err = run("diagnose", str(FIX / name))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and name in lines[0] and "Traceback" not in err


def test_config_typo_names_the_key(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("signs:\n  backlog:\n    thresholds:\n      min_shrinkk: 0.1\n")
    code, _, err = run("diagnose", *GOOD, "--config", str(cfg))
    assert code == 2
    assert "min_shrinkk" in err and "min_shrink" in err.split("valid keys here:")[1]


@pytest.mark.parametrize("option", ["--config", "--mapping", "--answers"])
def test_broken_yaml_names_the_file_and_line_alike(tmp_path: Path, option: str) -> None:
    # config, mapping and answers files go through the one YAML reader
    bad = tmp_path / "broken.yaml"
    bad.write_text("signs:\n  backlog: [oops\n  more: 1\n")
    command = "quiz" if option == "--answers" else "diagnose"
    extra = ["--no-input"] if option == "--answers" else []
    code, _, err = run(command, *GOOD, option, str(bad), *extra)
    assert code == 2
    assert err.startswith(f"itsm-diag: error: {bad}: row 3: not valid YAML: ")
    assert err.rstrip().endswith("fix the YAML syntax (indentation, quotes, colons).")


def test_config_override_is_reported(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("defaults:\n  hourly_rate: 60\n")
    code, out, err = run("diagnose", *GOOD, "--format", "json", "--config", str(cfg))
    assert code == 0, err
    doc = json.loads(out)
    assert doc["assumptions"]["hourly_rate"] == 60
    assert doc["assumptions"]["overrides"] == {"defaults.hourly_rate": str(cfg)}


def test_answers_fill_unknown_signs(tmp_path: Path) -> None:
    incidents = GOOD[0]  # incidents only: onboarding and strategy cannot be answered
    code, out, _ = run("diagnose", incidents, "--format", "json")
    unknown = [s["id"] for s in json.loads(out)["signs"] if s["status"] == "unknown"]
    assert {"onboarding", "strategy"} <= set(unknown)
    answers = tmp_path / "answers.yaml"
    answers.write_text("".join(f"{sid}: true\n" for sid in unknown))
    code, out, err = run("diagnose", incidents, "--format", "json", "--answers", str(answers))
    assert code == 0, err
    doc = json.loads(out)
    filled = [s for s in doc["signs"] if s["id"] in unknown]
    assert all(s["self_assessed"] and s["status"] == "triggered" for s in filled)
    assert doc["self_assessed"] == len(unknown) and doc["unknown"] == 0


def test_answers_file_with_unknown_sign_is_exit_2(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text("backlogg: true\n")
    code, _, err = run("diagnose", *GOOD, "--answers", str(answers))
    assert code == 2 and "backlogg" in err


def test_until_and_since_set_the_window() -> None:
    code, out, err = run("diagnose", *GOOD, "--format", "json", "--since", "2026-03-01",
                         "--until", "2026-04-01")
    assert code == 0, err
    window = json.loads(out)["window"]
    assert window["start"].startswith("2026-03-01") and window["end"].startswith("2026-04-01")
    code, _, err = run("diagnose", *GOOD, "--until", "someday")
    assert code == 2 and "--until" in err


def test_inspect_reports_detection_and_coverage() -> None:
    code, out, err = run("inspect", *GOOD[:1])
    assert code == 0, err
    assert "tool servicenow, table incident" in out
    assert "date column opened_at: %d/%m/%Y %H:%M:%S" in out
    assert "coverage" in out


def test_demo_runs() -> None:
    code, out, err = run("demo", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["tickets"]["total"] > 1000


def test_shipped_schema_matches_model() -> None:
    assert schema.shipped() == json.loads(schema.text())


def test_output_to_a_device_writes_through_it() -> None:
    import os
    import stat

    from itsm_diag.render import write_atomic

    write_atomic(Path("/dev/null"), "x")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode), "/dev/null must stay a device"


_SCRIPT = """
import atexit, sys
from pathlib import Path
from itsm_diag.__main__ import main
marker = Path(sys.argv.pop())
atexit.register(lambda: marker.write_text("exit handlers ran"))
sys.argv = ["itsm-diag", *sys.argv[1:]]
main()
sys.exit(99)  # main() returned instead of leaving
"""


@pytest.mark.parametrize(("args", "expected"), [
    (["demo", "--format", "json", "--output", "{out}"], 0),
    (["diagnose", "{demo}", "--format", "json", "--output", "{out}", "--fail-on", "1"], 1),
    (["diagnose", "{missing}"], 2),
    (["explain", "no-such-sign"], 2),
    (["demo", "--format", "json"], 0),  # the report on standard output, whole
])
def test_console_script_leaves_with_the_command_s_code(tmp_path: Path, args: list[str],
                                                      expected: int) -> None:
    # main() skips the interpreter's teardown: exit codes, written reports, flushed
    # streams and exit handlers must all be as if it had not
    import subprocess
    import sys

    out, marker = tmp_path / "report.json", tmp_path / "atexit"
    demo = Path(__file__).parents[1] / "samples" / "demo"
    argv = [a.format(out=out, missing=tmp_path / "missing.csv", demo=demo) for a in args]
    done = subprocess.run([sys.executable, "-c", _SCRIPT, *argv, str(marker)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == expected, done.stderr
    assert marker.read_text() == "exit handlers ran"
    if expected == 2:
        assert done.stderr.count("\n") == 1 and done.stderr.startswith("itsm-diag: error:")
    elif "--output" in args:
        assert json.loads(out.read_text())["score"] >= 0
    else:
        assert json.loads(done.stdout)["score"] >= 0


_HUGE_PAGES = """
import atexit, sys
from pathlib import Path
from itsm_diag.__main__ import main
marker = Path(sys.argv.pop())
def record():
    import numpy
    marker.write_text(str(numpy._core.multiarray._get_madvise_hugepage()))
atexit.register(record)
sys.argv = ["itsm-diag", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize(("setting", "advised"), [(None, "False"), ("1", "True"), ("0", "False")])
def test_a_command_runs_without_huge_page_advice_unless_the_user_asks(
        tmp_path: Path, setting: str | None, advised: str) -> None:
    # numpy reads its switch once, when imported: the command must set it before the
    # diagnosis imports numpy, and leave a user's own choice alone
    import os
    import subprocess
    import sys

    np = pytest.importorskip("numpy")
    core = getattr(np, "_core", None)  # numpy 2's name; numpy 1 cannot be asked the same way
    if core is None or not hasattr(core.multiarray, "_get_madvise_hugepage"):
        pytest.skip("this numpy cannot say whether it advises huge pages")
    env = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    if setting is not None:
        env["NUMPY_MADVISE_HUGEPAGE"] = setting
    marker = tmp_path / "advice"
    done = subprocess.run([sys.executable, "-c", _HUGE_PAGES, "demo", "--format", "json",
                           "--output", str(tmp_path / "r.json"), str(marker)],
                          capture_output=True, text=True, timeout=120, check=False, env=env)
    assert done.returncode == 0, done.stderr
    assert marker.read_text() == advised


_MALLOPT = """
import sys
from pathlib import Path
import itsm_diag.__main__ as entry
marker = Path(sys.argv.pop())
keep = entry.keep_freed_memory
def recorded():
    taken = keep()
    marker.write_text(",".join(taken))
    return taken
entry.keep_freed_memory = recorded
sys.argv = ["itsm-diag", *sys.argv[1:]]
entry.main()
"""


def _glibc() -> bool:
    import os

    try:
        return bool(os.confstr("CS_GNU_LIBC_VERSION"))
    except (AttributeError, ValueError, OSError):
        return False


@pytest.mark.skipif(not _glibc(), reason="the allocator settings are glibc's")
def test_a_command_keeps_freed_memory_unless_the_user_tunes_the_allocator(
        tmp_path: Path) -> None:
    # glibc's allocator told to keep what it frees: a third fewer page faults and half the
    # system time at 3M tickets; a user's own MALLOC_* or GLIBC_TUNABLES is left alone,
    # and the report is the same either way
    import os
    import subprocess
    import sys

    from itsm_diag.__main__ import MALLOPT_SETTINGS, malloc_tuned_by_user

    base = {k: v for k, v in os.environ.items()
            if k != "GLIBC_TUNABLES" and not k.startswith("MALLOC_")}
    assert not malloc_tuned_by_user(base)
    runs = {}
    for name, extra in (("ours", {}), ("theirs", {"MALLOC_ARENA_MAX": "4"}),
                        ("tunables", {"GLIBC_TUNABLES": "glibc.malloc.arena_max=4"})):
        marker = tmp_path / f"{name}.taken"
        out = tmp_path / f"{name}.json"
        done = subprocess.run([sys.executable, "-c", _MALLOPT, "demo", "--format", "json",
                               "--output", str(out), str(marker)], capture_output=True,
                              text=True, timeout=120, check=False, env={**base, **extra})
        assert done.returncode == 0, done.stderr
        runs[name] = (marker.read_text(), out.read_bytes())
    assert runs["ours"][0] == ",".join(name for _, _, name in MALLOPT_SETTINGS)
    assert runs["theirs"][0] == "" and runs["tunables"][0] == ""
    assert runs["ours"][1] == runs["theirs"][1] == runs["tunables"][1]


_PLUGINS = """
import atexit, sys
from pathlib import Path
from itsm_diag.__main__ import main
marker = Path(sys.argv.pop())
def record():
    from pydantic.plugin import _loader
    marker.write_text(str(_loader._plugins is None))
atexit.register(record)
sys.argv = ["itsm-diag", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize(("setting", "unscanned"), [(None, "True"), ("", "False")])
def test_a_command_does_not_scan_for_pydantic_plugins_unless_the_user_asks(
        tmp_path: Path, setting: str | None, unscanned: str) -> None:
    # the scan of every package's entry points costs 15-40 ms of each run; a user's own
    # PYDANTIC_DISABLE_PLUGINS (here: empty, so plugins load) is left alone
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    if setting is not None:
        env["PYDANTIC_DISABLE_PLUGINS"] = setting
    marker = tmp_path / "plugins"
    done = subprocess.run([sys.executable, "-c", _PLUGINS, "demo", "--format", "json",
                           "--output", str(tmp_path / "r.json"), str(marker)],
                          capture_output=True, text=True, timeout=120, check=False, env=env)
    assert done.returncode == 0, done.stderr
    assert marker.read_text() == unscanned


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
def test_a_report_that_cannot_be_written_is_exit_2() -> None:
    # a full disk behind `>`: the cut report must not pass for a written one (exit 0)
    import subprocess
    import sys

    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-c", "from itsm_diag.__main__ import main; main()",
                               "demo", "--format", "json"], stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=120, check=False)
    assert done.returncode == 2
    assert done.stderr == ("itsm-diag: error: cannot write the report to standard output: No "
                           "space left on device. check where standard output is sent (a full "
                           "disk?).\n")


def test_a_report_to_a_missing_folder_is_exit_2(tmp_path: Path) -> None:
    code, _, err = run("demo", "--format", "json", "--output", str(tmp_path / "no" / "r.json"))
    assert code == 2
    assert err.startswith(f"itsm-diag: error: cannot write the report to {tmp_path}")
    assert "No such file or directory" in err and not list(tmp_path.iterdir())
