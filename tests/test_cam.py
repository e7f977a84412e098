"""realtime.cam through the same capture code the webcam uses, on real clips (headless)."""
from pathlib import Path

import cv2
import numpy as np
import pytest

from realtime.annotators import OverlayState, annotate, default_annotators
from realtime.cam import LiveOptions, _auto_every, run_live
from realtime.recognizer import Prediction
from training.decision import DecisionSpec, SteadyDecider
from realtime.source_names import resolve_sources
from realtime.sources import ThreadedCapture
from tests.conftest import assert_clean_error, run_module, shared_file
from training.checkpoint import load_checkpoint
from training.errors import UserError


def test_headless_file_run_reads_every_frame_and_saves(trained_checkpoint: Path, tmp_path: Path) -> None:
    ckpt = load_checkpoint(trained_checkpoint)
    out = tmp_path / "live.mp4"
    summary = run_live(str(shared_file("videos/pose_1.mp4")), ckpt, LiveOptions(show=False, save=out))
    assert summary.frames == 120 and summary.dropped == 0 and summary.frames_with_person >= 110
    assert summary.model_runs > 0 and sum(summary.labels.values()) == summary.model_runs
    saved = cv2.VideoCapture(str(out))
    assert int(saved.get(cv2.CAP_PROP_FRAME_COUNT)) == 120


@pytest.mark.slow
def test_cli_headless_with_save(trained_checkpoint: Path, tmp_path: Path) -> None:
    out = tmp_path / "cam.mp4"
    proc = run_module("realtime.cam", "--source", str(shared_file("videos/v_Shotput_g05_c02.avi")), "--no-show",
                      "--save", str(out), "--checkpoint", str(trained_checkpoint))
    assert proc.returncode == 0, proc.stderr
    assert "t=" in proc.stdout and "130 frames" in proc.stdout and "dropped 0" in proc.stdout
    assert out.exists()
    again = run_module("realtime.cam", "--source", str(shared_file("videos/v_Shotput_g05_c02.avi")), "--no-show",
                       "--save", str(out), "--checkpoint", str(trained_checkpoint))
    assert_clean_error(again, "exists.*--overwrite")


def test_camera_that_does_not_open_lists_what_was_tried(trained_checkpoint: Path) -> None:
    proc = run_module("realtime.cam", "--source", "7", "--no-show", "--checkpoint", str(trained_checkpoint))
    assert_clean_error(proc, "Cannot open camera 7.*indices 0..3|Cannot open camera 7.*Cameras that do open")


def test_no_display_falls_back_to_headless(trained_checkpoint: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    proc = run_module("realtime.cam", "--source", str(shared_file("videos/pose_squats.mp4")),
                      "--checkpoint", str(trained_checkpoint), "--duration", "30")
    assert proc.returncode == 0, proc.stderr
    assert "No window: no display (DISPLAY/WAYLAND_DISPLAY unset)" in proc.stdout and "65 frames" in proc.stdout


def test_a_display_without_an_x_server_falls_back_to_headless(trained_checkpoint: Path, monkeypatch) -> None:
    monkeypatch.setenv("DISPLAY", ":93")           # set, but nothing listens there (SSH, Docker, WSL)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    proc = run_module("realtime.cam", "--source", str(shared_file("videos/pose_squats.mp4")),
                      "--checkpoint", str(trained_checkpoint))
    assert proc.returncode == 0, proc.stderr          # Qt would abort with 134 if imshow were called
    assert "no X server answers" in proc.stdout and "65 frames" in proc.stdout


