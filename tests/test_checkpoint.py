from pathlib import Path

import numpy as np
import pytest
import torch

from mapping.layouts import COCO17, MEDIAPIPE33
from training.checkpoint import (BUNDLED_MODEL, find_latest_checkpoint, load_checkpoint, resolve_checkpoint,
                                 save_checkpoint)
from training.errors import UserError
from training.features import FeatureSpec
from training.inference import predict_keypoints
from training.model import ActionLSTM, ModelConfig


def _save(path: Path, spec: FeatureSpec = FeatureSpec(max_frames=20, fps=30.0), classes=("a", "b", "c")) -> ActionLSTM:
    torch.manual_seed(0)
    model = ActionLSTM(ModelConfig(input_size=spec.feature_size, num_classes=len(classes)))
    save_checkpoint(path, model, spec, list(classes), {"file": "x.pkl", "size_bytes": 1})
    return model


def test_round_trip_restores_everything(tmp_path: Path) -> None:
    spec = FeatureSpec(max_frames=20, fps=30.0, velocity=True, joints_used=COCO17[5:])
    model = _save(tmp_path / "m.pt", spec)
    loaded = load_checkpoint(tmp_path / "m.pt")
    assert loaded.spec == spec and loaded.classes == ["a", "b", "c"] and loaded.data["file"] == "x.pkl"
    for k, v in model.state_dict().items():
        torch.testing.assert_close(loaded.model.state_dict()[k], v)
    scores = predict_keypoints(loaded, np.random.default_rng(0).uniform(0, 100, (9, 17, 2)).astype(np.float32))
    assert scores.probabilities.shape == (1, 3) and scores.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    assert scores.background.tolist() == [0.0]
    assert predict_keypoints(loaded, np.zeros((4, 17, 2), np.float32)) is None


def test_another_layout_is_refused_naming_both(tmp_path: Path) -> None:
    _save(tmp_path / "m.pt")
    with pytest.raises(UserError, match=r"17-joint layout \(nose, left_eye.*gives 33 joints \(nose, left_eye_inner"):
        load_checkpoint(tmp_path / "m.pt", expected_layout=MEDIAPIPE33)


def test_feature_size_mismatch_is_refused(tmp_path: Path) -> None:
    model = ActionLSTM(ModelConfig(input_size=34, num_classes=2))
    save_checkpoint(tmp_path / "m.pt", model, FeatureSpec(velocity=True), ["a", "b"], {})
    with pytest.raises(UserError, match="reads 34 values per frame but its feature spec makes 68"):
        load_checkpoint(tmp_path / "m.pt")


@pytest.mark.parametrize("content, pattern", [(b"not a checkpoint", "not a model file"), (None, "not found")])
def test_unreadable_checkpoints(tmp_path: Path, content, pattern) -> None:
    path = tmp_path / "m.pt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(UserError, match=pattern):
        load_checkpoint(path)


def test_foreign_torch_file_is_refused(tmp_path: Path) -> None:
    torch.save({"weights": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(UserError, match="not an action-recogniser checkpoint"):
        load_checkpoint(tmp_path / "other.pt")


def test_checkpoint_resolution_order(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    assert find_latest_checkpoint(runs) is None
    path, why = resolve_checkpoint(None, runs)
    assert path == BUNDLED_MODEL and "bundled" in why and "no trained run" in why
    assert resolve_checkpoint("default", runs)[0] == BUNDLED_MODEL
    with pytest.raises(UserError, match="latest: no trained model.*training.train.*--checkpoint default"):
        resolve_checkpoint("latest", runs)
    (runs / "r1").mkdir(parents=True)
    _save(runs / "r1" / "model.pt")
    assert find_latest_checkpoint(runs) == runs / "r1" / "model.pt"
    for option in (None, "latest"):
        path, why = resolve_checkpoint(option, runs)
        assert path == runs / "r1" / "model.pt" and "newest run" in why
    assert resolve_checkpoint("default", runs)[0] == BUNDLED_MODEL      # asked for: the bundled one even so
    assert resolve_checkpoint(str(runs / "r1"), runs)[0] == runs / "r1" / "model.pt"   # a run folder
    (runs / "empty").mkdir()
    with pytest.raises(UserError, match="folder without a model.pt"):
        resolve_checkpoint(str(runs / "empty"), runs)
