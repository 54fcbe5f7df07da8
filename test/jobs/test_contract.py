"""contract.json is what the job does: its argparse parser, range checks and defaults agree with
the contract option by option, and a real run writes exactly the contract's run folder files
and summary fields (the runner reads the same file: test/unit/runner/job-contract.test.ts)."""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import math

import pytest
from classifier_runs import cached_run

from fruits_job import contract, options
from fruits_job.options import COMPUTED_FIELDS, JobOptions, build_parser, field_of, parse_args
from fruits_job.featurizer.engines import ENGINES
from fruits_job.errors import UsageError
from fruits_job.layout import LAYOUTS
from fruits_job.packaging import ship_package
from fruits_job.summary import RunRecord

BASE = ["--input", "/in", "--output", "/out"]
OPTIONS = contract.options()


def _actions() -> dict[str, argparse.Action]:
    return {a.option_strings[0][2:]: a for a in build_parser()._actions if a.option_strings and a.dest != "help"}


def test_the_parser_has_exactly_the_contracts_options():
    assert sorted(_actions()) == sorted(OPTIONS)


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_each_option_parses_as_the_contract_says(name):
    spec, action = OPTIONS[name], _actions()[name]
    if spec["type"] == "flag":
        assert action.nargs == 0 and action.dest == spec.get("dest", name.replace("-", "_"))
        return
    assert action.type is {"integer": int, "number": float, "string": str}[spec["type"]]
    assert action.required == bool(spec.get("required"))
    assert list(action.choices or []) == list(spec.get("choices") or [])
    if not spec.get("required") and not spec.get("exclusive_with"):
        assert action.default == spec.get("default")


def test_the_job_config_defaults_are_the_contracts():
    c = parse_args(BASE)
    for name, field in (("k", "k"), ("batch-size", "batch_size"), ("weights", "weights"), ("engine", "engine"),
                        ("layout", "layout"), ("max-image-pixels", "max_image_pixels")):
        assert getattr(c, field) == OPTIONS[name]["default"] == getattr(JobOptions, field, OPTIONS[name]["default"]), name
    assert c.max_file_bytes == OPTIONS["max-file-mb"]["default"] * 1024 * 1024
    assert set(OPTIONS["engine"]["choices"]) == set(ENGINES) and set(OPTIONS["layout"]["choices"]) == set(LAYOUTS)


# Values the pattern of each option that has one accepts, and refuses (no generic value fits a pattern).
PATTERN_SAMPLES = {
    "run-id": (["run-1", "a.b_c-d", "x" * 128], ["../up", "-x", "a/b", "x" * 129, "run\n"]),
    "weights": (["imagenet", "test-only-random:7", "/m/w.H5", "s3://b/f.onnx", "x.hdf5"],
                ["random:1", "test-only-random:x", "/m/w.bin", "random.h5", "imagenet2"]),
}


def _other_value(name: str, spec: dict) -> str | None:
    """A value the job accepts for --name that is not its default (None for a flag: given = not default)."""
    if spec["type"] == "flag":
        return None
    if spec.get("choices"):
        return next(c for c in spec["choices"] if c != spec.get("default"))
    if spec["type"] == "string":
        if spec.get("pattern"):
            assert name in PATTERN_SAMPLES, f"--{name} has a pattern: add values it accepts and refuses to PATTERN_SAMPLES"
            return next(v for v in PATTERN_SAMPLES[name][0] if v != spec.get("default"))
        return f"other-{name}"
    lo, hi = spec.get("min"), spec.get("max")
    candidates = [v for v in (lo, hi, None if lo is None or hi is None else (lo + hi) / 2, 1, 2, 3) if v is not None]
    if spec["type"] == "integer":
        candidates = [int(v) for v in candidates]
    value = next(v for v in candidates if contract.in_range(spec, v) and v != spec.get("default"))
    return str(value)


