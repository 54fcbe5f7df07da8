"""Issue 9 without Spark: layout naming, run-folder claims (local and S3 against a real moto
server), file modes under the umask, phone photos (EXIF, big JPEGs, HEIC), broken links,
signals, and bad --output found before the JVM starts."""

from __future__ import annotations

import io
import os
import signal
import socket
import stat
import subprocess
import threading
import time

import numpy as np
import pytest
from conftest import REPO
from PIL import Image

from fruits_job import interrupts
from fruits_job.cli import main
from fruits_job.options import DEFAULT_MAX_IMAGE_PIXELS, parse_args
from fruits_job.featurizer.images import HEIF_SUPPORTED, decode_image
from fruits_job.layout import misplaced_reason, relative_parts
from fruits_job.listing import broken_links, glob_patterns, matches
from fruits_job.hadoop_files import HadoopFiles, _claim_local_dir

ROOT = "file:/data/fruits"


# ---------------------------------------------------------------- layout

def test_files_are_named_only_from_folders_below_the_input():
    assert relative_parts(f"{ROOT}/Training/apple/1.jpg", ROOT) == ["Training", "apple", "1.jpg"]
    assert relative_parts("file:/data/fruits-2/Training/apple/1.jpg", ROOT) is None
    assert misplaced_reason(f"{ROOT}/Training/apple/1.jpg", ROOT, "split-label") is None
    at_root = misplaced_reason(f"{ROOT}/loose.jpg", ROOT, "split-label")
    one_level = misplaced_reason(f"{ROOT}/apple/1.jpg", ROOT, "split-label")
    deeper = misplaced_reason(f"{ROOT}/Training/apple/batch1/1.jpg", ROOT, "split-label")
    for reason in (at_root, one_level, deeper):
        assert reason and "not at <root>/<Split>/<Label>/<image>" in reason
    assert "--layout label" in one_level
    assert misplaced_reason(f"{ROOT}/apple/1.jpg", ROOT, "label") is None
    assert "not at <root>/<Label>/<image>" in misplaced_reason(f"{ROOT}/Training/apple/1.jpg", ROOT, "label")


def test_layout_option_is_validated():
    assert parse_args(["--input", "/i", "--output", "/o", "--layout", "label"]).layout == "label"
    assert main(["--input", "/i", "--output", "/o", "--layout", "flat"]) == 2


# ---------------------------------------------------------------- run folder claims

def _storage() -> HadoopFiles:
    return HadoopFiles.__new__(HadoopFiles)  # local paths need no JVM


def test_local_claim_is_exclusive_and_leaves_the_first_run_alone(tmp_path):
    run = tmp_path / "out" / "run-1"
    _storage().claim(str(run), str(run / "summary.json"), '{"status": "running"}\n')
    (run / "summary.json").write_text('{"status": "succeeded"}\n')
    with pytest.raises(FileExistsError):
        _storage().claim(str(run), str(run / "summary.json"), '{"status": "running"}\n')
    assert (run / "summary.json").read_text() == '{"status": "succeeded"}\n'


def test_concurrent_local_claims_have_exactly_one_winner(tmp_path):
    run = tmp_path / "deep" / "out" / "run-race"
    results, barrier = [], threading.Barrier(8)

    def claim(i):
        barrier.wait()
        try:
            _storage().claim(str(run), str(run / "summary.json"), f"{i}\n")
            results.append(("won", i))
        except FileExistsError:
            results.append(("refused", i))

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [i for what, i in results if what == "won"]
    assert len(winners) == 1 and len(results) == 8
    assert (run / "summary.json").read_text() == f"{winners[0]}\n"


