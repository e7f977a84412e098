"""The multi-person pieces without a pose model: detector decoding, crop geometry, tracker, per-person windows."""
from __future__ import annotations

import math

import numpy as np
import pytest

from realtime.person_crop import detection_views, roi_from_points, same_person, view_pixels
from realtime.pose import Pose
from realtime.ssd_decode import BLAZEPOSE_DETECTOR, Detection, decode, make_anchors, weighted_nms
from realtime.tracking import PersonTracker, skeleton_distance


def test_anchor_grid_matches_the_detector_output_rows() -> None:
    anchors = make_anchors(BLAZEPOSE_DETECTOR)
    assert anchors.shape == (2254, 2)              # the model's 2254 output rows
    assert anchors[0] == pytest.approx([0.5 / 28, 0.5 / 28])      # stride 8: 28x28 cells, 2 anchors each
    assert anchors[1] == pytest.approx(anchors[0])
    assert anchors[1568] == pytest.approx([0.5 / 14, 0.5 / 14])   # stride 16 starts after 28*28*2
    assert anchors[-1] == pytest.approx([6.5 / 7, 6.5 / 7])       # three stride-32 layers share 7x7 cells


def test_decode_turns_offsets_into_boxes_and_keypoints_and_drops_low_scores() -> None:
    anchors = make_anchors()
    boxes = np.zeros((2254, 12), np.float32)
    scores = np.full((2254, 1), -10.0, np.float32)            # sigmoid ~ 0: nothing
    boxes[100] = [22.4, -11.2, 44.8, 22.4, 0, 0, 0, -44.8, 0, 0, 0, 0]   # pixels of the 224 input
    scores[100] = 3.0                                           # sigmoid 0.95
    found = decode(boxes, scores, anchors, min_score=0.5)
    assert len(found) == 1
    d = found[0]
    centre = anchors[100] + [0.1, -0.05]
    assert d.score == pytest.approx(1 / (1 + math.exp(-3)), abs=1e-6)
    assert d.box == pytest.approx([centre[0] - 0.1, centre[1] - 0.05, centre[0] + 0.1, centre[1] + 0.05], abs=1e-6)
    assert d.keypoints[0] == pytest.approx(anchors[100], abs=1e-6)
    assert d.keypoints[1] == pytest.approx(anchors[100] + [0, -0.2], abs=1e-6)
    scores[:] = 200.0                                           # clipped logits: no overflow, all kept
    assert len(decode(boxes, scores, anchors, min_score=0.5)) == 2254


def test_weighted_nms_merges_overlaps_and_keeps_separate_people() -> None:
    def det(score, x):
        return Detection(score, np.array([x, 0.1, x + 0.1, 0.2], np.float32), np.full((4, 2), x, np.float32))
    merged = weighted_nms([det(0.9, 0.10), det(0.3, 0.11), det(0.8, 0.60)])
    assert [round(d.score, 2) for d in merged] == [0.9, 0.8]
    assert merged[0].box[0] == pytest.approx((0.9 * 0.10 + 0.3 * 0.11) / 1.2, abs=1e-6)   # score-weighted mean


def test_roi_follows_the_body_axis_and_crops_what_it_says() -> None:
    upright = roi_from_points(np.array([100.0, 200.0]), np.array([100.0, 120.0]))   # body point straight above hips
    assert upright.rotation == pytest.approx(0.0) and upright.size == pytest.approx(2 * 80 * 1.25)
    lying = roi_from_points(np.array([100.0, 200.0]), np.array([180.0, 200.0]))     # body point to the right
    assert lying.rotation == pytest.approx(math.pi / 2)
    # the crop maps the ROI's centre to the crop centre and its "up" to the crop's top
    matrix = lying.to_crop(256)
    centre = matrix @ np.array([100.0, 200.0, 1.0])
    top = matrix @ np.array([100.0 + lying.size / 2, 200.0, 1.0])
    assert centre == pytest.approx([128, 128], abs=1e-3) and top == pytest.approx([128, 0], abs=1e-3)


def test_views_cover_the_frame_and_pad_outside_it() -> None:
    views = detection_views(640, 480)
    assert views[0].side == 640 and views[0].y == -80                    # the whole frame, letterboxed
    tiles = views[1:]
    for fraction in (0.7, 0.45):
        side = round(480 * fraction)
        mine = [v for v in tiles if v.side == side]
        assert min(v.x for v in mine) == 0 and max(v.x + v.side for v in mine) == 640
        assert min(v.y for v in mine) == 0 and max(v.y + v.side for v in mine) == 480
    frame = np.full((480, 640, 3), 7, np.uint8)
    whole = view_pixels(frame, views[0])
    assert whole.shape == (640, 640, 3) and whole[0].max() == 0 and whole[320].min() == 7
    assert detection_views(640, 480, ()) == views[:1]