def _with_option(name: str, spec: dict) -> list[str]:
    value = _other_value(name, spec)
    return [f"--{name}"] if value is None else [f"--{name}={value}"]  # = : a value such as -1e-06 is no flag


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_every_contract_option_has_a_job_options_field_and_reaches_it(name):
    """A value other than the default arrives in the option's JobOptions field (min-score -> min_score),
    through parse_args' generic copy, or its computation for the few in COMPUTED_FIELDS."""
    spec, field_name = OPTIONS[name], field_of(name)
    assert field_name in {f.name for f in dataclasses.fields(JobOptions)}, (
        f"--{name} has no JobOptions field: add `{field_name}: <type> = _default({name!r})` "
        "(without the type annotation it is no dataclass field)")
    base = BASE + ["--run-id", "run-0"]
    before, after = parse_args(base), parse_args(base + _with_option(name, spec))
    assert getattr(after, field_name) != getattr(before, field_name), f"--{name} did not reach JobOptions.{field_name}"
    if name not in COMPUTED_FIELDS:  # a plain copy: exactly the value given
        value = _other_value(name, spec)
        typed = {"flag": lambda _: not contract.default(name), "integer": int, "number": float, "string": str}
        assert getattr(after, field_name) == typed[spec["type"]](value)


def test_an_option_added_to_the_contract_and_job_options_reaches_the_job(monkeypatch):
    """The contract entry plus the JobOptions field is all it takes: parse_args names no option."""
    doc = copy.deepcopy(contract.load())
    doc["options"]["test-only-threshold"] = {"type": "number", "min": 0, "max": 1, "default": 0.5, "help": "a test option"}
    monkeypatch.setattr(contract, "load", lambda: doc)
    extended = dataclasses.make_dataclass(
        "ExtendedJobOptions", [("test_only_threshold", float, dataclasses.field(default=0.5))],
        bases=(JobOptions,), frozen=True)
    monkeypatch.setattr(options, "JobOptions", extended)
    assert parse_args(BASE + ["--test-only-threshold", "0.7"]).test_only_threshold == 0.7
    assert parse_args(BASE).test_only_threshold == 0.5


def test_exclusive_options_keep_their_defaults_unless_the_partner_is_given():
    assert (parse_args(BASE).k, parse_args(BASE).variance_target) == (OPTIONS["k"]["default"], None)
    assert (parse_args(BASE + ["--variance-target", "0.9"]).k, parse_args(BASE + ["--k", "7"]).variance_target) == (None, None)


def _edges(spec: dict) -> tuple[list, list]:
    """(accepted, refused) values at the bounds of a numeric option."""
    step = 1 if spec["type"] == "integer" else 1e-6
    ok, bad = [], []
    for bound, exclusive, sign in ((spec.get("min"), spec.get("min_exclusive"), 1),
                                   (spec.get("max"), spec.get("max_exclusive"), -1)):
        if bound is None:
            continue
        inside = bound + sign * step if exclusive else bound
        ok.append(inside)
        bad.append(bound if exclusive else bound - sign * step)
    return ok, bad


NUMERIC = sorted(n for n, s in OPTIONS.items() if s["type"] in ("integer", "number"))


def _assert_range(name: str, spec: dict) -> None:
    ok, bad = _edges(spec)
    assert ok and bad, f"{name} has no bound in the contract"
    # --name=value: as a separate word, a refused value such as -1e-06 (below an inclusive min 0)
    # is read by argparse as an option ("expected one argument"), not as the value to check.
    for v in ok:
        parse_args(BASE + [f"--{name}={v}"])
    for v in bad:
        with pytest.raises(UsageError) as e:
            parse_args(BASE + [f"--{name}={v}"])
        assert str(e.value).startswith(f"--{name} ") and contract.range_text(spec) in str(e.value)


