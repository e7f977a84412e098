"""The test that protects live accuracy: streaming and offline give the model the same tensor."""
from pathlib import Path

import numpy as np
import pytest

from realtime.recognizer import Recognizer
from training.checkpoint import load_checkpoint
from training.dataset import load_skeleton_file
from training.inference import predict_features
from training.loop import encode_clips
from training.synthetic import synthetic_record
from tests.conftest import write_pickle


def _stream(ckpt, keypoints: np.ndarray, fps: float) -> Recognizer:
    """Push frames one by one at ``fps`` (nobody-frames as None), like the camera loop does."""
    recognizer = Recognizer(ckpt, every=1, min_frames=1)
    for i, kp in enumerate(keypoints):
        recognizer.update(i / fps, kp if kp.any() else None)
    return recognizer


def _offline(ckpt, keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The training path: encode_clips, then the batch predictor."""
    features, lengths = encode_clips([keypoints], ckpt.spec)
    return features[0], lengths, predict_features(ckpt, features[:, : lengths[0]], lengths).probabilities[0]


def _clip_from_file(path: Path) -> np.ndarray:
    """Through the real loader, as training reads it."""
    return load_skeleton_file(path).clips[0].keypoints


@pytest.mark.parametrize("length, holes", [(137, []), (7, []), (1, []), (90, [10, 11, 40])])
def test_streaming_equals_offline(trained_checkpoint: Path, tmp_path: Path, length: int, holes: list[int]) -> None:
    ckpt = load_checkpoint(trained_checkpoint)
    rec = synthetic_record("Lunges", length, np.random.default_rng(length), fps=ckpt.spec.fps)
    rec["keypoint"][0, holes] = 0   # nobody in those frames
    path = write_pickle(tmp_path / "one.pkl", {"split": {}, "annotations": [rec]})
    keypoints = _clip_from_file(path)
    streamed = _stream(ckpt, keypoints, ckpt.spec.fps)
    stream_features, stream_length = streamed.window.features()
    offline_features, offline_lengths, offline_probs = _offline(ckpt, keypoints)
    assert stream_length == offline_lengths[0] == length - len(holes)
    np.testing.assert_array_equal(stream_features, offline_features)
    probs = streamed.latest.probabilities
    np.testing.assert_allclose(probs, offline_probs, atol=1e-6)


def test_streaming_equals_offline_on_the_real_ucf101_skeleton(trained_checkpoint: Path, real_record: dict,
                                                              tmp_path: Path) -> None:
    ckpt = load_checkpoint(trained_checkpoint)
    path = write_pickle(tmp_path / "real.pkl", {"split": {}, "annotations": [real_record]})
    keypoints = _clip_from_file(path)
    streamed = _stream(ckpt, keypoints, ckpt.spec.fps)
    offline_features, _, offline_probs = _offline(ckpt, keypoints)
    np.testing.assert_array_equal(streamed.window.features()[0], offline_features)
    np.testing.assert_allclose(streamed.latest.probabilities, offline_probs, atol=1e-6)


def test_long_stream_holds_the_newest_window(trained_checkpoint: Path) -> None:
    ckpt = load_checkpoint(trained_checkpoint)
    rec = synthetic_record("JumpRope", ckpt.spec.max_frames + 45, np.random.default_rng(1), fps=ckpt.spec.fps)
    keypoints = rec["keypoint"][0].astype(np.float32)
    streamed = _stream(ckpt, keypoints, ckpt.spec.fps)
    offline_features, _, _ = _offline(ckpt, keypoints[-ckpt.spec.max_frames:])
    np.testing.assert_array_equal(streamed.window.features()[0], offline_features)


def test_a_short_live_window_equals_the_offline_features_of_its_span(trained_checkpoint: Path, tmp_path: Path) -> None:
    """A checkpoint whose live window (window_frames) is shorter than its training length."""
    import dataclasses
    ckpt = load_checkpoint(trained_checkpoint)
    ckpt = dataclasses.replace(ckpt, spec=dataclasses.replace(ckpt.spec, window_frames=40))
    rec = synthetic_record("BodyWeightSquats", 97, np.random.default_rng(3), fps=ckpt.spec.fps)
    keypoints = rec["keypoint"][0].astype(np.float32)
    streamed = _stream(ckpt, keypoints, ckpt.spec.fps)
    assert len(streamed.window) == 40
    offline_features, _, offline_probs = _offline(ckpt, keypoints[-40:])
    np.testing.assert_array_equal(streamed.window.features()[0], offline_features)
    np.testing.assert_allclose(streamed.latest.probabilities, offline_probs, atol=1e-6)


def test_a_different_camera_rate_still_fills_the_window_at_the_model_rate(trained_checkpoint: Path) -> None:
    ckpt = load_checkpoint(trained_checkpoint)
    rec = synthetic_record("JumpingJack", 60, np.random.default_rng(2), fps=15.0)
    streamed = _stream(ckpt, rec["keypoint"][0].astype(np.float32), 15.0)  # 4 s at 15 fps
    assert abs(len(streamed.window) - 4 * ckpt.spec.fps) <= 1
