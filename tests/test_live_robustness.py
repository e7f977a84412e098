"""realtime.cam as a user meets it: interrupts, stream URLs, stalls, bad files in a folder, kiosk loops."""
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import pytest

from realtime.cam import LiveOptions, run_live
from tests.conftest import REPO, assert_clean_error, run_module, shared_file
from tests.mjpeg_server import mjpeg_server
from training.checkpoint import load_checkpoint

pytestmark = pytest.mark.slow


def start_cam(*args: str, cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("DISPLAY", None)
    return subprocess.Popen([sys.executable, "-m", "realtime.cam", *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for_output(proc: subprocess.Popen, seconds: float = 60.0) -> None:
    """Until the loop prints its first per-second line (start-up done)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("t="):
            return
    raise AssertionError("the live loop never started")


@pytest.mark.parametrize("sig, code, said", [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "Ctrl-C")])
def test_a_signal_finishes_the_video_and_prints_the_summary(trained_checkpoint: Path, tmp_path: Path, sig, code,
                                                            said) -> None:
    out = tmp_path / "live.mp4"
    proc = start_cam("--source", str(shared_file("videos/ta_chi.mp4")), "--loop", "--no-show", "--save", str(out),
                     "--checkpoint", str(trained_checkpoint), cwd=tmp_path)
    wait_for_output(proc)
    time.sleep(1.0)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code, stderr
    assert said in stdout and f"saved {out}" in stdout and "Traceback" not in stderr
    saved = cv2.VideoCapture(str(out))
    assert saved.isOpened() and saved.read()[0]                       # a playable video, not 0 frames
    assert not list(tmp_path.glob(".*partial*"))


def test_a_stream_url_is_a_live_source(trained_checkpoint: Path) -> None:
    ckpt = load_checkpoint(trained_checkpoint)
    with mjpeg_server(shared_file("videos/pose_1.mp4")) as url:
        summary = run_live(url, ckpt, LiveOptions(show=False, duration_s=3.0, quiet=True))
    assert summary.frames > 30 and summary.frames_with_person > 20 and summary.model_runs > 0
    assert summary.stopped_because.startswith("--duration")


def test_a_stalled_stream_ends_the_run_with_a_message(trained_checkpoint: Path) -> None:
    ckpt = load_checkpoint(trained_checkpoint)
    with mjpeg_server(shared_file("videos/pose_1.mp4"), stall_after=40) as url:
        started = time.monotonic()
        summary = run_live(url, ckpt, LiveOptions(show=False, quiet=True, stall_s=3.0))
        took = time.monotonic() - started
    assert 10 <= summary.frames <= 40 and summary.frames + summary.dropped <= 41
    assert "no frame for 3 s" in summary.stopped_because and took < 20


def test_an_unreachable_stream_is_explained(trained_checkpoint: Path) -> None:
    proc = run_module("realtime.cam", "--source", "http://127.0.0.1:9/stream.mjpg", "--no-show", "--checkpoint",
                      str(trained_checkpoint))
    assert_clean_error(proc, "Cannot open stream .*Check the URL")


def test_a_folder_goes_on_past_a_bad_file(trained_checkpoint: Path, tmp_path: Path) -> None:
    folder = tmp_path / "clips"
    folder.mkdir()
    (folder / "a_broken.mp4").write_bytes(b"\x00" * 64)
    shutil.copy(shared_file("videos/pose_squats.mp4"), folder / "b_squats.mp4")
    proc = run_module("realtime.cam", "--source", str(folder), "--no-show", "--checkpoint", str(trained_checkpoint))
    assert proc.returncode == 1 and "skipped" in proc.stderr and "a_broken.mp4" in proc.stderr
    assert "b_squats.mp4: 65 frames" in proc.stdout and "Traceback" not in proc.stderr


def test_save_into_a_folder_that_cannot_be_written_fails_before_the_work(trained_checkpoint: Path,
                                                                         tmp_path: Path) -> None:
    unwritable = Path("/proc/self")           # not writable even for root
    proc = run_module("realtime.cam", "--source", str(shared_file("videos/pose_1.mp4")), "--no-show",
                      "--save", str(unwritable / "x.mp4"), "--checkpoint", str(trained_checkpoint))
    assert_clean_error(proc, "not writable")
    missing = run_module("realtime.cam", "--source", str(shared_file("videos/pose_1.mp4")), "--no-show",
                         "--save", str(tmp_path / "nope" / "x.mp4"), "--checkpoint", str(trained_checkpoint))
    assert_clean_error(missing, "folder .*nope' does not exist")
    assert "model" not in missing.stdout                     # refused before the model was even loaded


def test_loop_plays_a_file_again(trained_checkpoint: Path) -> None:
    ckpt = load_checkpoint(trained_checkpoint)
    summary = run_live(str(shared_file("videos/pose_squats.mp4")), ckpt,
                       LiveOptions(show=False, quiet=True, loop=True, duration_s=4.0))
    assert summary.frames > 65 and summary.stopped_because.startswith("--duration")


def test_a_recording_plays_at_the_speed_things_happened(trained_checkpoint: Path, tmp_path: Path) -> None:
    """A stream that says 25 fps and delivers 30 (a webcam in low light says 30 and delivers 15; a
    slow machine drops frames): each frame received was written once at the stated rate, so the
    recording ran 1.2x too slow here (and read back by realtime.video, every action with it)."""
    ckpt = load_checkpoint(trained_checkpoint)
    out = tmp_path / "rec.avi"
    with mjpeg_server(shared_file("videos/pose_1.mp4")) as url:
        summary = run_live(url, ckpt, LiveOptions(show=False, duration_s=4.0, quiet=True, save=out))
    saved = cv2.VideoCapture(str(out))
    frames, fps = saved.get(cv2.CAP_PROP_FRAME_COUNT), saved.get(cv2.CAP_PROP_FPS)
    assert fps == pytest.approx(25.0) and summary.frames > 1.1 * frames    # frames came faster than stated
    assert frames / fps == pytest.approx(summary.seconds, rel=0.15)