@pytest.mark.parametrize("name", NUMERIC)
def test_the_job_accepts_and_refuses_exactly_the_contracts_range(name):
    """The same values the runner's test feeds (fails if a hand-written check drifts)."""
    _assert_range(name, OPTIONS[name])


def test_the_range_test_works_for_a_number_from_an_inclusive_zero(monkeypatch):
    """No option of today's contract starts at an inclusive 0; one added (like the docs' --min-score)
    is refused at -1e-06, a value that must reach the job as a value (see _assert_range)."""
    doc = copy.deepcopy(contract.load())
    spec = {"type": "number", "min": 0, "max": 1, "default": 0.5, "help": "a test option"}
    doc["options"]["test-only-threshold"] = spec
    monkeypatch.setattr(contract, "load", lambda: doc)
    assert _edges(spec)[1][0] == -1e-06
    _assert_range("test-only-threshold", spec)


@pytest.mark.parametrize("name", sorted(n for n, s in OPTIONS.items() if s.get("pattern")))
def test_string_patterns_decide_what_the_job_accepts(name):
    assert name in PATTERN_SAMPLES, f"--{name} has a pattern: add values it accepts and refuses to PATTERN_SAMPLES"
    samples = PATTERN_SAMPLES[name]
    for v in samples[0]:
        assert contract.matches(OPTIONS[name], v)
        parse_args(BASE + [f"--{name}", v])
    for v in samples[1]:
        assert not contract.matches(OPTIONS[name], v)
        with pytest.raises(UsageError):
            parse_args(BASE + [f"--{name}", v])


# ------------------------------------------------------------------ the options summary.json records

def _recorded_options(config) -> dict:
    return RunRecord(None, "/out/r/summary.json", config, "/out/r").doc["options"]


def test_the_summary_records_the_options_the_contract_lists_in_its_order():
    """From the first summary.json written (the claim's): every field the contract lists, none else."""
    config = parse_args(BASE + ["--k", "7", "--no-train", "--layout", "label", "--engine", "keras"])
    recorded = _recorded_options(config)
    assert list(recorded) == contract.summary_options()
    assert recorded == {name: getattr(config, name) for name in contract.summary_options()}
    assert (recorded["k"], recorded["train"], recorded["layout"], recorded["engine"]) == (7, False, "label", "keras")


def test_every_contract_option_is_in_the_runs_record_or_the_contract_says_why_not():
    """A new option is listed under summary.fields.options (then summary.json records it with no
    code) or named in its not_recorded with the reason; forgetting both fails here."""
    fields = contract.load()["summary"]["fields"]
    listed, not_recorded = fields["options"]["fields"], fields["options"]["not_recorded"]
    job_fields = {f.name for f in dataclasses.fields(JobOptions)}
    assert set(listed) <= job_fields and set(not_recorded) <= set(OPTIONS)
    for name in OPTIONS:
        own_field = field_of(name) in fields  # input, output, run_id, weights
        assert own_field or field_of(name) in listed or name in not_recorded, (
            f"--{name}: add {field_of(name)!r} to summary.fields.options.fields in contract.json "
            "(or name it in not_recorded there, with the reason)")


def test_a_field_added_to_the_contracts_summary_options_is_recorded(monkeypatch):
    doc = copy.deepcopy(contract.load())
    doc["summary"]["fields"]["options"]["fields"].append("verbose")
    monkeypatch.setattr(contract, "load", lambda: doc)
    assert _recorded_options(parse_args(BASE + ["--verbose"]))["verbose"] is True


def test_options_are_not_abbreviated():
    """The runner checks job options by full name; an abbreviation would slip past it."""
    with pytest.raises(UsageError, match="unrecognized arguments: --batch 8"):
        parse_args(BASE + ["--batch", "8"])


