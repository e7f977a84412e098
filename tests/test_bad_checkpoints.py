"""Bad --checkpoint files in every command: one clear error, never a traceback, never a result."""
import os
from pathlib import Path

import pytest
import torch

from tests.conftest import assert_clean_error, run_main_here, shared_file
from training.checkpoint import load_checkpoint, save_checkpoint
from training.errors import UserError
from training.features import FeatureSpec
from training.model import ActionLSTM, ModelConfig


class Hostile:
    def __reduce__(self):
        return (os.system, ("touch HACKED",))


def _payload(tmp_path: Path) -> dict:
    spec = FeatureSpec(max_frames=20)
    save_checkpoint(tmp_path / "good.pt", ActionLSTM(ModelConfig(num_classes=2)), spec, ["a", "b"], {})
    return torch.load(tmp_path / "good.pt", weights_only=True)


def bad_checkpoint(kind: str, tmp_path: Path) -> Path:
    path = tmp_path / f"{kind}.pt"
    if kind == "text":
        path.write_text("this is not a model\n")
    elif kind == "folder":
        path.mkdir()
    elif kind == "truncated":
        good = _payload(tmp_path)
        torch.save(good, path)
        path.write_bytes(path.read_bytes()[:300])
    elif kind == "hostile":
        torch.save({"format": "action-lstm/1", "x": Hostile()}, path)
    else:
        payload = _payload(tmp_path)
        if kind == "no_state_dict":
            payload.pop("state_dict")
        elif kind == "negative_hidden_size":
            payload["model_args"]["hidden_size"] = -4
        elif kind == "nan_weights":
            payload["state_dict"] = {k: torch.full_like(v, float("nan")) for k, v in payload["state_dict"].items()}
        elif kind.startswith("fps_"):        # before: a ValueError traceback (0, NaN) or a resampler that never ends (1e9)
            payload["features"]["fps"] = {"fps_zero": 0.0, "fps_nan": float("nan"), "fps_huge": 1e9}[kind]
        elif kind == "huge_max_frames":
            payload["features"]["max_frames"] = 10**9
        elif kind == "min_visible_short":    # before: a ValueError traceback in every command
            payload["decision"]["min_visible"] = [0.5]
        elif kind == "joint_not_in_layout":  # before: a KeyError traceback
            payload["features"]["joints_used"] = ["nose", "tail"]
        elif kind == "no_joint_used":        # before: ran, every feature 0, a confident class
            payload["features"]["joints_used"] = []
        elif kind == "class_twice":          # before: ran, the two classes indistinguishable
            payload["classes"] = ["a", "a"]
        elif kind == "class_no_person":      # the name of a clip or segment with nobody in view
            payload["classes"] = ["a", "No Person"]
        elif kind == "train_config_list":    # before: a TypeError traceback
            payload["train_config"] = [1, 2]
        elif kind == "other_version":        # before: only "format 'action-lstm/2', expected 'action-lstm/1'"
            payload["format"] = "action-lstm/2"
        torch.save(payload, path)
    return path


KINDS = {"text": "not a model file", "folder": "is a folder", "truncated": "damaged or truncated",
         "hostile": "could run code", "no_state_dict": "no weights", "negative_hidden_size": "hidden_size=-4",
         "nan_weights": "NaN or infinite weights", "fps_zero": "fps must be in 1..1000, got 0.0",
         "fps_nan": "fps must be in 1..1000, got nan", "fps_huge": "fps must be in 1..1000, got 1000000000.0",
         "huge_max_frames": "max_frames must be in 1..10000",
         "min_visible_short": r"from another version \(1 body-in-view levels \(min_visible\) for 2 classes\)",
         "joint_not_in_layout": r"joints_used must name joints of the layout, got \['nose', 'tail'\]",
         "no_joint_used": "joints_used must name joints of the layout, got none",
         "class_twice": r"a class is named twice \(a\)", "class_no_person": "names a class 'No Person', which is reserved",
         "train_config_list": "train_config is not a dictionary",
         "other_version": r"format 'action-lstm/2', expected 'action-lstm/1'\): another version of this project "
                          "wrote it; use that version"}


@pytest.mark.parametrize("kind", list(KINDS))
def test_load_refuses_with_a_reason(kind: str, tmp_path: Path) -> None:
    path = bad_checkpoint(kind, tmp_path)
    with pytest.raises(UserError, match=KINDS[kind]) as info:
        load_checkpoint(path)
    assert "weights_only=False" not in str(info.value)
    assert not (tmp_path / "HACKED").exists() and not Path("HACKED").exists()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["text", "no_state_dict", "negative_hidden_size", "nan_weights"])
def test_every_command_refuses_a_bad_checkpoint_cleanly(kind: str, tmp_path: Path, skeleton_file: Path) -> None:
    path = str(bad_checkpoint(kind, tmp_path))
    video = str(shared_file("videos/pose_squats.mp4"))
    commands = [("training.predict", ["--data", str(skeleton_file)]),
                ("training.evaluate", ["--data", str(skeleton_file)]),
                ("realtime.video", [video, "--no-progress"]),
                ("realtime.cam", ["--source", video, "--no-show"])]
    for proc in [run_main_here(module, *args, "--checkpoint", path) for module, args in commands]:
        assert_clean_error(proc, KINDS[kind])
        assert "weights_only=False" not in proc.stderr + proc.stdout
