"""claim (a step): create the run folder and its summary.json (status "running") exclusively and
atomically. Of two runs with the same id exactly one gets it; the other is refused (exit 2) and
writes nothing. From here on a failure is recorded in summary.json (pipeline.run)."""

from __future__ import annotations

from .. import interrupts
from ..errors import UsageError, one_line, run_folder_taken
from ..summary import versions
from .context import RunContext


def run(ctx: RunContext) -> None:
    config, record = ctx.options, ctx.record
    for name, seconds in ctx.timings.items():  # the stages before the claim had no record to time into
        record.timed(name, seconds)
    record.merge({"versions": versions(ctx.spark)})
    interrupts.check()
    if config.overwrite:
        ctx.files.delete_recursively(ctx.run_uri)
    try:
        ctx.files.claim(ctx.run_uri, record.uri, record.text())
    except FileExistsError:
        raise run_folder_taken(ctx.run_uri) from None
    except Exception as e:  # noqa: BLE001 - unwritable --output: one line, nothing left behind
        raise UsageError(f"--output {record.doc['output']} cannot be written ({one_line(e, 300)}); "
                         "choose a folder or bucket you can write to") from None
    ctx.claimed = True
