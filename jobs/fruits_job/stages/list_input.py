"""list: every file matching the glob, the misplaced ones (not at the layout's depth), files
ignored for their extension, and broken symbolic links. Bad input is a UsageError (exit 2)."""

from __future__ import annotations

import logging

from ..errors import UsageError
from ..layout import LAYOUT_LABEL, LAYOUTS, misplaced_reason
from ..listing import broken_links, ignored_files, list_files
from .context import RunContext

log = logging.getLogger("fruits_job")


def run(ctx: RunContext) -> dict:
    config = ctx.options
    listed = list_files(ctx.spark, config)
    links = broken_links(config)  # dangling links and loops: Spark's listing drops them silently
    ignored = ignored_files(ctx.spark, config, listed)
    root = ctx.files.qualify(config.input)
    reasons = {p: misplaced_reason(p, root, config.layout) for p in listed}  # None: at the expected depth
    misplaced = [{"path": p, "reason": r} for p, r in reasons.items() if r]
    total_files = len(listed) + len(links)
    log.info("%d image files under %s", total_files, config.input)
    if total_files == 0:
        raise UsageError(f"--input {config.input} holds no image files matching {config.path_glob}"
                         f"{ignored.hint()}; check the path or --extensions")
    if len(misplaced) * 2 > len(listed):
        raise _mostly_misplaced(config, root, misplaced, len(listed))
    ctx.root, ctx.listed, ctx.total_files = root, listed, total_files
    ctx.placed = [p for p, r in reasons.items() if r is None]
    ctx.not_used = misplaced + links

    warnings = []
    if misplaced:
        warnings.append(f"{len(misplaced)} file(s) not at {LAYOUTS[config.layout]} were not used "
                        "(see failures; --layout names the supported layouts)")
    if ignored.total:
        warnings.append(ignored.warning())
    return {"counts": {"total_files": total_files, "misplaced": len(misplaced), "ignored": ignored.total,
                       "ignored_extensions": ignored.by_extension},
            "warnings": warnings}


def _mostly_misplaced(config, root: str, misplaced: list[dict], listed: int) -> UsageError:
    example = misplaced[0]["path"]
    other = ("; for <root>/<Label>/<image> pass --layout label" if config.layout != LAYOUT_LABEL
             else "; for <root>/<Split>/<Label>/<image> drop --layout label")
    return UsageError(f"{len(misplaced)} of {listed} image files under --input {config.input} are not at "
                      f"{LAYOUTS[config.layout]} (e.g. {example}){other}")
