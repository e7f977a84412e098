"""Overlay annotators: each takes its style in ``__init__`` and ``annotate(frame, state) -> frame``.

They chain: ``for a in annotators: frame = a.annotate(frame, state)``. All draw in place on a
BGR (H, W, 3) uint8 frame, in pixels of that frame.

Text is laid out by :func:`layout` before anything is drawn: every piece is measured with
``cv2.getTextSize`` at a size that follows the frame, the label panel (top left), the status
panel (top right; below the label when both do not fit side by side) and the probability bars
(bottom left) get boxes that never overlap and stay inside the frame, and text that would not
fit is shrunk, then cut with "...". Any frame size, portrait or landscape, 160 px to 4K.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import cv2
import numpy as np

from mapping.layouts import COCO17, COCO17_EDGES, edges_as_indices
from realtime.recognizer import Prediction
from training.decision import NO_ACTION, NO_PERSON

FONT = cv2.FONT_HERSHEY_SIMPLEX
WHITE = (255, 255, 255)
LEFT_COLOUR, RIGHT_COLOUR, CENTRE_COLOUR = (255, 160, 40), (40, 120, 255), (60, 220, 60)
LABEL_COLOURS = {"named": (90, 255, 90), "rejected": (0, 200, 255), "waiting": WHITE, "nobody": (80, 80, 255)}
PERSON_COLOURS = ((60, 220, 60), (255, 120, 0), (0, 160, 255), (220, 60, 220), (255, 255, 0), (0, 255, 255),
                  (160, 80, 255), (80, 255, 160))   # one per tracked id (BGR), repeating after 8
MIN_SCALE = 0.35           # smallest font scale used (about 8 px tall); below it text is cut instead


@dataclass
class PersonOverlay:
    """One tracked person in a multi-person overlay.

    Attributes:
        id: tracker id; keypoints (17, 2) pixels and scores (17,); prediction: their latest (or None);
        window_frames: poses in their window.
    """

    id: int
    keypoints: np.ndarray
    scores: np.ndarray
    prediction: Prediction | None
    window_frames: int


@dataclass
class OverlayState:
    """What the overlay shows for one frame.

    Attributes:
        keypoints: (17, 2) COCO-17 pixels of the person (in this frame's pixels), or None.
        scores: (17,) keypoint scores, or None.
        prediction: the latest prediction, or None before the first one.
        window_frames, window_size: how full the sliding window is.
        fps: processing rate (frames/s), shown live only (0: not shown, e.g. in saved videos).
        dropped: frames the capture had to drop.
        hint: a line of key help for a window ("" in saved videos).
        people: everyone in view with ``--max-people`` above 1 (each skeleton gets its id and label);
            the fields above then describe the main (largest) person.
    """

    keypoints: np.ndarray | None
    scores: np.ndarray | None
    prediction: Prediction | None
    window_frames: int
    window_size: int
    fps: float = 0.0
    dropped: int = 0
    hint: str = ""
    people: list[PersonOverlay] = field(default_factory=list)


@dataclass
class Box:
    """A rectangle in pixels: x0, y0 inclusive, x1, y1 exclusive."""

    x0: int
    y0: int
    x1: int
    y1: int

    def overlaps(self, other: "Box") -> bool:
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1

    def inside(self, width: int, height: int) -> bool:
        return 0 <= self.x0 <= self.x1 <= width and 0 <= self.y0 <= self.y1 <= height


@dataclass
class TextLine:
    """One line of text placed in a box: its origin (baseline left), font scale and thickness."""

    text: str
    origin: tuple[int, int]
    scale: float
    thickness: int
    colour: tuple[int, int, int] = WHITE


@dataclass
class Layout:
    """Where every panel and line goes for one frame size and state."""

    boxes: dict[str, Box] = field(default_factory=dict)
    lines: dict[str, list[TextLine]] = field(default_factory=dict)
    bars: list[tuple[Box, float, bool]] = field(default_factory=list)   # (bar box at 100%, share, the shown label)


def base_scale(width: int, height: int) -> float:
    """Font scale that reads well at any size: about 2.5% of the shorter side per line."""
    return max(MIN_SCALE, min(width, height) / 900.0)


# Letters that have no accent to drop but a usual spelling in ASCII.
SPELLED_IN_ASCII = {"ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L",
                    "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th", "ı": "i"}


def drawable(text: str) -> str:
    """``text`` as OpenCV's Hershey fonts can draw it: they draw ASCII only, and every byte of any
    other letter became a '?' ("flexión" was drawn "flexi??n"). Accents are dropped ("flexion"),
    letters such as "ß" spelled out, and anything else (other scripts) is one '?' per character."""
    if text.isascii():      # nearly every line of every frame
        return text
    out = []
    for ch in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(ch):
            continue
        out.append(ch if ch.isascii() else SPELLED_IN_ASCII.get(ch, "?"))
    return "".join(out)


def fit_text(text: str, max_width: int, scale: float, thickness: int) -> tuple[str, float, int, int]:
    """Shrink (down to MIN_SCALE), then cut with "..." until ``text`` (made :func:`drawable`) is at
    most ``max_width`` wide.

    Returns:
        (text, scale, width, height) as drawn.
    """
    text = drawable(text)
    while True:
        (w, h), _ = cv2.getTextSize(text, FONT, scale, thickness)
        if w <= max_width or scale <= MIN_SCALE:
            break
        scale = max(MIN_SCALE, scale * 0.9)
    while w > max_width and len(text) > 1:
        text = text[:-4] + "..." if len(text) > 4 and not text.endswith("...") else text[:-4].rstrip() + "..."
        if len(text) <= 3:
            text = text[:1]
        (w, h), _ = cv2.getTextSize(text, FONT, scale, thickness)
    return text, scale, w, h


def label_text(state: OverlayState) -> tuple[str, str]:
    """The main line and its kind (named, rejected, waiting, nobody)."""
    if state.keypoints is None and state.window_frames == 0:
        return NO_PERSON, "nobody"
    p = state.prediction
    if p is None:
        return f"collecting poses {state.window_frames}/{state.window_size}", "waiting"
    if p.label == NO_ACTION:
        return NO_ACTION + (f" ({p.reason})" if p.reason else ""), "rejected"
    return f"{p.label} {p.probability:.0%}", "named"


def status_lines(state: OverlayState) -> list[str]:
    lines = [f"{state.fps:.1f} fps"] if state.fps > 0 else []
    lines.append(f"window {state.window_frames}/{state.window_size}")
    if state.keypoints is None and state.window_frames > 0:
        lines.append(NO_PERSON)
    if state.people:
        lines.append(f"people {len(state.people)}")
    if state.dropped:
        lines.append(f"dropped {state.dropped}")
    if state.hint:
        lines.append(state.hint)
    return lines


def layout(width: int, height: int, state: OverlayState, k: int = 5) -> Layout:
    """Place the label, status and top-k panels for a (width, height) frame (see module docstring)."""
    out = Layout()
    s = base_scale(width, height)
    pad = max(2, int(round(8 * s)))
    gap = max(1, int(round(4 * s)))
    thick_label, thick_small = max(1, int(round(2 * s))), max(1, int(round(s)))

    # status panel: measured first, it is small
    status = [fit_text(t, max(8, width // 2 - 2 * pad), 0.6 * s, thick_small) for t in status_lines(state)]
    status_w = max(w for _, _, w, _ in status) + 2 * pad
    status_line_h = max(h for _, _, _, h in status) + gap + thick_small
    status_h = status_line_h * len(status) + 2 * pad - gap

    # label: as large as fits beside the status panel, else on its own row with the status below it
    text, kind = label_text(state)
    beside = width - status_w - 2 * pad
    label, scale, w, h = fit_text(text, max(8, beside), 1.1 * s, thick_label)
    side_by_side = cv2.getTextSize(text, FONT, scale, thick_label)[0][0] <= beside and beside > width * 0.35
    if not side_by_side:
        label, scale, w, h = fit_text(text, width - 2 * pad, 1.1 * s, thick_label)
    label_box = Box(0, 0, min(width, w + 2 * pad), min(height, h + 2 * pad + thick_label))
    out.boxes["label"] = label_box
    out.lines["label"] = [TextLine(label, (pad, pad + h), scale, thick_label, LABEL_COLOURS[kind])]
    status_top = 0 if side_by_side else label_box.y1 + gap
    status_box = Box(max(0, width - status_w), status_top, width, min(height, status_top + status_h))
    out.boxes["status"] = status_box
    out.lines["status"] = [TextLine(t, (status_box.x0 + pad, status_top + pad + i * status_line_h + th), sc,
                                    thick_small) for i, (t, sc, _, th) in enumerate(status)]

    # top-k bars: bottom left, as many rows as fit below the panels above
    p = state.prediction
    if p is not None and p.topk:
        rows = p.topk[:k]
        row_texts = [fit_text(f"{name} {prob:.0%}", int(width * 0.45) - 2 * pad, 0.55 * s, thick_small)
                     for name, prob in rows]
        row_h = max(th for _, _, _, th in row_texts) + 2 * gap + 2 * thick_small
        top_limit = max(label_box.y1, status_box.y1) + gap
        fit_rows = max(0, min(len(rows), (height - top_limit - 2 * pad) // max(1, row_h)))
        if fit_rows:
            bar_w = max(w for _, _, w, _ in row_texts[:fit_rows]) + 2 * pad
            bar_w = max(bar_w, int(width * 0.3))
            box = Box(0, height - fit_rows * row_h - 2 * pad, min(width, bar_w + 2 * pad), height)
            out.boxes["topk"] = box
            out.lines["topk"] = []
            for i, ((name, prob), (t, sc, _, th)) in enumerate(zip(rows[:fit_rows], row_texts[:fit_rows])):
                y = box.y0 + pad + i * row_h
                out.bars.append((Box(pad, y + gap, pad + bar_w, y + row_h - gap), float(prob), name == p.label))
                out.lines["topk"].append(TextLine(t, (2 * pad, y + gap + (row_h - 2 * gap + th) // 2), sc, thick_small))
    return out


def _panel(frame: np.ndarray, box: Box, alpha: float = 0.55) -> None:
    """Darken a rectangle (a translucent panel behind text)."""
    x0, y0 = max(0, box.x0), max(0, box.y0)
    x1, y1 = min(frame.shape[1], box.x1), min(frame.shape[0], box.y1)
    if x1 > x0 and y1 > y0:   # OpenCV's saturating scale: a fifth of numpy's float round trip
        frame[y0:y1, x0:x1] = cv2.convertScaleAbs(frame[y0:y1, x0:x1], alpha=1 - alpha)


def _draw_lines(frame: np.ndarray, lines: list[TextLine]) -> None:
    for line in lines:
        cv2.putText(frame, line.text, line.origin, FONT, line.scale, line.colour, line.thickness, cv2.LINE_AA)


def person_colour(person_id: int) -> tuple[int, int, int]:
    """The colour of a tracked person's bones and tag (BGR)."""
    return PERSON_COLOURS[person_id % len(PERSON_COLOURS)]


class SkeletonAnnotator:
    """COCO-17 bones and joints; the person's left side blue, right side orange."""

    def __init__(self, min_score: float = 0.3, thickness: int | None = None) -> None:
        self.min_score = min_score
        self.thickness = thickness
        self.edges = edges_as_indices(COCO17, COCO17_EDGES)
        self.colours = [LEFT_COLOUR if n.startswith("left") else RIGHT_COLOUR if n.startswith("right")
                        else CENTRE_COLOUR for n in COCO17]

    def annotate(self, frame: np.ndarray, state: OverlayState) -> np.ndarray:
        for person in state.people:   # several people: bones in each id's colour
            self._draw(frame, person.keypoints, person.scores, person_colour(person.id))
        if not state.people and state.keypoints is not None:
            self._draw(frame, state.keypoints, state.scores)
        return frame

    def _draw(self, frame: np.ndarray, kp: np.ndarray, scores: np.ndarray | None,
              bone_colour: tuple[int, int, int] | None = None) -> None:
        ok = scores >= self.min_score if scores is not None else np.ones(len(kp), bool)
        t = self.thickness or max(2, int(round(min(frame.shape[:2]) / 240)))
        for a, b in self.edges:
            if ok[a] and ok[b]:
                cv2.line(frame, tuple(map(int, kp[a])), tuple(map(int, kp[b])), bone_colour or self.colours[b], t,
                         cv2.LINE_AA)
        for i, (x, y) in enumerate(kp):
            if ok[i]:
                cv2.circle(frame, (int(x), int(y)), t + 1, self.colours[i], -1, cv2.LINE_AA)


def place_tag(x0: int, size: tuple[int, int], person_top: int, person_bottom: int, taken: list[Box],
              frame_size: tuple[int, int]) -> Box:
    """Where a person's tag of ``size`` (width, height, padding included) goes in a (width, height)
    frame: just above the person, else just below them, else just above or below whatever is in the
    way (another tag, a panel); the first spot that overlaps nothing ``taken``. When every spot
    tried is taken (a crowded frame), above the person."""
    width, height = frame_size
    w, h = size

    def ending_at(y1: int) -> Box:
        y1 = int(np.clip(y1, h, height))
        return Box(x0, y1 - h, min(width, x0 + w), y1)

    first = ending_at(person_top)
    queue = [first, ending_at(person_bottom + h)]
    for _ in range(4 * (len(taken) + 2)):         # each obstacle adds two spots: bounded
        if not queue:
            break
        box = queue.pop(0)
        hit = next((other for other in taken if box.overlaps(other)), None)
        if hit is None:
            return box
        queue += [ending_at(hit.y0), ending_at(hit.y1 + h)]
    return first


class PeopleTagsAnnotator:
    """With several people: "#id label" in a small panel just above each person's skeleton, clear of
    the other tags and of the label, status and bars panels (:func:`layout`)."""

    def __init__(self, min_score: float = 0.3, k: int = 5) -> None:
        self.min_score = min_score
        self.k = k

    def annotate(self, frame: np.ndarray, state: OverlayState) -> np.ndarray:
        height, width = frame.shape[:2]
        s = base_scale(width, height) * 0.6
        thickness, pad = max(1, int(round(s * 1.5))), max(2, int(round(6 * s)))
        taken = list(layout(width, height, state, self.k).boxes.values()) if state.people else []
        for person in state.people:
            single = OverlayState(person.keypoints, person.scores, person.prediction, person.window_frames,
                                  state.window_size)
            text, kind = label_text(single)
            text, scale, w, h = fit_text(f"#{person.id} {text}", max(8, width // 3), s, thickness)
            seen = person.keypoints[person.scores >= self.min_score] if len(person.keypoints) else person.keypoints
            seen = seen if len(seen) else person.keypoints
            x0 = int(np.clip(seen[:, 0].min(), 0, max(0, width - w - 2 * pad)))
            box = place_tag(x0, (w + 2 * pad, h + 2 * pad), int(seen[:, 1].min()) - pad, int(seen[:, 1].max()) + pad,
                            taken, (width, height))
            taken.append(box)
            _panel(frame, box, 0.6)
            cv2.rectangle(frame, (box.x0, box.y0), (box.x1 - 1, box.y1 - 1), person_colour(person.id), thickness)
            _draw_lines(frame, [TextLine(text, (x0 + pad, box.y1 - pad), scale, thickness, LABEL_COLOURS[kind])])
        return frame


class PanelsAnnotator:
    """The label, the status and the probability bars, placed by :func:`layout`."""

    def __init__(self, k: int = 5) -> None:
        self.k = k

    def annotate(self, frame: np.ndarray, state: OverlayState) -> np.ndarray:
        plan = layout(frame.shape[1], frame.shape[0], state, self.k)
        for name, box in plan.boxes.items():
            _panel(frame, box)
        for bar, share, shown in plan.bars:
            end = bar.x0 + int(round((bar.x1 - bar.x0) * share))
            if end > bar.x0:
                cv2.rectangle(frame, (bar.x0, bar.y0), (end, bar.y1 - 1), (90, 200, 90) if shown else (150, 150, 150), -1)
        for lines in plan.lines.values():
            _draw_lines(frame, lines)
        return frame


def default_annotators(k: int = 5) -> list:
    return [SkeletonAnnotator(), PeopleTagsAnnotator(k=k), PanelsAnnotator(k)]


def annotate(frame: np.ndarray, state: OverlayState, annotators: list) -> np.ndarray:
    """Apply every annotator in order."""
    for annotator in annotators:
        frame = annotator.annotate(frame, state)
    return frame
