"""The overlay lays itself out: nothing overlaps or is cut, at any frame size and label length."""
import cv2
import numpy as np
import pytest

from realtime.annotators import FONT, OverlayState, annotate, default_annotators, layout
from realtime.recognizer import Prediction
from training.decision import NO_ACTION, Decision

SIZES = [(160, 120), (340, 256), (320, 240), (640, 480), (720, 1280), (1080, 1920), (1280, 720), (3840, 2160),
         (300, 300), (200, 600)]
LONG = "an_extremely_long_class_name_that_no_window_can_hold_at_all"


def prediction(label: str, topk: list[tuple[str, float]], reason: str = "") -> Prediction:
    d = Decision(label, 0.66, topk[0][0], 0.66, reason)
    return Prediction(1.0, label, 0.66, topk[0][0], 0.66, topk, np.zeros(len(topk)), 0.0, reason, 120, 0.2, d)


STATES = {
    "nobody": OverlayState(None, None, None, 0, 300),
    "collecting": OverlayState(np.zeros((17, 2)), np.ones(17), None, 12, 300, fps=29.5, dropped=1234),
    "named": OverlayState(np.zeros((17, 2)), np.ones(17),
                          prediction("baseball_pitch", [("baseball_pitch", 0.66), ("tennis_serve", 0.2),
                                                        ("bowl", 0.1), ("golf_swing", 0.03), (LONG, 0.01)]),
                          300, 300, fps=24.0, dropped=3, hint="q quit  r reset  s snapshot"),
    "rejected": OverlayState(np.zeros((17, 2)), np.ones(17),
                             prediction(NO_ACTION, [("squat", 0.3), ("situp", 0.2)], "not in view"), 40, 300),
    "long": OverlayState(None, None, prediction(LONG, [(LONG, 0.9), ("x", 0.1)]), 300, 300, fps=30.0),
}


def _text_box(line) -> tuple[int, int, int, int]:
    (w, h), base = cv2.getTextSize(line.text, FONT, line.scale, line.thickness)
    x, y = line.origin
    return x, y - h, x + w, y + base


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("state", list(STATES), ids=list(STATES))
def test_panels_fit_inside_the_frame_and_never_overlap(size: tuple[int, int], state: str) -> None:
    width, height = size
    plan = layout(width, height, STATES[state])
    boxes = plan.boxes
    for name, box in boxes.items():
        assert box.inside(width, height), (name, box)
    names = list(boxes)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not boxes[a].overlaps(boxes[b]), (a, boxes[a], b, boxes[b])
    for name, lines in plan.lines.items():
        box = boxes[name]
        for line in lines:
            x0, y0, x1, _ = _text_box(line)
            assert box.x0 <= x0 and x1 <= box.x1 and box.y0 <= y0, (name, line.text, box, (x0, y0, x1))
            assert line.origin[1] <= box.y1, (name, line.text, box)


def test_text_grows_with_the_frame_and_stays_readable_on_small_ones() -> None:
    small = layout(340, 256, STATES["named"]).lines["label"][0]
    big = layout(3840, 2160, STATES["named"]).lines["label"][0]
    small_h = cv2.getTextSize(small.text, FONT, small.scale, small.thickness)[0][1]
    assert small_h >= 8 and big.scale > 3 * small.scale


def test_a_label_that_cannot_fit_is_cut_not_overdrawn() -> None:
    line = layout(320, 240, STATES["long"]).lines["label"][0]
    assert line.text.endswith("...") and line.text.startswith("an_extremely")


@pytest.mark.parametrize("state", list(STATES))
def test_every_state_draws(state: str) -> None:
    frame = np.zeros((240, 320, 3), np.uint8)
    kp = np.random.default_rng(0).uniform(40, 200, (17, 2)).astype(np.float32)
    s = STATES[state]
    s = OverlayState(kp if s.keypoints is not None else None, s.scores, s.prediction, s.window_frames,
                     s.window_size, s.fps, s.dropped, s.hint)
    drawn = annotate(frame.copy(), s, default_annotators())
    assert drawn.shape == frame.shape and drawn.any()


@pytest.mark.parametrize("name, shown", [("flexión", "flexion"), ("Übung_Straße", "Ubung_Strasse"),
                                         ("sentadilla", "sentadilla"), ("深蹲", "??")])
def test_class_names_beyond_ascii_are_drawn_readably(name: str, shown: str) -> None:
    """OpenCV's fonts draw ASCII only: a class folder named "flexión" was drawn "flexi??n"."""
    state = OverlayState(np.zeros((17, 2)), np.ones(17), prediction(name, [(name, 0.8), ("salto", 0.2)]), 300, 300)
    lines = layout(1280, 720, state)
    assert lines.lines["label"][0].text.startswith(shown)
    assert lines.lines["topk"][0].text == f"{shown} 80%"
    assert all(line.text.isascii() for group in lines.lines.values() for line in group)
    drawn = annotate(np.zeros((720, 1280, 3), np.uint8), state, default_annotators())
    assert drawn.any()


def test_the_green_bar_is_the_shown_label_not_the_bars_leader() -> None:
    # While the label waits for evidence (a change of action), another class can lead the bars; the
    # green bar marked that leader, so "bowl 28%" stood above a green "squat 42%". Now green marks the
    # shown label, and nothing is green when the label is no action.
    changing = OverlayState(np.zeros((17, 2)), np.ones(17),
                            prediction("bowl", [("squat", 0.42), ("bowl", 0.28), ("tennis_serve", 0.07)]), 150, 150)
    assert [shown for _, _, shown in layout(640, 480, changing).bars] == [False, True, False]
    named = layout(640, 480, STATES["named"]).bars
    assert [shown for _, _, shown in named] == [True, False, False, False, False]
    assert not any(shown for _, _, shown in layout(640, 480, STATES["rejected"]).bars)
    frame = annotate(np.zeros((480, 640, 3), np.uint8), changing, default_annotators())
    green = np.all(frame == (90, 200, 90), axis=2)
    rows = [bar for bar, _, _ in layout(640, 480, changing).bars]
    assert not green[rows[0].y0:rows[0].y1].any() and green[rows[1].y0:rows[1].y1].any()