def test_same_person_tells_duplicates_from_neighbours() -> None:
    rng = np.random.default_rng(1)
    body = rng.uniform(0, 100, (33, 2))
    assert same_person(body, body + rng.normal(0, 3, body.shape))            # one body seen twice
    assert not same_person(body, body + [150, 0])                            # the next person
    jumbled = body[rng.permutation(33)]                                      # joints swapped, same box
    assert same_person(body, jumbled)
    overlapping = body * 0.6 + [40, 0]                                       # someone smaller, in front
    assert not same_person(body, overlapping)


def _pose(keypoints: np.ndarray) -> Pose:
    return Pose(keypoints.astype(np.float32), np.ones(17, np.float32), np.zeros((33, 3), np.float32))


def _walkers(frames: int, gap: tuple[int, int] | None = None, return_at: float | None = None):
    """Two people walking towards each other; the second one leaves during ``gap`` (frame range)."""
    rng = np.random.default_rng(0)
    shape = rng.uniform(0, 120, (17, 2))
    for f in range(frames):
        a = _pose(shape + [50 + 3 * f, 100])
        bx = 500 - 3 * f if return_at is None or gap is None or f < gap[1] else return_at
        b = _pose(shape + [bx, 110])
        people = [a, b] if gap is None or not gap[0] <= f < gap[1] else [a]
        yield f, people[::-1] if f % 2 else people      # the estimator's order means nothing


def _coloured_frame() -> np.ndarray:
    frame = np.zeros((480, 700, 3), np.uint8)
    frame[:, :350] = (0, 0, 200)       # whoever stands left wears red ...
    frame[:, 350:] = (200, 120, 0)     # ... right: blue
    return frame


def test_tracker_keeps_ids_while_people_cross_and_swap_order() -> None:
    tracker = PersonTracker(fps=10)
    seen = {}
    for f, people in _walkers(60):
        for person in tracker.update(people):
            seen.setdefault(person.id, []).append(person.pose.keypoints[:, 0].min())
    assert sorted(seen) == [1, 2]
    for xs in seen.values():   # each id moves steadily one way: never handed to the other walker
        steps = np.diff(xs)
        assert np.all(steps > 0) or np.all(steps < 0)


def test_a_person_back_within_seconds_keeps_their_id_and_a_stranger_does_not() -> None:
    frame = _coloured_frame()
    tracker = PersonTracker(fps=10, keep_s=1.0, reid_s=5.0)
    ids_after = []
    for f, people in _walkers(50, gap=(10, 30), return_at=420):     # gone 2 s, back somewhere else
        ids = {p.id for p in tracker.update(people, frame)}
        if f >= 33:
            ids_after.append(ids)
    assert all(ids == {1, 2} for ids in ids_after)                   # same colours: re-identified as 2
    other = frame.copy()
    other[:, 350:] = (0, 255, 0)                                     # the one who comes back wears green
    tracker = PersonTracker(fps=10, keep_s=1.0, reid_s=5.0)
    for f, people in _walkers(50, gap=(10, 30), return_at=420):
        ids = {p.id for p in tracker.update(people, frame if f < 30 else other)}
    assert ids == {1, 3}                                             # a new id, not the lost one's


def test_skeleton_distance_is_in_body_sizes() -> None:
    body = np.random.default_rng(2).uniform(0, 100, (17, 2))
    scores = np.ones(17)
    near = skeleton_distance(body, scores, body + [10, 0])
    assert near == pytest.approx(10 / np.ptp(body, axis=0).max())
    assert skeleton_distance(body * 2, scores, body * 2 + [20, 0]) == pytest.approx(near)   # twice as big, same


def test_people_recognizer_gives_each_id_its_own_window(trained_checkpoint) -> None:
    from realtime.people import PeopleRecognizer
    from training.checkpoint import load_checkpoint
    ckpt = load_checkpoint(trained_checkpoint)
    crowd = PeopleRecognizer(ckpt, fps=25)
    counts = {}
    for f, people in _walkers(80, gap=(40, 80)):        # the second walker leaves for good at frame 40
        for person in crowd.add(f / 25, people):
            counts[person.id] = len(person.timeline.recognizer.window)
    assert counts[1] > counts[2] > 0
    summaries = crowd.finish()
    assert [s.id for s in summaries] == [1, 2] and summaries[0].frames_seen > summaries[1].frames_seen
    first = summaries[0].to_json()
    assert first["label"] in ckpt.classes + ["no action"] and first["timeline"]
    assert first["centre"][0] < summaries[1].to_json()["centre"][0]   # walker 1 stayed left of walker 2 on average
    assert summaries[1].last_seen_s == pytest.approx(39 / 25)


