"""--device: auto picks what the machine has; a device it lacks is refused before any work."""
from pathlib import Path

import pytest
import torch

from tests.conftest import assert_clean_error, run_module
from training.checkpoint import load_checkpoint
from training.device import resolve_device
from training.errors import UserError
from training.inference import predict_features


def test_auto_picks_cuda_only_when_present() -> None:
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("CPU") == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_a_missing_gpu_is_a_clear_error() -> None:
    with pytest.raises(UserError, match="--device cuda: .*Use --device cpu"):
        resolve_device("cuda")


def test_an_unknown_device_is_refused() -> None:
    with pytest.raises(UserError, match="--device must be one of auto, cpu, cuda, mps"):
        resolve_device("tpu")


def test_a_checkpoint_loads_onto_the_device_asked_and_stays_device_independent(trained_checkpoint: Path) -> None:
    ckpt = load_checkpoint(trained_checkpoint, device=resolve_device("cpu"))
    assert all(p.device.type == "cpu" for p in ckpt.model.parameters())
    features = torch.zeros(2, 30, ckpt.spec.feature_size).numpy()
    scores = predict_features(ckpt, features, [30, 10])
    assert scores.probabilities.shape == (2, len(ckpt.classes))
    payload = torch.load(trained_checkpoint, map_location="cpu", weights_only=True)
    assert all(v.device.type == "cpu" for v in payload["state_dict"].values())


@pytest.mark.slow
@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_training_on_a_missing_gpu_stops_before_any_work(skeleton_file: Path, tmp_path: Path) -> None:
    proc = run_module("training.train", "--data", str(skeleton_file), "--device", "cuda", "--out",
                      str(tmp_path / "run"))
    assert_clean_error(proc, "--device cuda: .*--device cpu")
    assert not (tmp_path / "run").exists()
