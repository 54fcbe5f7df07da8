"""Pure helpers for paths and run folders (no Spark, no I/O)."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import unquote

RUN_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def default_run_id(now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    return now.strftime("run-%Y%m%d-%H%M%S")


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