def test_overlay_draws_every_person_with_a_tag_inside_the_frame() -> None:
    from realtime.annotators import OverlayState, PersonOverlay, annotate, default_annotators, person_colour
    from realtime.cam import _scaled
    shape = np.random.default_rng(3).uniform(0, 100, (17, 2)).astype(np.float32)
    left = PersonOverlay(1, shape + [60, 0], np.ones(17, np.float32), None, 12)        # touching the top edge
    right = PersonOverlay(2, shape + [480, 300], np.ones(17, np.float32), None, 40)
    state = OverlayState(left.keypoints, left.scores, None, 12, 300, people=[left, right])
    frame = annotate(np.zeros((480, 640, 3), np.uint8), state, default_annotators())
    for person in (left, right):   # the person's own colour appears around their skeleton
        x0, y0 = np.maximum(person.keypoints.min(0).astype(int) - 40, 0)
        x1, y1 = person.keypoints.max(0).astype(int) + 5
        region = frame[y0:y1, x0:x1].reshape(-1, 3)
        assert np.any(np.all(region == person_colour(person.id), axis=1))
    assert person_colour(1) != person_colour(2)
    half = _scaled(state, (0.5, 0.5))
    assert half.people[1].keypoints == pytest.approx(right.keypoints * 0.5)
    assert half.keypoints == pytest.approx(left.keypoints * 0.5)


def test_tags_of_people_close_together_do_not_overlap(monkeypatch) -> None:
    import realtime.annotators as annotators
    shape = np.random.default_rng(4).uniform(0, 100, (17, 2)).astype(np.float32)
    people = [annotators.PersonOverlay(i, shape + [200 + 5 * i, 200 + 3 * i], np.ones(17, np.float32), None, 10)
              for i in (1, 2, 3)]
    drawn = []
    real_panel = annotators._panel
    monkeypatch.setattr(annotators, "_panel", lambda frame, box, alpha=0.55: (drawn.append(box),
                                                                              real_panel(frame, box, alpha)))
    annotators.PeopleTagsAnnotator().annotate(np.zeros((480, 640, 3), np.uint8),
                                              annotators.OverlayState(None, None, None, 0, 300, people=people))
    assert len(drawn) == 3                                                  # one tag per person
    assert not any(a.overlaps(b) for i, a in enumerate(drawn) for b in drawn[i + 1:])
    assert all(b.inside(640, 480) for b in drawn)


def test_a_tag_is_never_hidden_under_the_label_status_or_bars_panels(monkeypatch) -> None:
    # Before: a person in the bottom-left corner had their tag drawn under the probability bars,
    # a person at the top under the label (the panels are drawn after the tags).
    import realtime.annotators as annotators
    from realtime.recognizer import Prediction
    shape = np.random.default_rng(5).uniform(0, 60, (17, 2)).astype(np.float32)
    prediction = Prediction(3.0, "squat", 0.8, "squat", 0.8, [("squat", 0.8), ("pushup", 0.1), ("situp", 0.05),
                                                                ("bowl", 0.03), ("golf_swing", 0.02)],
                            np.zeros(15, np.float32), 0.0, "", 150, 0.1, None)
    corners = [(20, 400), (10, 5), (560, 10), (300, 200)]        # under the bars, the label, the status; free
    people = [annotators.PersonOverlay(i, shape + offset, np.ones(17, np.float32), prediction, 150)
              for i, offset in enumerate(corners, 1)]
    state = annotators.OverlayState(people[0].keypoints, people[0].scores, prediction, 150, 150, people=people)
    drawn = []
    real_panel = annotators._panel
    monkeypatch.setattr(annotators, "_panel", lambda frame, box, alpha=0.55: (drawn.append(box),
                                                                              real_panel(frame, box, alpha)))
    annotators.PeopleTagsAnnotator().annotate(np.zeros((480, 640, 3), np.uint8), state)
    panels = annotators.layout(640, 480, state).boxes
    assert set(panels) == {"label", "status", "topk"} and len(drawn) == 4
    for tag in drawn:
        assert tag.inside(640, 480) and not any(tag.overlaps(box) for box in panels.values()), tag
    assert not any(a.overlaps(b) for i, a in enumerate(drawn) for b in drawn[i + 1:])
    free = drawn[3]                                # a person clear of the panels keeps the tag above the head
    assert free.y1 <= people[3].keypoints[:, 1].min() and free.x0 == int(people[3].keypoints[:, 0].min())
