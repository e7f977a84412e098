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
