"""The annotated-video writer keeps every frame, whatever size the source delivers it in."""
from pathlib import Path

import cv2
import numpy as np

from realtime.video_io import VideoSink, fit_into


def read_back(path: Path) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, image = capture.read()
        if not ok:
            return frames
        frames.append(image)


def test_a_source_that_changes_resolution_keeps_every_frame(tmp_path: Path) -> None:
    # OpenCV's writer drops frames of another size silently; the sink then found fewer frames
    # than it wrote and threw the whole recording away as "is the disk full?".
    out = tmp_path / "live.avi"
    with VideoSink(out, fps=10.0) as sink:
        for _ in range(5):
            sink.write(np.full((240, 320, 3), 200, np.uint8))
        for _ in range(5):
            sink.write(np.full((720, 1280, 3), 90, np.uint8))     # larger
        for _ in range(5):
            sink.write(np.full((640, 360, 3), 30, np.uint8))      # portrait
    frames = read_back(out)
    assert len(frames) == 15 and all(f.shape == (240, 320, 3) for f in frames)
    assert abs(int(frames[7][120, 160, 0]) - 90) < 10               # the larger frames, scaled down
    portrait = frames[12]
    assert portrait[120, 160, 0] > 15 and portrait[120, 5, 0] < 10   # fitted in, black bars at the sides


def test_fit_into_keeps_the_aspect_ratio() -> None:
    wide = np.full((100, 400, 3), 255, np.uint8)
    fitted = fit_into(wide, (200, 200))
    assert fitted.shape == (200, 200, 3)
    rows = np.flatnonzero(fitted[:, 100, 0] > 128)
    assert rows.min() == 75 and rows.max() == 124                   # 50 rows of picture, centred
    same = np.zeros((10, 20, 3), np.uint8)
    assert fit_into(same, (20, 10)) is same


def test_timed_frames_are_placed_on_the_videos_clock(tmp_path: Path) -> None:
    """A live loop that kept 10 frames a second of a 30 fps camera wrote them one after the other:
    the recording played three times too fast."""
    from realtime.video_io import MAX_FILL_S
    out = tmp_path / "rec.avi"
    with VideoSink(out, fps=30.0) as sink:
        for i in range(10):                                   # 1 s at 10 fps: each frame fills 3 slots
            sink.write(np.full((48, 64, 3), 20 * i, np.uint8), 100.0 + i / 10)
        for i in range(12):                                   # 0.2 s at 60 fps: every other one left out
            sink.write(np.full((48, 64, 3), 250, np.uint8), 101.0 + i / 60)
        sink.write(np.full((48, 64, 3), 0, np.uint8), 101.2 + 60.0)      # a minute's stall, filled 10 s at most
    frames = read_back(out)
    # slots 0..27 (each slow frame held 0.1 s), the fast ones from slot 30 every other one up to 35,
    # then the stall: the last picture held 10 s, the frame after it at slot 36 + 300
    assert len(frames) == 36 + round(MAX_FILL_S * 30) + 1
    assert [int(f[0, 0, 0]) // 20 for f in frames[:9]] == [0, 0, 0, 1, 1, 1, 2, 2, 2]
