"""Thin adapter over Hadoop's FileSystem API through the driver's JVM.

The same code then works for local paths, file:// and s3:// (EMRFS on EMR, s3a elsewhere)
without boto3. Local text writes go through Python instead so no .crc side files appear.
"""

from __future__ import annotations

import os
import tempfile

from .layout import is_local, local_path


class HadoopFiles:
    def __init__(self, spark):
        self._spark = spark
        self._jvm = spark.sparkContext._jvm
        self._conf = spark.sparkContext._jsc.hadoopConfiguration()

    def _path_and_fs(self, uri: str):
        path = self._jvm.org.apache.hadoop.fs.Path(uri)
        return path, path.getFileSystem(self._conf)

    def exists(self, uri: str) -> bool:
        path, fs = self._path_and_fs(uri)
        return bool(fs.exists(path))

    def length(self, uri: str) -> int:
        path, fs = self._path_and_fs(uri)
        return int(fs.getFileStatus(path).getLen())

    def delete_recursively(self, uri: str) -> None:
        path, fs = self._path_and_fs(uri)
        if fs.exists(path):
            fs.delete(path, True)

    def mkdirs(self, uri: str) -> None:
        path, fs = self._path_and_fs(uri)
        fs.mkdirs(path)

    def claim(self, run_uri: str, summary_uri: str, text: str) -> None:
        """Create the run folder with its first summary.json, exclusively and atomically.

        FileExistsError when another run has it. Local: mkdir (atomic, fails if present);
        s3://: PutObject with If-None-Match: * (S3 conditional write); other Hadoop
        filesystems (HDFS): create(overwrite=false). On any other error nothing is left."""
        if is_local(run_uri):
            _claim_local_dir(local_path(run_uri))
            try:
                self.write_text(summary_uri, text)
            except BaseException:
                import shutil

                shutil.rmtree(local_path(run_uri), ignore_errors=True)
                raise
            return
        if run_uri.split("://", 1)[0].lower() in ("s3", "s3a", "s3n"):
            from .s3_claim import put_if_absent

            put_if_absent(summary_uri, text, self._conf)
            return
        path, fs = self._path_and_fs(summary_uri)
        try:
            out = fs.create(path, False)
        except Exception as e:  # noqa: BLE001 - Py4JJavaError wrapping FileAlreadyExistsException
            if "FileAlreadyExists" in str(e):
                raise FileExistsError(summary_uri) from None
            raise
        try:
            out.write(bytearray(text.encode("utf-8")))
        finally:
            out.close()

    def write_text(self, uri: str, text: str) -> None:
        """Replace the file's content; local writes are atomic (temp file + rename)."""
        if is_local(uri):
            target = local_path(uri)
            os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(target)), prefix=".tmp-")
            os.fchmod(fd, 0o666 & ~current_umask())  # mkstemp makes 0600; others may read results
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, target)
            return
        # S3 objects appear atomically when the stream closes.
        path, fs = self._path_and_fs(uri)
        out = fs.create(path, True)
        try:
            out.write(bytearray(text.encode("utf-8")))
        finally:
            out.close()

    def read_text(self, uri: str) -> str:
        if is_local(uri):
            with open(local_path(uri), encoding="utf-8") as f:
                return f.read()
        path, fs = self._path_and_fs(uri)
        stream = fs.open(path)
        try:
            reader = self._jvm.java.io.BufferedReader(
                self._jvm.java.io.InputStreamReader(stream, "UTF-8"))
            lines = []
            line = reader.readLine()
            while line is not None:
                lines.append(line)
                line = reader.readLine()
            return "\n".join(lines)
        finally:
            stream.close()

    def copy_to_local(self, uri: str, directory: str) -> str:
        """Copy a remote file (s3://...) to `directory`, keeping its name (Keras reads the suffix)."""
        path, fs = self._path_and_fs(uri)
        target = os.path.join(directory, os.path.basename(uri.rstrip("/")))
        fs.copyToLocalFile(False, path, self._jvm.org.apache.hadoop.fs.Path(f"file://{target}"), True)
        return target

    def copy_from_local(self, local_file: str, uri: str) -> None:
        """Upload a local file to `uri` (s3://... or a local path), replacing it."""
        if is_local(uri):
            import shutil

            target = local_path(uri)
            os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
            shutil.copyfile(local_file, target)
            return
        path, fs = self._path_and_fs(uri)
        fs.copyFromLocalFile(False, True, self._jvm.org.apache.hadoop.fs.Path(f"file://{local_file}"), path)

    def qualify(self, uri: str) -> str:
        """Absolute, scheme-qualified form (what Spark reports as file paths)."""
        path, fs = self._path_and_fs(uri)
        return str(fs.makeQualified(path).toString())


def current_umask() -> int:
    mask = os.umask(0)  # the only way to read it; set back at once (the driver is single-threaded here)
    os.umask(mask)
    return mask


def _claim_local_dir(run_dir: str) -> None:
    """mkdir the run folder (FileExistsError if present), creating missing parents; if that
    fails, remove the parents it created so a bad --output leaves nothing behind."""
    run_dir = os.path.abspath(run_dir)
    missing = []
    parent = os.path.dirname(run_dir)
    while not os.path.lexists(parent) and parent != os.path.dirname(parent):
        missing.append(parent)
        parent = os.path.dirname(parent)
    created = []
    try:
        for d in reversed(missing):
            try:
                os.mkdir(d)
                created.insert(0, d)
            except FileExistsError:
                pass  # made by a concurrent run: not ours to remove
        os.mkdir(run_dir)
    except FileExistsError:
        if os.path.isdir(run_dir):
            raise
        raise NotADirectoryError(f"{run_dir} exists and is not a folder") from None
    except BaseException:
        for d in created:  # deepest first
            try:
                os.rmdir(d)
            except OSError:
                pass
        raise
