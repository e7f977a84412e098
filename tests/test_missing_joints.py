"""Joints the training data never had travel in the checkpoint and are ignored in every path."""
from pathlib import Path

import numpy as np
import pytest

from mapping.layouts import COCO17
from realtime.recognizer import Recognizer
from tests.conftest import write_pickle
from training.checkpoint import load_checkpoint
from training.config import TrainConfig
from training.inference import predict_keypoints
from training.loop import encode_clips
from training.synthetic import make_synthetic_dataset, synthetic_record
from training.train import train

FACE = ("left_eye", "right_eye", "left_ear", "right_ear")


@pytest.fixture(scope="module")
def faceless_checkpoint(tmp_path_factory) -> Path:
    """Trained on data like Penn Action: eyes and ears hold the head point with score 0."""
    folder = tmp_path_factory.mktemp("faceless")
    data = make_synthetic_dataset(clips_per_class=4, lengths=(20, 60), seed=2)
    nose = COCO17.index("nose")
    for rec in data["annotations"]:
        for joint in FACE:
            j = COCO17.index(joint)
            rec["keypoint"][:, :, j] = rec["keypoint"][:, :, nose]
            rec["keypoint_score"][:, :, j] = 0
    path = write_pickle(folder / "faceless.pkl", data)
    result = train(TrainConfig(data=str(path), out=str(folder / "run"), epochs=1), echo=lambda *a: None, progress=False)
    return result.run_dir / "model.pt"


def test_checkpoint_records_the_joints_seen_in_training(faceless_checkpoint: Path) -> None:
    spec = load_checkpoint(faceless_checkpoint).spec
    assert set(spec.layout) - set(spec.joints_used) == set(FACE)


def test_live_eyes_and_ears_change_nothing_in_any_path(faceless_checkpoint: Path) -> None:
    ckpt = load_checkpoint(faceless_checkpoint)
    rec = synthetic_record("JumpRope", 50, np.random.default_rng(0), fps=ckpt.spec.fps)
    with_face = rec["keypoint"][0].astype(np.float32)               # eyes/ears where a live model puts them
    wild = with_face.copy()
    wild[:, [COCO17.index(j) for j in FACE]] += np.float32(80.0)    # anything at all
    # training path
    a, _ = encode_clips([with_face], ckpt.spec)
    b, _ = encode_clips([wild], ckpt.spec)
    np.testing.assert_array_equal(a, b)
    # offline inference path (realtime.video / training.predict)
    np.testing.assert_allclose(predict_keypoints(ckpt, with_face).probabilities,
                               predict_keypoints(ckpt, wild).probabilities, atol=1e-7)
    # streaming path (realtime.cam)
    streams = []
    for keypoints in (with_face, wild):
        recognizer = Recognizer(ckpt, every=1, min_frames=1)
        for i, kp in enumerate(keypoints):
            recognizer.update(i / ckpt.spec.fps, kp)
        streams.append(recognizer)
    np.testing.assert_array_equal(streams[0].window.features()[0], streams[1].window.features()[0])
    np.testing.assert_array_equal(streams[0].window.features()[0], a[0])