def test_a_wayland_session_without_x_falls_back_to_headless(trained_checkpoint: Path, monkeypatch) -> None:
    # OpenCV's Qt here can only talk to an X server: with WAYLAND_DISPLAY alone imshow aborted (134).
    from realtime.display import qt_platforms
    platforms = qt_platforms()
    if platforms is None or any(name.startswith("wayland") for name in platforms):
        pytest.skip(f"this OpenCV's window can open on Wayland (Qt platforms: {platforms})")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-93")
    proc = run_module("realtime.cam", "--source", str(shared_file("videos/pose_squats.mp4")),
                      "--checkpoint", str(trained_checkpoint))
    assert proc.returncode == 0, proc.stderr
    assert "a Wayland session without X" in proc.stdout and "65 frames" in proc.stdout


def test_missing_checkpoint_is_explained(tmp_path: Path) -> None:
    proc = run_module("realtime.cam", "--checkpoint", str(tmp_path / "none.pt"), "--no-show")
    assert_clean_error(proc, "not found.*training.train")


class _FakeCapture:
    """A cv2.VideoCapture stand-in: a camera that delivers a few frames, then fails."""

    def __init__(self, frames: int, delay_s: float = 0.0) -> None:
        self.left, self.delay_s = frames, delay_s

    def isOpened(self) -> bool:
        return True

    def get(self, prop: int) -> float:
        return 30.0 if prop == cv2.CAP_PROP_FPS else 64.0

    def read(self):
        import time
        time.sleep(self.delay_s)
        if self.left <= 0:
            return False, None
        self.left -= 1
        return True, np.zeros((48, 64, 3), np.uint8)

    def release(self) -> None:
        pass


def test_camera_that_stops_mid_run_is_reported(monkeypatch) -> None:
    monkeypatch.setattr("realtime.sources.open_capture", lambda source: _FakeCapture(5))
    with ThreadedCapture(0) as capture:
        got = 0
        while (frame := capture.latest(timeout=3.0)) is not None:
            got += 1
        assert capture.finished and capture.error == "camera 0 stopped delivering frames"
        assert got + capture.dropped == 5


def test_a_camera_that_opens_but_delivers_nothing_says_it_may_be_busy(monkeypatch) -> None:
    monkeypatch.setattr("realtime.sources.open_capture", lambda source: _FakeCapture(0))
    with ThreadedCapture(0) as capture:
        assert capture.latest(timeout=3.0) is None
        assert capture.finished and "delivered no frame" in capture.error and "another program" in capture.error


def test_a_stream_with_no_frame_is_an_error_not_an_empty_summary(trained_checkpoint: Path, tmp_path: Path) -> None:
    """A video file on a web server that cannot seek (Python's http.server answers no range
    requests, and this mp4 keeps its index at the end): OpenCV opens it, then no frame comes."""
    import functools
    import http.server
    import threading
    (tmp_path / "squats.mp4").symlink_to(shared_file("videos/pose_squats.mp4"))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/squats.mp4"
        proc = run_module("realtime.cam", "--source", url, "--no-show", "--checkpoint", str(trained_checkpoint))
    finally:
        server.shutdown()
    assert_clean_error(proc, "delivered no frame.*range requests, or download it")


def test_a_camera_lost_mid_run_prints_the_summary_and_exits_1(trained_checkpoint: Path, monkeypatch,
                                                              capsys) -> None:
    # Before: exit status 0, so a supervisor (systemd Restart=on-failure, a kiosk script) never
    # noticed that the camera had gone.
    from realtime.cam import main
    from training.errors import run_cli
    monkeypatch.setattr("realtime.sources.open_capture", lambda source: _FakeCapture(12))
    with pytest.raises(SystemExit) as exit_info:
        run_cli(lambda: main(["--source", "0", "--no-show", "--checkpoint", str(trained_checkpoint)]))
    out = capsys.readouterr().out
    assert exit_info.value.code == 1 and "camera 0: " in out and "stopped: camera 0 stopped delivering frames" in out


def test_slow_consumer_drops_frames_but_never_blocks_capture(monkeypatch) -> None:
    import time
    monkeypatch.setattr("realtime.sources.open_capture", lambda source: _FakeCapture(40, delay_s=0.002))
    with ThreadedCapture(0) as capture:
        taken = 0
        while (frame := capture.latest(timeout=3.0)) is not None:
            taken += 1
            time.sleep(0.02)  # a slow model
        assert capture.frames_read == 40 and capture.dropped > 0 and taken + capture.dropped == 40