def test_range_texts():
    assert contract.range_text(OPTIONS["k"]) == "1..1280"
    assert contract.range_text(OPTIONS["variance-target"]) == "(0, 1]"
    assert contract.range_text(OPTIONS["max-file-mb"]) == "(0, 2048)"
    assert contract.range_text(OPTIONS["tf-threads"]) == "1 or more"
    assert not contract.in_range(OPTIONS["variance-target"], math.nan)


def test_the_contract_ships_with_the_autoshipped_package(tmp_path, monkeypatch):
    """Executors importing fruits_job from the job's own zip find contract.json too."""
    import zipfile

    added = []

    class FakeSc:
        applicationId = "app-contract-test"

        def getConf(self):
            return {"spark.submit.pyFiles": ""}  # a dict has .get like SparkConf

        def addPyFile(self, path):
            added.append(path)

    class FakeSpark:
        sparkContext = FakeSc()

    ship_package(FakeSpark())
    assert "fruits_job/contract.json" in zipfile.ZipFile(added[0]).namelist()


# ------------------------------------------------------------------ a real run's folder and summary

@pytest.fixture(scope="module")
def separable(run_job, tmp_path_factory):
    return cached_run("separable", run_job, tmp_path_factory, shuffled=False)


def test_a_real_summary_has_exactly_the_contracts_fields(separable):
    fields = contract.load()["summary"]["fields"]
    s = separable.summary
    assert s["status"] == "succeeded"
    required = {n for n, f in fields.items() if f["when"] in ("always", "succeeded")}
    assert required <= set(s), f"missing: {sorted(required - set(s))}"
    assert set(s) <= set(fields), f"not in the contract: {sorted(set(s) - set(fields))}"
    for name, f in fields.items():
        if "fields" in f:
            assert sorted(s[name]) == sorted(f["fields"]), name


def test_a_real_run_folder_has_exactly_the_contracts_files(separable):
    files = {f["path"] for f in contract.load()["run_folder"]["files"].values()}
    run = separable.run_dir
    present = {p for p in files if (run / p).exists()}
    found = {str(p.relative_to(run)) for p in run.iterdir()} - {"models"}
    found |= {f"models/{p.name}" for p in (run / "models").iterdir()}
    assert found == present, f"not in the contract: {sorted(found - files)}"
    # a trained, evaluated onnx run with Keras (random) weights writes every file the contract lists
    assert present == files
    assert json.loads((run / "summary.json").read_text())["status"] == "succeeded"


def test_job_options_take_every_default_from_the_contract():
    """JobOptions() repeats no default: each field named after an option has the contract's."""
    import dataclasses

    fields = {f.name: f for f in dataclasses.fields(JobOptions)}
    by_field = {spec.get("dest", name.replace("-", "_")): name for name, spec in OPTIONS.items()}
    checked = 0
    for field_name, option_name in by_field.items():
        f = fields.get(field_name)
        if f is None or f.default is dataclasses.MISSING:
            continue
        assert f.default == contract.default(option_name), field_name
        checked += 1
    assert checked >= 12


def test_markers_and_exit_codes_are_the_contracts():
    from fruits_job import cli, errors, interrupts, progress
    from fruits_job.featurizer import weights

    c = contract.load()
    assert (cli.SUMMARY_MARKER, progress.MARKER, progress.LINES_ENV) == (
        c["markers"]["summary"], c["markers"]["progress"], c["markers"]["progress_lines_env"])
    assert (errors.UsageError.exit_code, errors.JobFailure.exit_code, interrupts.EXIT_CODE, weights.ConverterMissing.exit_code) == (
        c["exit_codes"]["usage"], c["exit_codes"]["failed"], c["exit_codes"]["interrupted"], c["exit_codes"]["tensorflow_missing"])


def test_the_summary_fields_the_runner_prints_are_declared():
    fields = contract.load()["summary"]["fields"]
    for path in contract.load()["summary"]["printed"]:
        head, *rest = path.split(".")
        assert head in fields, path
        if rest and "fields" in fields[head]:
            assert rest[0] in fields[head]["fields"], path
