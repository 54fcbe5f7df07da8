"""report: report.html of the complete run (report_stage.py gathers its data, report.py renders it)."""

from __future__ import annotations

from ..report_stage import write_report
from .context import RunContext


def run(ctx: RunContext) -> dict:
    return {"report_uri": write_report(ctx.spark, ctx.files, ctx.record, ctx.run_uri, ctx.metrics)}
