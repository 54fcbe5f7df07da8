"""Pure helpers for paths and run folders (no Spark, no I/O)."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timezone
from urllib.parse import unquote

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def default_run_id(now: datetime | None = None, suffix: str | None = None) -> str:
    """run-YYYYMMDD-HHMMSS-<6 random hex>: two runs started in the same second still differ
    (the run folder claim refuses a collision anyway; this makes one practically impossible)."""
    now = now or datetime.now(timezone.utc)
    return now.strftime("run-%Y%m%d-%H%M%S-") + (suffix if suffix is not None else secrets.token_hex(3))


def has_scheme(uri: str) -> bool:
    return bool(_SCHEME.match(uri))


def is_local(uri: str) -> bool:
    """True for plain paths and file:// URIs (which Python can read directly)."""
    return not has_scheme(uri) or uri.startswith("file://")


def local_path(uri: str) -> str:
    """file:///a/b -> /a/b ; plain paths unchanged."""
    if uri.startswith("file://"):
        return unquote(uri[len("file://"):])
    return uri


def join_uri(base: str, *parts: str) -> str:
    out = base.rstrip("/")
    for part in parts:
        out = f"{out}/{part.strip('/')}"
    return out


def image_glob(extensions: list[str]) -> str:
    """Case-insensitive glob for Hadoop's pathGlobFilter, e.g. *.{[jJ][pP][gG],[pP][nN][gG]}."""

    def ci(ext: str) -> str:
        return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in ext)

    exts = [e.lower().lstrip(".") for e in extensions if e.strip(".")]
    if not exts:
        raise ValueError("at least one image extension is needed")
    if len(exts) == 1:
        return f"*.{ci(exts[0])}"
    return "*.{" + ",".join(ci(e) for e in exts) + "}"


# ---------------------------------------------------------------- where a file sits under --input
# Names come only from folders BELOW --input: a file elsewhere is reported, never renamed.

LAYOUT_SPLIT_LABEL = "split-label"  # <root>/<Split>/<Label>/<image> (Fruits-360)
LAYOUT_LABEL = "label"              # <root>/<Label>/<image>: a seeded split makes Training/Test
LAYOUTS = {LAYOUT_SPLIT_LABEL: "<root>/<Split>/<Label>/<image>", LAYOUT_LABEL: "<root>/<Label>/<image>"}
# --layout label: this share of each label's files (by a seeded hash of the path below the
# root, so a file keeps its split across runs and machines) is held out as Test.
SEEDED_TEST_PERCENT = 20
SEEDED_SPLIT_SEED = 42
SEEDED_TRAIN, SEEDED_TEST = "Training", "Test"


def layout_depth(layout: str) -> int:
    """Path parts below the root: split/label/file = 3, label/file = 2."""
    return 3 if layout == LAYOUT_SPLIT_LABEL else 2


def relative_parts(path: str, root: str) -> list[str] | None:
    """'file:/r/Training/apple/1.jpg', 'file:/r' -> ['Training', 'apple', '1.jpg']; None when
    the path is not below root. Both must be spelled alike (Hadoop qualified paths)."""
    prefix = root.rstrip("/") + "/"
    return path[len(prefix):].split("/") if path.startswith(prefix) else None


def misplaced_reason(path: str, root: str, layout: str) -> str | None:
    """Why a listed file cannot be named by `layout`, or None when it can."""
    parts = relative_parts(path, root)
    if parts is None:
        return f"not below --input {root}; not used"
    depth = layout_depth(layout)
    if len(parts) == depth and all(parts):
        return None
    folders = len(parts) - 1
    hint = ("; move it, or use --layout label for <root>/<Label>/<image>"
            if layout == LAYOUT_SPLIT_LABEL and folders == 1 else "; move it there")
    return (f"not at {LAYOUTS[layout]}: {folders} folder(s) below --input instead of {depth - 1}, "
            f"so its split and label are unknown{hint}")
