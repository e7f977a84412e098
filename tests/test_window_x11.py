"""The live window on a real X server (Xvfb), driven as a user would with xdotool and wmctrl.

Skipped with a reason where Xvfb, xdotool or wmctrl are not installed (.ci/run installs them).
"""
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.conftest import REPO, shared_file

pytestmark = pytest.mark.slow
TITLE = "Action recogniser"
SCREEN = (1280, 1000)


def _need(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (Debian packages xvfb, xdotool, wmctrl, openbox; .ci/run installs them)")


@pytest.fixture(scope="module")
def x_display():
    """A private Xvfb screen with a window manager (openbox) on a free display number."""
    _need("Xvfb", "xdotool", "wmctrl", "xwininfo", "openbox")
    for number in range(180, 200):
        if not Path(f"/tmp/.X11-unix/X{number}").exists():
            break
    display = f":{number}"
    server = subprocess.Popen(["Xvfb", display, "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24", "-nolisten", "tcp",
                               "-ardelay", "60000"],                       # no key auto-repeat
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            pytest.skip("Xvfb did not start")
        time.sleep(0.1)
    env = {**os.environ, "DISPLAY": display}
    wm = subprocess.Popen(["openbox"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    yield display
    wm.kill()
    server.kill()
    wm.wait()
    server.wait()


def start_cam(display: str, checkpoint: Path, *args: str, cwd: Path, env_extra: dict | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO), "DISPLAY": display, **(env_extra or {})}
    env.pop("WAYLAND_DISPLAY", None)
    return subprocess.Popen([sys.executable, "-m", "realtime.cam", "--checkpoint", str(checkpoint), *args], cwd=cwd,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def x(display: str, *cmd: str) -> str:
    return subprocess.run(list(cmd), env={**os.environ, "DISPLAY": display}, capture_output=True, text=True).stdout


def wait_for_window(display: str, proc: subprocess.Popen, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ids = x(display, "xdotool", "search", "--onlyvisible", "--name", f"^{TITLE}$").split()
        if ids:
            time.sleep(0.5)
            return ids[0]
        if proc.poll() is not None:
            raise AssertionError(f"cam exited early: {proc.communicate()}")
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("no window appeared")


def open_cam(display: str, checkpoint: Path, *args: str, cwd: Path) -> tuple[subprocess.Popen, str]:
    """Start the cam and wait for its window: (process, window id)."""
    proc = start_cam(display, checkpoint, *args, cwd=cwd)
    return proc, wait_for_window(display, proc)


def press(display: str, window: str, key: str) -> None:
    """Type ``key`` into the window, then make sure the X server holds no key down.

    xdotool sends the press through XTEST to a focused window; when the key ends the process
    before the release is sent, xdotool addresses the release to the vanished window and the
    server keeps the key down, auto-repeating it into every window opened afterwards.
    """
    x(display, "xdotool", "key", "--window", window, key)
    x(display, "xdotool", "keyup", key)


def geometry(display: str, window: str) -> tuple[int, int]:
    info = x(display, "xwininfo", "-id", window)
    return (int(re.search(r"Width: (\d+)", info).group(1)), int(re.search(r"Height: (\d+)", info).group(1)))


def finish(proc: subprocess.Popen, seconds: float = 30) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=seconds)
    return proc.returncode, out, err


@pytest.mark.parametrize("how", ["q key", "window manager close", "X destroy"])
def test_closing_the_window_ends_the_run_like_q(x_display: str, trained_checkpoint: Path, tmp_path: Path,
                                                how: str) -> None:
    out = tmp_path / "saved.mp4"
    proc, window = open_cam(x_display, trained_checkpoint, "--source", str(shared_file("videos/ta_chi.mp4")), "--loop",
                     "--save", str(out), cwd=tmp_path)
    time.sleep(1.0)
    if how == "q key":
        press(x_display, window, "q")
    elif how == "window manager close":
        x(x_display, "wmctrl", "-c", TITLE)
    else:
        x(x_display, "xdotool", "windowclose", window)
    code, stdout, stderr = finish(proc)
    assert code == 0, stderr
    assert ("user quit" if how == "q key" else "window closed") in stdout
    assert f"saved {out}" in stdout and cv2.VideoCapture(str(out)).read()[0]
    assert not x(x_display, "xdotool", "search", "--name", f"^{TITLE}$").split()     # it did not come back


def test_a_qt_platform_opencv_lacks_still_opens_the_window_on_x(x_display: str, trained_checkpoint: Path,
                                                                  tmp_path: Path) -> None:
    # QT_QPA_PLATFORM=wayland (set for other Qt programs on Wayland desktops, where XWayland gives
    # a DISPLAY too) made OpenCV's Qt, which has only the X platform, abort the run (134).
    from realtime.display import qt_platforms
    if qt_platforms() is None or "wayland" in qt_platforms():
        pytest.skip(f"this OpenCV's Qt has the wayland platform or is not Qt ({qt_platforms()})")
    proc = start_cam(x_display, trained_checkpoint, "--source", str(shared_file("videos/ta_chi.mp4")), "--loop",
                     cwd=tmp_path, env_extra={"QT_QPA_PLATFORM": "wayland"})
    window = wait_for_window(x_display, proc)
    press(x_display, window, "q")
    code, stdout, stderr = finish(proc)
    assert code == 0, stderr
    assert "note: QT_QPA_PLATFORM=wayland names no platform OpenCV's Qt has" in stdout and "user quit" in stdout


def test_a_portrait_source_fits_the_screen_without_toolbars(x_display: str, trained_checkpoint: Path,
                                                            tmp_path: Path) -> None:
    proc, window = open_cam(x_display, trained_checkpoint, "--source", str(shared_file("videos/pose_squats.mp4")),
                     "--loop", cwd=tmp_path)
    width, height = geometry(x_display, window)
    press(x_display, window, "q")
    finish(proc)
    assert height <= 0.9 * SCREEN[1] + 1 and width <= 0.9 * SCREEN[0] + 1
    assert abs(width / height - 720 / 1280) < 0.02                    # the video's aspect ratio, nothing added
    assert height >= 0.85 * SCREEN[1]                                  # as large as the screen allows


def test_a_small_source_is_enlarged(x_display: str, trained_checkpoint: Path, tmp_path: Path) -> None:
    proc, window = open_cam(x_display, trained_checkpoint, "--source", str(shared_file("videos/clean_and_jerk.mp4")),
                     "--loop", cwd=tmp_path)
    width, height = geometry(x_display, window)
    press(x_display, window, "q")
    finish(proc)
    assert width >= 700 and abs(width / height - 340 / 256) < 0.02


def test_snapshots_are_saved_where_asked_and_listed(x_display: str, trained_checkpoint: Path, tmp_path: Path) -> None:
    shots = tmp_path / "shots"
    proc, window = open_cam(x_display, trained_checkpoint, "--source", str(shared_file("videos/ta_chi.mp4")), "--loop",
                     "--snapshot-dir", str(shots), cwd=tmp_path)
    press(x_display, window, "s")
    time.sleep(1.0)
    press(x_display, window, "q")
    code, stdout, _ = finish(proc)
    assert code == 0 and f"snapshot saved: {shots / 'snapshot_001.png'}" in stdout
    assert "snapshots: " in stdout and cv2.imread(str(shots / "snapshot_001.png")) is not None


def test_the_last_frame_stays_until_a_key_when_a_file_ends(x_display: str, trained_checkpoint: Path,
                                                           tmp_path: Path) -> None:
    proc, window = open_cam(x_display, trained_checkpoint, "--source", str(shared_file("videos/pose_1.mp4")),
                     cwd=tmp_path)
    time.sleep(7)                                      # the 4 s clip has ended by now (played at its own rate)
    assert proc.poll() is None and x(x_display, "xdotool", "search", "--onlyvisible", "--name", f"^{TITLE}$")
    press(x_display, window, "space")
    code, stdout, _ = finish(proc)
    assert code == 0 and "end of the video" in stdout and "source ended" in stdout


def test_several_people_are_drawn_in_the_window_with_their_id_colours(x_display: str, trained_checkpoint: Path,
                                                                      tmp_path: Path) -> None:
    from realtime.annotators import person_colour
    shots = tmp_path / "shots"
    proc, window = open_cam(x_display, trained_checkpoint, "--source", str(shared_file("videos/pose_1.mp4")), "--loop",
                            "--max-people", "2", "--snapshot-dir", str(shots), cwd=tmp_path)
    time.sleep(2.0)
    press(x_display, window, "r")                      # reset: every person's window starts over
    time.sleep(1.0)
    press(x_display, window, "s")
    time.sleep(1.0)
    press(x_display, window, "q")
    code, stdout, stderr = finish(proc)
    assert code == 0, stderr
    shot = cv2.imread(str(shots / "snapshot_001.png"))
    assert shot is not None
    bones = np.all(shot == person_colour(1), axis=2).sum()   # the dancer is id 1: bones and tag border in its colour
    assert bones > 50, bones