def test_the_model_runs_five_times_a_second_unless_it_is_slow() -> None:
    assert _auto_every(2.0, 40.0, scheduled=5) == 5                   # cheap: the schedule stands
    assert _auto_every(80.0, 40.0, scheduled=5) == 8                   # slow: sparser, a quarter of the time
    assert _auto_every(0.0, 40.0, scheduled=6) == 6


def test_overlay_draws_every_state() -> None:
    frame = np.zeros((240, 320, 3), np.uint8)
    kp = np.random.default_rng(0).uniform(40, 200, (17, 2)).astype(np.float32)
    decider = SteadyDecider(["Lunges", "JumpRope"], DecisionSpec())
    named = decider.update(1.0, np.array([0.8, 0.2]))
    rejected = SteadyDecider(["Lunges", "JumpRope"], DecisionSpec()).update(1.0, np.array([0.2, 0.1]), background=0.7)
    predictions = [Prediction(1.0, d.label, d.probability, d.raw_label, d.raw_probability, [("Lunges", 0.8)],
                              np.array([0.8, 0.2]), 0.0, d.reason, 40, 0.3, d) for d in (named, rejected)]
    for state in (OverlayState(None, None, None, 0, 300), OverlayState(kp, np.ones(17), None, 12, 300),
                  *[OverlayState(kp, np.ones(17), p, 300, 300, 24.0, 3) for p in predictions]):
        drawn = annotate(frame.copy(), state, default_annotators())
        assert drawn.shape == frame.shape and drawn.any()


@pytest.mark.parametrize("source, pattern", [("nope.mp4", "file not found.*--source 0"), ("*.nothing", "matches no video"),
                                             ("-1", "'-1' is not a camera: cameras are numbered from 0")])
def test_source_errors(source: str, pattern: str) -> None:
    with pytest.raises(UserError, match=pattern):
        resolve_sources(source)


def test_source_kinds(tmp_path: Path) -> None:
    assert resolve_sources("0") == [0]
    (tmp_path / "b.mp4").write_bytes(b"")
    (tmp_path / "a.avi").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("")
    assert resolve_sources(str(tmp_path)) == [str(tmp_path / "a.avi"), str(tmp_path / "b.mp4")]
    assert resolve_sources(str(tmp_path / "*.mp4")) == [str(tmp_path / "b.mp4")]


def test_checkpoint_of_another_layout_is_refused_naming_both(tmp_path: Path) -> None:
    from mapping.layouts import MEDIAPIPE33
    from training.checkpoint import save_checkpoint
    from training.features import FeatureSpec
    from training.model import ActionLSTM, ModelConfig
    spec = FeatureSpec(layout=MEDIAPIPE33, joints_used=MEDIAPIPE33)
    save_checkpoint(tmp_path / "m33.pt", ActionLSTM(ModelConfig(input_size=spec.feature_size, num_classes=2)), spec,
                    ["a", "b"], {})
    for module, args in (("realtime.cam", ["--no-show", "--source", str(shared_file("videos/pose_1.mp4"))]),
                         ("realtime.video", [str(shared_file("videos/pose_1.mp4"))])):
        proc = run_module(module, *args, "--checkpoint", str(tmp_path / "m33.pt"))
        assert_clean_error(proc, "33-joint layout.*gives 17 joints")


@pytest.mark.slow
def test_a_missing_camera_is_one_line_before_the_pose_model_loads(trained_checkpoint: Path) -> None:
    proc = run_module("realtime.cam", "--checkpoint", str(trained_checkpoint), "--no-show")
    assert_clean_error(proc, "Cannot open camera 0")
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]     # no TFLite/MediaPipe log lines around it
