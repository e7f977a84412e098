"""The self-describing checkpoint: weights + everything needed to rebuild features and model."""
from __future__ import annotations

import os
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path

import torch

from training.errors import UserError
from training.features import FeatureSpec
from training.model import ActionLSTM, ModelConfig

CHECKPOINT_FORMAT = "action-lstm/1"


@dataclass
class LoadedCheckpoint:
    """A model ready for inference and the parameters it was trained with."""

    model: ActionLSTM
    spec: FeatureSpec
    classes: list[str]
    data: dict
    path: Path


def save_checkpoint(path: str | Path, model: ActionLSTM, spec: FeatureSpec, classes: list[str],
                    data: dict, config: dict | None = None) -> None:
    """Write weights, model_args, class names, feature spec and data provenance to one file.

    The file is written next to its destination and renamed, so a crash never leaves half a file.
    """
    path = Path(path)
    payload = {
        "format": CHECKPOINT_FORMAT,
        "model_args": model.config.to_dict(),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "classes": list(classes),
        "features": spec.to_dict(),
        "data": dict(data),
        "train_config": dict(config or {}),
    }
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: str | Path, expected_layout: tuple[str, ...] | None = None) -> LoadedCheckpoint:
    """Load a checkpoint with ``weights_only=True`` and check it is self-consistent.

    Args:
        expected_layout: the joint layout the caller will feed; refused if it differs.

    Raises:
        UserError: missing/corrupt file, another format, or a layout/feature-size mismatch.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"Checkpoint '{path}' not found. Train one with `python -m training.train "
                        "--data ucf101_2d.pkl` or pass --checkpoint runs/<run>/model.pt.")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, zipfile.BadZipFile, RuntimeError, EOFError, OSError, ValueError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"Checkpoint '{path}' cannot be read ({first_line}). "
                        "Is it a model.pt written by training.train?") from None
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
        raise UserError(f"Checkpoint '{path}' is not an action-recogniser checkpoint "
                        f"(format {found!r}, expected {CHECKPOINT_FORMAT!r}).")
    try:
        spec = FeatureSpec.from_dict(payload["features"])
        config = ModelConfig(**payload["model_args"])
        classes = [str(c) for c in payload["classes"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise UserError(f"Checkpoint '{path}' is incomplete or from another version ({exc}).") from None
    if expected_layout is not None and tuple(expected_layout) != spec.layout:
        raise UserError(f"Checkpoint '{path}' was trained on a {len(spec.layout)}-joint layout "
                        f"({', '.join(spec.layout[:3])}, ...) but this input gives {len(expected_layout)} "
                        f"joints ({', '.join(expected_layout[:3])}, ...). Retrain on this layout.")
    if config.input_size != spec.feature_size:
        raise UserError(f"Checkpoint '{path}' is inconsistent: the model reads {config.input_size} values "
                        f"per frame but its feature spec makes {spec.feature_size}.")
    if config.num_classes != len(classes):
        raise UserError(f"Checkpoint '{path}' has {config.num_classes} outputs but {len(classes)} class names.")
    model = ActionLSTM(config)
    try:
        model.load_state_dict(payload["state_dict"])
    except RuntimeError as exc:
        raise UserError(f"Checkpoint '{path}' weights do not fit its model_args ({str(exc).splitlines()[0]}).") from None
    model.eval()
    return LoadedCheckpoint(model, spec, classes, dict(payload.get("data", {})), path)


def find_latest_checkpoint(runs_dir: str | Path = "runs") -> Path:
    """``runs/latest/model.pt`` if it exists, else the newest ``runs/*/model.pt``.

    Raises:
        UserError: when there is none, saying how to train one.
    """
    runs_dir = Path(runs_dir)
    latest = runs_dir / "latest" / "model.pt"
    if latest.is_file():
        return latest.resolve()
    candidates = sorted(runs_dir.glob("*/model.pt"), key=lambda p: p.stat().st_mtime)
    if candidates:
        return candidates[-1]
    raise UserError(f"No trained model found under '{runs_dir}/'. Train one first: "
                    "`python -m training.train --data ucf101_2d.pkl` (or run `python -m realtime.demo`), "
                    "or pass --checkpoint PATH.")
