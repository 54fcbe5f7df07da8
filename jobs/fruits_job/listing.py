"""The input's files: what Spark lists and reads (the glob, the layout's split and label
columns), and what its listing does not show: files skipped for their extension (counted,
with a hint naming --extensions) and, for local inputs, symbolic links that lead nowhere
(dangling, or loops), which Spark's listing drops without a word."""

from __future__ import annotations

import errno
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from urllib.parse import unquote, urlsplit

from .errors import missing_input
from .layout import (LAYOUT_LABEL, SEEDED_SPLIT_SEED, SEEDED_TEST, SEEDED_TEST_PERCENT, SEEDED_TRAIN, is_local,
                     layout_depth, local_path)


def read_images(spark, config):
    return (spark.read.format("binaryFile")
            .option("recursiveFileLookup", "true")
            .option("pathGlobFilter", config.path_glob)
            .load(config.input))


def list_files(spark, config) -> list[str]:
    """Every file matching the glob, as Spark's `path` column spells it. Reads no content.

    Taken from the file index rather than a scan because scans silently drop zero-byte
    files, which must be reported too.
    """
    from pyspark.errors import AnalysisException

    try:
        files = read_images(spark, config).inputFiles()
    except AnalysisException as e:
        if "PATH_NOT_FOUND" in str(e) or "does not exist" in str(e):
            raise missing_input(config.input) from None
        raise
    return [hadoop_path_string(f) for f in files]


def hadoop_path_string(uri: str) -> str:
    """inputFiles() gives escaped URIs (file:///a%20b); rows carry Hadoop Path.toString (file:/a b)."""
    parsed = urlsplit(uri)
    path = unquote(parsed.path)
    return f"{parsed.scheme}://{parsed.netloc}{path}" if parsed.netloc else f"{parsed.scheme}:{path}"


def with_split_and_label(df, root: str, layout: str):
    """Keep the rows at the layout's depth below `root` and name them from those folders only."""
    from pyspark.sql import functions as F

    prefix = root.rstrip("/") + "/"
    relative = F.col("path").substr(len(prefix) + 1, 1 << 30)
    parts = F.split(relative, "/")
    placed = (F.col("path").startswith(prefix) & (F.size(parts) == layout_depth(layout))
              & ~F.array_contains(parts, ""))
    df = df.filter(placed)
    if layout == LAYOUT_LABEL:
        held_out = F.pmod(F.xxhash64(F.lit(str(SEEDED_SPLIT_SEED)), relative), F.lit(100)) < SEEDED_TEST_PERCENT
        return (df.withColumn("split", F.when(held_out, F.lit(SEEDED_TEST)).otherwise(F.lit(SEEDED_TRAIN)))
                .withColumn("label", F.element_at(parts, 1)))
    return df.withColumn("split", F.element_at(parts, 1)).withColumn("label", F.element_at(parts, 2))


_BRACES = re.compile(r"\{([^{}]*)\}")


def glob_patterns(glob: str) -> list[str]:
    """Hadoop glob -> fnmatch patterns: '*.{[jJ][pP][gG],png}' -> ['*.[jJ][pP][gG]', '*.png']."""
    m = _BRACES.search(glob)
    if not m:
        return [glob]
    out = []
    for alt in m.group(1).split(","):
        out.extend(glob_patterns(glob[:m.start()] + alt + glob[m.end():]))
    return out


def matches(name: str, patterns: list[str]) -> bool:
    return any(fnmatchcase(name, p) for p in patterns)


@dataclass
class Ignored:
    total: int = 0
    by_extension: dict = field(default_factory=dict)  # ".webp" -> count, "(none)" for no extension

    def warning(self) -> str:
        shown = ", ".join(f"{ext} {n}" for ext, n in list(self.by_extension.items())[:8])
        return (f"{self.total} file(s) ignored for their extension ({shown}); if they are images, "
                "add them with --extensions, e.g. --extensions jpg,jpeg,png,heic,heif,webp")

    def hint(self) -> str:
        return f" ({self.warning()})" if self.total else ""


def ignored_files(spark, config, listed: list[str]) -> Ignored:
    """Files under --input that the extension filter left out, counted per extension."""
    everything = (spark.read.format("binaryFile").option("recursiveFileLookup", "true")
                  .load(config.input).inputFiles())
    chosen = set(listed)
    counts: Counter = Counter()
    for uri in everything:
        path = hadoop_path_string(uri)
        if path not in chosen:
            name = path.rsplit("/", 1)[-1]
            ext = os.path.splitext(name)[1].lower() or "(none)"
            counts[ext] += 1
    return Ignored(sum(counts.values()), dict(counts.most_common()))


def broken_links(config) -> list[dict]:
    """[{path, reason}] for symbolic links under a local --input whose name matches the
    image filter but that cannot be followed (dangling, or a loop). Paths are spelled like
    Spark's (file:/...)."""
    if not is_local(config.input):
        return []
    root = os.path.abspath(local_path(config.input))
    if not os.path.isdir(root):
        return []
    patterns = glob_patterns(config.path_glob)
    out: list[dict] = []
    _walk(root, patterns, {os.path.realpath(root)}, out)
    return sorted(out, key=lambda f: f["path"])


def _walk(folder: str, patterns: list[str], ancestors: set, out: list[dict]) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return  # unreadable folder: Spark's listing fails on it with its own error
    for entry in entries:
        if entry.is_symlink():
            try:
                os.stat(entry.path)
            except OSError as e:
                if matches(entry.name, patterns):
                    out.append({"path": f"file:{entry.path}", "reason": _link_reason(entry.path, e)})
                continue
        try:
            is_dir = entry.is_dir()  # follows links, like Spark's listing
        except OSError:
            continue
        if is_dir:
            real = os.path.realpath(entry.path)
            if real in ancestors:
                continue  # a link back up the tree: Spark stops there too (the path stops resolving)
            _walk(entry.path, patterns, ancestors | {real}, out)


def _link_reason(path: str, error: OSError) -> str:
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    if error.errno == errno.ELOOP:
        return f"symbolic link loop ({os.path.basename(path)} -> {target}); fix or remove the link"
    return f"dangling symbolic link: its target {target} does not exist; fix or remove the link"
