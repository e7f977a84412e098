"""Walking past the camera is no action: the bundled model's travel rule on the realtime.video timeline."""
import numpy as np

from realtime.timeline import ClipTimeline
from tests.conftest import shared_file
from training.checkpoint import BUNDLED_MODEL, load_checkpoint
from training.dataset import load_skeleton_file
from training.decision import NO_ACTION
from training.features import travel_amount
from training.labels import read_label_map

FPS = 30.0


def _penn_clip(name: str) -> np.ndarray:
    """(T, 17, 2) the first Penn Action training clip of class ``name``, played over and over for 7 s."""
    names = read_label_map(shared_file("skeletons/penn_action_label_map.txt"))
    clips = load_skeleton_file(shared_file("skeletons/penn_action_train_2d.pkl")).clips
    clip = next(c for c in clips if names[c.label] == name)
    return np.concatenate([clip.keypoints] * int(np.ceil(7 * FPS / len(clip.keypoints))))


def _labels(keypoints: np.ndarray) -> list[dict]:
    ckpt = load_checkpoint(BUNDLED_MODEL)
    timeline = ClipTimeline(ckpt, source_fps=FPS)
    for i, frame in enumerate(keypoints):
        timeline.add(i / FPS, frame, np.ones(17, np.float32))
    return timeline.finish().timeline


def test_a_person_crossing_the_picture_is_travelling_and_the_same_poses_in_place_are_not() -> None:
    in_place = _penn_clip("jumping_jacks")
    ckpt = load_checkpoint(BUNDLED_MODEL)
    size = np.median([np.sqrt(((f - f.mean(0)) ** 2).sum(1).mean()) for f in in_place])
    walk_px = 3.0 * size * np.arange(len(in_place)) / FPS        # 3 body sizes a second: a brisk walk across
    crossing = in_place + np.stack([walk_px, np.zeros_like(walk_px)], axis=1)[:, None].astype(np.float32)
    assert ckpt.decision.max_travel > 4.0, "the bundled model carries a fitted travel bar"
    assert travel_amount(crossing, ckpt.spec, 4.0) > ckpt.decision.max_travel > travel_amount(in_place, ckpt.spec, 4.0)
    late = [e for e in _labels(crossing) if e["time"] >= 4.0]     # once 4 s of poses are there
    assert late and all(e["label"] == NO_ACTION and e["reason"] == "travelling" for e in late)
    assert all(e["reason"] != "travelling" for e in _labels(in_place))
