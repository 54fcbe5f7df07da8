"""The stage lists outside pipeline.STAGES are derived from it: docs/job.md's stage table is generated
from pipeline.py's source (npm run gen:docs, config/stage-docs.ts; test/unit/docs/generated.test.ts
fails when the page is not regenerated), and this checks the generated table against the STAGES
the job really runs, so a misread entry cannot slip into the docs."""

from __future__ import annotations

import re

from conftest import REPO

from fruits_job.pipeline import STAGES

JOB_MD = REPO / "docs" / "job.md"
STAGES_DIR = REPO / "jobs" / "fruits_job" / "stages"
HELPERS = {"__init__", "context"}  # modules of stages/ that are no stage


def _stage_table(text: str) -> list[tuple[str, str, str, bool]]:
    section = re.search(r"<!-- generated:stages:start.*?-->\n(.*?)<!-- generated:stages:end -->", text, re.S)
    assert section, "docs/job.md has no generated stages section"
    rows = []
    for line in section.group(1).splitlines()[2:]:  # after the header and the |---| line
        m = re.match(r"\| `([\w-]+)` \| `stages/(\w+)\.py` `(\w+)` \| (yes|no \(a step\)) \|", line)
        assert m, f"unreadable row in docs/job.md's stage table: {line}"
        rows.append((m[1], m[2], m[3], m[4] == "yes"))
    return rows


def test_the_docs_stage_table_is_the_stages_the_job_runs():
    assert all(s.run.__module__.startswith("fruits_job.stages.") for s in STAGES)
    assert _stage_table(JOB_MD.read_text(encoding="utf-8")) == _actual(), "run npm run gen:docs"


def _actual() -> list[tuple[str, str, str, bool]]:
    return [(s.name, s.run.__module__.rsplit(".", 1)[1], s.run.__name__, s.timed) for s in STAGES]


def test_a_table_missing_a_stage_is_told_apart():
    """The comparison above is no tautology: a page whose table lacks a stage fails it."""
    text = JOB_MD.read_text(encoding="utf-8")
    last = f"| `{STAGES[-1].name}` |"
    shortened = "\n".join(line for line in text.splitlines() if not line.startswith(last))
    assert _stage_table(shortened) == _actual()[:-1] != _actual()


def test_every_stage_module_runs_a_stage():
    """A module added to stages/ without its STAGES entry would never run."""
    modules = {p.stem for p in STAGES_DIR.glob("*.py")} - HELPERS
    used = {s.run.__module__.rsplit(".", 1)[1] for s in STAGES}
    assert modules - used == set(), "stage modules no STAGES entry runs (add one in pipeline.py)"
    assert used <= modules
