"""Every threshold and param a config file can set has a range, declared in one place
(``config.RANGES``) or given by a generic rule (a share's threshold lies in 0-1, a count
is not negative, a duration at most ten years); a value outside it is one line naming the
file, the key and the range, exit 2, before anything runs: never "This is a bug" in the
middle of a run, never a confident verdict graded against an impossible threshold."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from itsm_diag import config, engine
from itsm_diag.api import RunOptions, _load, input_info, resolve_bounds
from itsm_diag.cli import app
from itsm_diag.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
DEMO = ROOT / "samples" / "demo"
runner = CliRunner()


def _rule_files() -> list[Path]:
    return [p for p in sorted(RULES.glob("*.yaml")) + sorted(RULES.glob("*/*.yaml"))
            if p.name != "defaults.yaml"]


def _top(data: dict[str, Any]) -> str:
    return {"sign": "signs", "check": "checks", "analysis": "analyses"}[data["kind"]]


def _default_items(rules: config.Rules) -> dict[str, Any]:
    """Every value under ``defaults``, a mapping's numbers by their own key
    (``defaults.shape.min_tickets``)."""
    out: dict[str, Any] = {}
    for key, value in rules.defaults.model_dump().items():
        if isinstance(value, dict) and config._numbers(value) is not None:
            out.update({f"defaults.{key}.{sub}": v for sub, v in value.items()})
        else:
            out[f"defaults.{key}"] = value
    return out


def _settings() -> dict[str, tuple[Any, config.Valid | None]]:
    """Every key a config can set, with its shipped value and its range."""
    rules = config.load_rules()
    ranges = config.valid_ranges(rules)
    out = {key: (value, ranges[key]) for key, (value, _) in
           config.effective_settings(rules).items() if not key.startswith("defaults.")}
    out.update({key: (value, config.default_range(key))
                for key, value in _default_items(rules).items()})
    # the KPI targets: none ship, each can be set
    out.update({f"defaults.kpi_targets.{kpi}": (None, config.default_range(
        f"defaults.kpi_targets.{kpi}")) for kpi in config.KPI_TARGETS})
    return out


SETTINGS = _settings()
RANGED = sorted(key for key, (_, valid) in SETTINGS.items() if valid is not None)


def test_every_numeric_param_and_threshold_of_every_rule_file_has_a_range() -> None:
    """Walks rules/*.yaml and rules/*/*.yaml as files (a new rule file is covered before
    it is registered): a param or threshold holding a number has a declared or generic
    range, so none can be added without one."""
    missing = []
    files = _rule_files()
    assert len(files) >= 19
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        top = _top(data)
        if top == "analyses":
            analysis = config.load_analysis_file(path)
            for name, value in analysis.params.items():
                if (config._numbers(value) is not None
                        and config.param_range(top, analysis.id, name, value) is None):
                    missing.append(f"{path.name}: params.{name}")
            continue
        rule = config.load_rule_file(path)
        for name, value in rule.params.items():
            if (config._numbers(value) is not None
                    and config.param_range(top, rule.id, name, value) is None):
                missing.append(f"{path.name}: params.{name}")
        for name in rule.thresholds.conditions:
            if config.threshold_range(top, rule, name) is None:
                missing.append(f"{path.name}: thresholds.{name}")
    for key, value in _default_items(config.load_rules()).items():
        if config._numbers(value) is not None and config.default_range(key) is None:
            missing.append(key)
    missing += [kpi for kpi in config.KPI_TARGETS
                if config.default_range(f"defaults.kpi_targets.{kpi}") is None]
    assert not missing, ("declare a range in config.RANGES (or name the param so a "
                         f"generic rule fits it) for: {', '.join(missing)}")


def test_every_declared_range_names_a_key_that_exists() -> None:
    """A range declared for a param that was renamed or removed is a typo: caught."""
    keys = set(SETTINGS)
    stale = [key for key in config.RANGES if key not in keys and not (
        key.endswith(".*") and any(k.startswith(key[:-1]) for k in keys))]
    assert not stale


@pytest.mark.parametrize("key", RANGED)
def test_shipped_value_lies_in_its_range(key: str) -> None:
    value, valid = SETTINGS[key]
    if value is None:
        return  # hourly_rate: not set
    config.check_range(key, value, valid, "shipped")


def _override(key: str, value: Any) -> dict[str, Any]:
    """The config mapping that sets ``key`` (dotted, as the config writes it)."""
    parts = key.split(".")
    if parts[0] == "defaults" and len(parts) == 3:
        sub = "incident" if parts[2] == "*" else parts[2]
        return {"defaults": {parts[1]: {sub: value}}}
    out: Any = value
    for part in reversed(parts):
        out = {part: out}
    return out


def _shaped(shipped: Any, item: Any) -> Any:
    """``item`` in the shape of the shipped value: a list of it, a mapping to it."""
    if isinstance(shipped, list):
        return [item]
    if isinstance(shipped, dict):
        return {next(iter(shipped)): item}
    return item


def _outside(valid: config.Valid, shipped: Any) -> list[Any]:
    """Values just outside ``valid``, in the shape of the shipped value."""
    items: list[Any] = []
    if valid.lo is not None:
        items.append(valid.lo if valid.lo_open else valid.lo - 1)
    if valid.hi is not None:
        items.append(valid.hi if valid.hi_open else valid.hi + 1)
        if valid.hi == 1:
            items.append(10)  # 10 meant as 10%
    if valid.whole:
        items.append((valid.lo or 0) + 0.5)
    values = [_shaped(shipped, x) for x in items]
    if valid.nonempty:
        values.append({} if isinstance(shipped, dict) else [])
    if valid.order and isinstance(shipped, list) and shipped:
        first = shipped[0]
        values.append([first, first])
    return values


OUTSIDE = [(key, value) for key in RANGED
           for value in _outside(SETTINGS[key][1], SETTINGS[key][0])]  # type: ignore[arg-type]


@pytest.mark.parametrize(("key", "value"), OUTSIDE, ids=[f"{k}={v!r}" for k, v in OUTSIDE])
def test_a_value_outside_the_range_is_one_line_naming_file_key_and_range(
        key: str, value: Any) -> None:
    with pytest.raises(ConfigError) as caught:
        config.apply_overrides(config.load_rules(), _override(key, value), "c.yaml")
    line = caught.value.one_line()
    shown = key.replace(".*", ".incident")
    assert line.startswith(f"c.yaml: {shown}"), line
    # a default's own model says the bound it broke ("Input should be less than or equal
    # to 520") or that it takes a whole number; the others say the whole range
    said = (any(w in line for w in ("Input should be ", "must be a whole number", "valid: "))
            if key.startswith("defaults.") else "valid: " in line)
    assert said and "\n" not in line, line


def _inside(valid: config.Valid, shipped: Any) -> list[Any]:
    items = [x for x, open_ in ((valid.lo, valid.lo_open), (valid.hi, valid.hi_open))
             if x is not None and not open_]
    return [_shaped(shipped, x) for x in items]


INSIDE = [(key, value) for key in RANGED
          for value in _inside(SETTINGS[key][1], SETTINGS[key][0])]  # type: ignore[arg-type]


@pytest.mark.parametrize(("key", "value"), INSIDE, ids=[f"{k}={v!r}" for k, v in INSIDE])
def test_each_end_of_a_closed_range_is_accepted(key: str, value: Any) -> None:
    config.apply_overrides(config.load_rules(), _override(key, value), "c.yaml")


def test_a_share_threshold_written_as_a_percent_says_how_to_write_it() -> None:
    with pytest.raises(ConfigError) as caught:
        config.apply_overrides(config.load_rules(),
                               {"signs": {"trust": {"thresholds": {"chasers": 10}}}}, "pct.yaml")
    assert caught.value.one_line() == (
        "pct.yaml: signs.trust.thresholds.chasers: 10 is out of range. valid: above 0 up to 1 "
        "(a share is a fraction: write 0.10 for 10%).")


# ---- the reviewer's repros, through the command line -------------------------------------

#: config files that crashed a run ("This is a bug") or gave a confident verdict against
#: an impossible threshold, and the key each error must name
REFUSED = [
    ("analyses: {forecast: {params: {interval: 95}}}", "analyses.forecast.params.interval"),
    ("analyses: {forecast: {params: {interval: 1.0}}}", "analyses.forecast.params.interval"),
    ("analyses: {forecast: {params: {interval: .nan}}}", "analyses.forecast.params.interval"),
    ("analyses: {drivers: {params: {long_quantile: 95}}}",
     "analyses.drivers.params.long_quantile"),
    ("analyses: {drivers: {params: {long_quantile: -1}}}",
     "analyses.drivers.params.long_quantile"),
    ("analyses: {drivers: {params: {long_quantile: 1.5}}}",
     "analyses.drivers.params.long_quantile"),
    ("analyses: {text-clusters: {params: {similarity: -1}}}",
     "analyses.text-clusters.params.similarity"),
    ("analyses: {text-clusters: {params: {span_days: 1000000000}}}",
     "analyses.text-clusters.params.span_days"),
    ("analyses: {forecast: {params: {horizons_weeks: [0]}}}",
     "analyses.forecast.params.horizons_weeks"),
    ("analyses: {forecast: {params: {horizons_weeks: [-5]}}}",
     "analyses.forecast.params.horizons_weeks"),
    ("analyses: {forecast: {params: {horizons_weeks: []}}}",
     "analyses.forecast.params.horizons_weeks"),
    # the backlog's noise rule: t of p = 1 crashed; a two-week trend skipped the rule
    ("signs: {backlog: {params: {noise_interval_share: 1}}}",
     "signs.backlog.params.noise_interval_share"),
    ("signs: {backlog: {params: {min_trend_weeks: 2}}}",
     "signs.backlog.params.min_trend_weeks"),
    ("signs: {backlog: {params: {age_buckets_days: []}}}",
     "signs.backlog.params.age_buckets_days"),
    ("signs: {backlog: {params: {age_buckets_days: [30, 7]}}}",
     "signs.backlog.params.age_buckets_days"),
    ("signs: {backlog: {params: {age_buckets_days: [x]}}}",
     "signs.backlog.params.age_buckets_days"),
    ("signs: {backlog: {params: {ramp_lookback_days: 999999999}}}",
     "signs.backlog.params.ramp_lookback_days"),
    ("signs: {recurrence: {params: {span_days: 1000000000}}}",
     "signs.recurrence.params.span_days"),
    ("signs: {recurrence: {params: {span_days: 0}}}", "signs.recurrence.params.span_days"),
    ("signs: {recurrence: {params: {cluster_size: 0}}}",
     "signs.recurrence.params.cluster_size"),
    ("signs: {recurrence: {params: {cluster_size: 1}}}",
     "signs.recurrence.params.cluster_size"),
    ("signs: {trust: {thresholds: {chasers: 10, bypass: 50, duplicates: 5}}}",
     "signs.trust.thresholds.chasers"),
    ("signs: {trust: {thresholds: {chasers: -0.1}}}", "signs.trust.thresholds.chasers"),
    ("signs: {onboarding: {thresholds: {late: 1.5}}}", "signs.onboarding.thresholds.late"),
    ("defaults: {weekmask: '0000000'}", "defaults.weekmask"),
]


@pytest.mark.parametrize(("text", "key"), REFUSED, ids=[k for _, k in REFUSED])
def test_reviewer_configs_are_one_line_exit_2(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "F.yaml"
    path.write_text(text + "\n", encoding="utf-8")
    result = runner.invoke(app, ["diagnose", str(DEMO), "--config", str(path), "-q"])
    assert result.exit_code == 2, result.stdout
    err = result.stderr.strip()
    assert "This is a bug" not in err and "unexpected" not in err
    assert len(err.splitlines()) == 1, err
    assert f"{path}: {key}" in err, err
    if key != "defaults.weekmask":
        assert "valid: " in err or "must hold finite numbers, not nan" in err, err


def test_a_batch_clients_weekmask_without_a_working_day_is_named_not_a_bug(
        tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "clients"
    shutil.copytree(ROOT / "samples" / "jira", root / "acme")
    (root / "acme" / "itsm-diag.toml").write_text('[defaults]\nweekmask = "0000000"\n',
                                                  encoding="utf-8")
    result = runner.invoke(app, ["batch", str(root), "--jobs", "1"])
    assert result.exit_code == 2
    index = (root / "_reports" / "index.md").read_text(encoding="utf-8")
    assert "This is a bug" not in index + result.stderr
    assert "defaults.weekmask" in index + result.stderr
    assert "no day is a working day" in index + result.stderr


def test_config_command_shows_each_range() -> None:
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0
    assert "      chasers: 0.1  # shipped default; valid: above 0 up to 1\n" in result.stdout
    assert ("      interval: 0.8  # shipped default; valid: above 0 and below 1\n"
            in result.stdout)
    assert ("      horizons_weeks: [4, 12]  # shipped default; valid: one or more items, "
            "each a whole number from 1 to 520, each once\n") in result.stdout
    # still a config file: it loads back
    config.apply_overrides(config.load_rules(), yaml.safe_load(result.stdout), "again")


# ---- values inside the ranges run, and say what they were set to ------------------------

@pytest.fixture(scope="module")
def demo() -> engine.Diagnosis:
    loaded = _load([DEMO], RunOptions())
    return engine.Diagnosis(tickets=loaded.tickets, events=loaded.events,
                            inputs=[input_info(s) for s in loaded.sources],
                            data_notes=loaded.notes)


def _diagnose(demo: engine.Diagnosis, overrides: dict[str, Any]) -> Any:
    rules = config.apply_overrides(config.load_rules(), overrides, "c.yaml")
    since, until, note = resolve_bounds(demo.tickets, rules, None, None, "UTC")
    return engine.diagnose(demo, rules, since=since, until=until, window_note=note, tz="UTC")


@pytest.mark.parametrize("horizons", [[4, 8], [4, 12, 26], [1], [26, 4]])
def test_forecast_projects_any_horizon_the_config_sets(demo: engine.Diagnosis,
                                                       horizons: list[int]) -> None:
    report = _diagnose(demo, {"analyses": {"forecast": {"params": {
        "horizons_weeks": horizons}}}})
    forecast = report.analyses["forecast"]
    assert forecast.status == "measured"
    names = [k for k in forecast.metrics if k.startswith("backlog_in_")]
    assert names == [f"backlog_in_{h}_weeks" for h in horizons]
    for h in horizons:
        metric = forecast.metrics[f"backlog_in_{h}_weeks"]
        assert metric.label == f"Backlog in {h} week{'s' if h != 1 else ''}"
        assert f"Open now + {h} x" in metric.definition
    assert [row["weeks"] for row in forecast.tables["projection"].rows] == horizons


def test_forecast_at_the_shipped_horizons_is_unchanged(demo: engine.Diagnosis) -> None:
    shipped = config.load_rules().analyses["forecast"]
    again = config.apply_overrides(config.load_rules(), {"analyses": {"forecast": {
        "params": {"horizons_weeks": [4, 12]}}}}, "c.yaml").analyses["forecast"]
    assert again.metrics == shipped.metrics


def test_a_boundary_value_runs_without_a_crash(demo: engine.Diagnosis) -> None:
    """The ends of the ranges the sweep crashed just outside of: a verdict or an unknown
    with its reason (a ten-year lookback finds the demo cut on its open dates), no crash."""
    report = _diagnose(demo, {
        "analyses": {"forecast": {"params": {"interval": 0.999}},
                     "drivers": {"params": {"long_quantile": 0.999}},
                     "text-clusters": {"params": {"similarity": 1.0, "span_days": 3640}}},
        "signs": {"backlog": {"params": {"age_buckets_days": [0.5], "ramp_lookback_days": 3640}},
                  "recurrence": {"params": {"span_days": 3640, "cluster_size": 2}}},
        "defaults": {"weekmask": "0000001"}})
    assert report.analyses["forecast"].status in ("measured", "unknown")
    assert all(math.isfinite(float(m.value)) for m in report.analyses["forecast"].metrics.values()
               if m.value is not None)