def test_claim_under_a_regular_file_fails_and_leaves_nothing(tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(NotADirectoryError):
        _claim_local_dir(str(tmp_path / "afile" / "out" / "run-1"))
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        if os.access(ro, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        with pytest.raises(PermissionError):
            _claim_local_dir(str(ro / "a" / "b" / "run-1"))
        assert list(ro.iterdir()) == []
    finally:
        ro.chmod(0o755)


@pytest.mark.parametrize("output", ["afile/out", "ro/out"])
def test_unwritable_output_is_one_line_exit_2_before_spark(tmp_path, capsys, output):
    (tmp_path / "afile").write_text("x")
    (tmp_path / "ro").mkdir(mode=0o555)
    if output.startswith("ro") and os.access(tmp_path / "ro", os.W_OK):
        pytest.skip("running as a user who can write anywhere")
    images = tmp_path / "in" / "Training" / "kiwi"
    images.mkdir(parents=True)
    Image.new("RGB", (8, 8)).save(images / "a.jpg")
    code = main(["--input", str(tmp_path / "in"), "--output", str(tmp_path / output), "--weights",
                 "test-only-random:1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "--output" in err[0] and "Traceback" not in err[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "in", "ro"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def moto_endpoint():
    server = REPO / ".venv-tools" / "bin" / "moto_server"
    if not server.exists():
        pytest.skip("moto server not installed (.venv-tools; run scripts/setup.sh --test)")
    port = _free_port()
    proc = subprocess.Popen([str(server), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class _HadoopConf(dict):
    pass


def test_s3_claim_uses_a_conditional_write_against_a_real_s3_server(moto_endpoint):
    import boto3

    from fruits_job.s3_claim import put_if_absent

    conf = _HadoopConf({"fs.s3a.endpoint": moto_endpoint, "fs.s3a.access.key": "testing",
                        "fs.s3a.secret.key": "testing", "fs.s3a.endpoint.region": "us-east-1"})
    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    s3.create_bucket(Bucket="results")
    uri = "s3://results/runs/run-1/summary.json"
    put_if_absent(uri, '{"status": "running"}\n', conf)
    s3.put_object(Bucket="results", Key="runs/run-1/summary.json", Body=b'{"status": "succeeded"}\n')
    with pytest.raises(FileExistsError):
        put_if_absent(uri, '{"status": "running"}\n', conf)
    body = s3.get_object(Bucket="results", Key="runs/run-1/summary.json")["Body"].read()
    assert body == b'{"status": "succeeded"}\n'


# ---------------------------------------------------------------- file modes

def test_written_files_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        _storage().write_text(str(tmp_path / "summary.json"), "{}\n")
        assert stat.S_IMODE((tmp_path / "summary.json").stat().st_mode) == 0o644
        os.umask(0o077)
        _storage().write_text(str(tmp_path / "report.html"), "<p>\n")
        assert stat.S_IMODE((tmp_path / "report.html").stat().st_mode) == 0o600
    finally:
        os.umask(old)


# ---------------------------------------------------------------- phone photos

def _halves(width: int, height: int) -> Image.Image:
    """Left half red, right half blue: after a 90-degree turn, top red and bottom blue."""
    a = np.zeros((height, width, 3), np.uint8)
    a[:, : width // 2] = (220, 20, 20)
    a[:, width // 2:] = (20, 20, 220)
    return Image.fromarray(a)


def _encode(img: Image.Image, fmt: str, orientation: int | None = None, **kw) -> bytes:
    out = io.BytesIO()
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        kw["exif"] = exif.tobytes()
    img.save(out, format=fmt, **kw)
    return out.getvalue()


def _upright(arr: np.ndarray) -> bool:
    top, bottom = arr[:100].reshape(-1, 3).mean(0), arr[124:].reshape(-1, 3).mean(0)
    return top[0] > 150 > top[2] and bottom[2] > 150 > bottom[0]


def test_exif_orientation_is_applied():
    arr, reason = decode_image(_encode(_halves(640, 480), "JPEG", orientation=6), DEFAULT_MAX_IMAGE_PIXELS)
    assert reason is None and _upright(arr)


@pytest.mark.skipif(not HEIF_SUPPORTED, reason="pillow-heif not installed")
def test_heic_phone_photo_4000x3000_rotated_is_read_upright():
    content = _encode(_halves(4000, 3000), "HEIF", orientation=6, quality=80)
    assert content[4:12] in (b"ftypheic", b"ftypmif1", b"ftypheix")  # a real HEIF container
    arr, reason = decode_image(content, DEFAULT_MAX_IMAGE_PIXELS)
    assert reason is None and _upright(arr)


def test_108_megapixel_jpeg_is_decoded_at_reduced_scale_and_the_guard_still_holds():
    content = _encode(Image.new("RGB", (12000, 9000), (200, 150, 30)), "JPEG", quality=70)
    arr, reason = decode_image(content, DEFAULT_MAX_IMAGE_PIXELS)
    assert reason is None and arr.shape == (224, 224, 3) and abs(int(arr[0, 0, 0]) - 200) < 6
    # Decoded at 1/8 that is still 1500x1125 pixels: a lower limit refuses it, naming one limit.
    arr, reason = decode_image(content, 1_000_000)
    assert arr is None and "image too large: 12000x9000" in reason and "1500x1125" in reason
    assert reason.count("--max-image-pixels") == 1 and "bomb" not in reason
    # Formats without reduced decoding (PNG) are judged by their full size, as before.
    arr, reason = decode_image(_encode(Image.new("RGB", (3000, 3000)), "PNG"), 5_000_000)
    assert arr is None and "3000x3000" in reason


def test_classify_takes_the_same_max_image_pixels_option(tmp_path, capsys):
    from fruits_job import classify

    assert classify.main(["x.jpg", "--run", str(tmp_path), "--max-image-pixels", "0"]) == 2
    assert "--max-image-pixels" in capsys.readouterr().err


# ---------------------------------------------------------------- links, extensions, signals

def test_hadoop_glob_patterns():
    pats = glob_patterns("*.{[jJ][pP][gG],png}")
    assert pats == ["*.[jJ][pP][gG]", "*.png"]
    assert matches("a.JPG", pats) and not matches("a.gif", pats)


def test_dangling_links_and_loops_are_failures_with_a_reason(tmp_path):
    d = tmp_path / "Training" / "kiwi"
    d.mkdir(parents=True)
    Image.new("RGB", (8, 8)).save(d / "ok.jpg")
    os.symlink(tmp_path / "gone.jpg", d / "dangling.jpg")
    os.symlink(d / "loop.jpg", d / "loop.jpg")
    os.symlink(tmp_path / "gone.txt", d / "notes.txt")  # not an image name: not a failure
    os.symlink(tmp_path, d / "up")  # a folder loop is not followed for ever
    config = parse_args(["--input", str(tmp_path), "--output", "/o"])
    found = {f["path"].rsplit("/", 1)[-1]: f["reason"] for f in broken_links(config)}
    assert set(found) == {"dangling.jpg", "loop.jpg"}
    assert found["dangling.jpg"].startswith("dangling symbolic link")
    assert found["loop.jpg"].startswith("symbolic link loop")


def test_first_signal_flags_and_cancels_second_raises():
    class FakeSc:
        cancelled = 0

        def setLogLevel(self, level):
            pass

        def cancelAllJobs(self):
            FakeSc.cancelled += 1

    class FakeSpark:
        sparkContext = FakeSc()

    previous = interrupts.install(FakeSpark())
    try:
        os.kill(os.getpid(), signal.SIGHUP)
        time.sleep(0.5)
        # jobs started after the signal are cancelled too, until the run has unwound
        assert interrupts.requested() == "SIGHUP" and FakeSc.cancelled >= 2
        with pytest.raises(interrupts.Interrupted):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)
    finally:
        interrupts.restore(previous)
