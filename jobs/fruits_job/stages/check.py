"""check (a step, before anything is read): --input exists and the run folder is free (exit 2)."""

from __future__ import annotations

from ..errors import missing_input, run_folder_taken
from .context import RunContext


def run(ctx: RunContext) -> None:
    if not ctx.files.exists(ctx.options.input):
        raise missing_input(ctx.options.input)
    if ctx.files.exists(ctx.run_uri) and not ctx.options.overwrite:
        raise run_folder_taken(ctx.run_uri)
