"""The self-describing checkpoint: weights + everything needed to rebuild features and model."""
from __future__ import annotations

import os
import pickle
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from training.cli_types import path_text
from training.decision import DecisionSpec, decision_from_arguments, reserved_name, why_reserved
from training.errors import UserError
from training.features import FeatureSpec
from training.input_files import check_input_file
from training.model import ActionEnsemble, ActionLSTM, ModelConfig, build_model
from training.second_opinion import STATISTICS, SecondOpinion, SecondOpinionConfig

CHECKPOINT_FORMAT = "action-lstm/1"


@dataclass
class LoadedCheckpoint:
    """A model ready for inference and the parameters it was trained with."""

    model: ActionLSTM | ActionEnsemble
    spec: FeatureSpec
    classes: list[str]
    data: dict
    path: Path
    background: bool = False    # the model has one more output than classes: "no known action"
    decision: DecisionSpec = DecisionSpec()
    class_ids: list[int] | None = None   # the training file's label id of each class (None: not recorded)
    train_config: dict = field(default_factory=dict)   # the resolved training options (provenance)
    second_opinion: SecondOpinion | None = None   # a model of another kind (``--second-model``), None: not trained

    @property
    def member_known(self) -> np.ndarray | None:
        """(M, C) bool: which classes each ensemble member was trained to name (None: a single model)."""
        if not isinstance(self.model, ActionEnsemble):
            return None
        return self.model.config.known_classes(len(self.classes))

    def decision_from(self, args) -> DecisionSpec:
        """This checkpoint's decision parameters with the flags of ``add_decision_arguments`` applied
        (``--second-opinion`` refused when it has no second model)."""
        return decision_from_arguments(self.decision, args, self.second_opinion is not None)


def save_checkpoint(path: str | Path, model: ActionLSTM | ActionEnsemble, spec: FeatureSpec, classes: list[str],
                    data: dict, config: dict | None = None, background: bool = False,
                    decision: DecisionSpec | None = None, class_ids: list[int] | None = None,
                    second_opinion: SecondOpinion | None = None) -> None:
    """Write weights, model_args, class names, feature spec and data provenance to one file.

    The file is written next to its destination and renamed, so a crash never leaves half a file.
    """
    path = Path(path)
    payload = {
        "format": CHECKPOINT_FORMAT,
        "model_args": model.config.to_dict(),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "classes": list(classes),
        "class_ids": None if class_ids is None else [int(i) for i in class_ids],
        "background_output": bool(background),
        "decision": (decision or DecisionSpec(use_background=background)).to_dict(),
        "features": spec.to_dict(),
        "data": dict(data),
        "train_config": dict(config or {}),
    }
    if second_opinion is not None:
        weights = {k: v.detach().cpu() for k, v in second_opinion.state_dict().items()}
        payload["second_opinion"] = {"args": second_opinion.config.to_dict(), "state_dict": weights}
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: str | Path, expected_layout: tuple[str, ...] | None = None,
                    device: torch.device | str = "cpu") -> LoadedCheckpoint:
    """Load a checkpoint with ``weights_only=True`` and check it is self-consistent.

    Args:
        expected_layout: the joint layout the caller will feed; refused if it differs.
        device: where the model runs (weights are always read onto the CPU first).

    Raises:
        UserError: missing/corrupt file, another format, or a layout/feature-size mismatch.
    """
    path = check_input_file(path, "Checkpoint", if_folder="Pass its model.pt, or use --checkpoint default|latest.",
                            if_missing="Use --checkpoint default (the bundled model), train one with `python -m "
                                       "training.train --data FILE`, or pass --checkpoint runs/<run>/model.pt.")
    if not zipfile.is_zipfile(path):
        with path.open("rb") as f:
            if f.read(4) == b"PK\x03\x04":
                raise UserError(f"Checkpoint '{path}' is damaged or truncated and cannot be read. Re-copy it or "
                                "retrain.")
        raise UserError(f"Checkpoint '{path}' is not a model file written by training.train (not a PyTorch zip "
                        "archive). Pass a model.pt from a run folder, or --checkpoint default.")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        # torch's own message suggests weights_only=False, which would run code from the file: never say that
        raise UserError(f"Checkpoint '{path}' holds objects other than plain weights and settings, so it is not "
                        "loaded (loading it could run code). Use a model.pt written by training.train.") from None
    except (zipfile.BadZipFile, RuntimeError, EOFError, OSError, ValueError):
        raise UserError(f"Checkpoint '{path}' is damaged or truncated and cannot be read. Re-copy it or retrain.") from None
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
        family = CHECKPOINT_FORMAT.split("/")[0] + "/"
        other_version = isinstance(found, str) and found.startswith(family)
        raise UserError(f"Checkpoint '{path}' is not an action-recogniser checkpoint "
                        f"(format {found!r}, expected {CHECKPOINT_FORMAT!r})"
                        + (": another version of this project wrote it; use that version (git pull for a newer one) "
                           "or retrain with this one." if other_version else "."))
    try:
        spec = FeatureSpec.from_dict(payload["features"])
        config = ModelConfig(**payload["model_args"])
        classes = [str(c) for c in payload["classes"]]
        if len(set(classes)) != len(classes):
            raise ValueError(f"a class is named twice ({', '.join(sorted({c for c in classes if classes.count(c) > 1}))})")
        background = bool(payload.get("background_output", False))
        decision = DecisionSpec.from_dict(payload.get("decision") or {"use_background": background})
        class_ids = payload.get("class_ids")
        class_ids = None if class_ids is None else [int(i) for i in class_ids]
        if class_ids is not None and len(class_ids) != len(classes):
            raise ValueError(f"{len(class_ids)} class ids for {len(classes)} classes")
        if decision.min_visible and len(decision.min_visible) != len(classes):   # a traceback in every command
            raise ValueError(f"{len(decision.min_visible)} body-in-view levels (min_visible) for {len(classes)} classes")
    except (KeyError, TypeError, ValueError) as exc:
        raise UserError(f"Checkpoint '{path}' is incomplete or from another version ({exc}).") from None
    if (reserved := reserved_name(classes)) is not None:
        raise UserError(f"Checkpoint '{path}' names a class {why_reserved(reserved)}. Retrain with that class renamed.")
    if expected_layout is not None and tuple(expected_layout) != spec.layout:
        raise UserError(f"Checkpoint '{path}' was trained on a {len(spec.layout)}-joint layout "
                        f"({', '.join(spec.layout[:3])}, ...) but this input gives {len(expected_layout)} "
                        f"joints ({', '.join(expected_layout[:3])}, ...). Retrain on this layout.")
    if config.input_size != spec.feature_size:
        raise UserError(f"Checkpoint '{path}' is inconsistent: the model reads {config.input_size} values "
                        f"per frame but its feature spec makes {spec.feature_size}.")
    if config.num_classes != len(classes) + background:
        raise UserError(f"Checkpoint '{path}' has {config.num_classes} outputs but {len(classes)} class names"
                        + (" and a background output." if background else "."))
    try:
        config.check()
        model = build_model(config)
    except (ValueError, RuntimeError, TypeError) as exc:
        raise UserError(f"Checkpoint '{path}' has invalid model_args ({exc}).") from None
    state = payload.get("state_dict")
    if not isinstance(state, dict) or not state:
        raise UserError(f"Checkpoint '{path}' has no weights (no 'state_dict'). Use a model.pt written by training.train.")
    try:
        model.load_state_dict(state)
    except (RuntimeError, TypeError, AttributeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"Checkpoint '{path}' weights do not fit its model_args ({first}).") from None
    if not all(torch.isfinite(p).all() for p in model.parameters()):
        raise UserError(f"Checkpoint '{path}' has NaN or infinite weights (a training that diverged); it would "
                        "give meaningless results. Retrain with a lower --lr.")
    model.to(device).eval()
    second_opinion = load_second_opinion(path, payload.get("second_opinion"), spec, len(classes))
    if second_opinion is not None:
        second_opinion.to(device)
    provenance = {key: payload.get(key) or {} for key in ("data", "train_config")}
    bad = [key for key, value in provenance.items() if not isinstance(value, dict)]
    if bad:
        raise UserError(f"Checkpoint '{path}' is incomplete or from another version ({', '.join(bad)} is not a "
                        "dictionary).")
    return LoadedCheckpoint(model, spec, classes, dict(provenance["data"]), path, background, decision,
                            class_ids, dict(provenance["train_config"]), second_opinion)


def load_second_opinion(path: Path, entry, spec: FeatureSpec, n_classes: int) -> SecondOpinion | None:
    """The checkpoint's second model (None when it has none), checked against the features and classes."""
    if entry is None:
        return None
    try:
        if not isinstance(entry, dict) or not isinstance(entry.get("args"), dict):
            raise ValueError("no settings")
        config = SecondOpinionConfig(**entry["args"])
        config.check()
        expected = STATISTICS * 2 * spec.num_joints
        if config.input_size != expected or config.num_classes != n_classes:
            raise ValueError(f"it reads {config.input_size} values for {config.num_classes} classes, where the "
                             f"features give {expected} and the checkpoint has {n_classes} classes")
        model = SecondOpinion(config)
        model.load_state_dict(entry.get("state_dict") or {})
    except (TypeError, ValueError, RuntimeError, AttributeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"Checkpoint '{path}' has a damaged second model ({first}). Retrain, or use a model.pt "
                        "written by training.train.") from None
    if not all(torch.isfinite(t).all() for t in model.state_dict().values()):
        raise UserError(f"Checkpoint '{path}' has a second model with NaN or infinite weights; retrain.")
    return model.eval()


BUNDLED_MODEL = Path(__file__).resolve().parents[1] / "realtime" / "models" / "default.pt"
CHECKPOINT_HELP = ("model to use: 'default' (the model bundled with the project), 'latest' (the newest run under "
                   "runs/), a model.pt or a run folder (without the flag: the newest run if there is one, else "
                   "the bundled model)")


def find_latest_checkpoint(runs_dir: str | Path = "runs") -> Path | None:
    """``runs/latest/model.pt`` if it exists, else the newest ``runs/*/model.pt``, else None."""
    runs_dir = Path(runs_dir)
    latest = runs_dir / "latest" / "model.pt"
    if latest.is_file():
        return latest.resolve()
    candidates = sorted(runs_dir.glob("*/model.pt"), key=lambda p: p.stat().st_mtime)
    return candidates[-1] if candidates else None


def resolve_checkpoint(option: str | None, runs_dir: str | Path = "runs") -> tuple[Path, str]:
    """``--checkpoint`` -> (model file, why this one), in the order the README documents.

    Raises:
        UserError: 'latest' without any run, or a path that is not a model file or run folder.
    """
    text = None if option is None else str(option).strip()
    if text in (None, ""):
        latest = find_latest_checkpoint(runs_dir)
        if latest is not None:
            return latest, f"the newest run under {runs_dir}/; --checkpoint default for the bundled model"
        return BUNDLED_MODEL, f"the bundled default model: no trained run under {runs_dir}/"
    if text == "default":
        return BUNDLED_MODEL, "the bundled default model"
    if text == "latest":
        latest = find_latest_checkpoint(runs_dir)
        if latest is None:
            raise UserError(f"--checkpoint latest: no trained model under '{runs_dir}/'. Train one with "
                            "`python -m training.train --data FILE`, or use --checkpoint default.")
        return latest, f"the newest run under {runs_dir}/"
    path = Path(text).expanduser()
    if path.is_dir():
        if (path / "model.pt").is_file():
            return path / "model.pt", "model.pt of the given run folder"
        raise UserError(f"--checkpoint '{path}' is a folder without a model.pt. Pass a model file, a run folder, "
                        "'default' or 'latest'.")
    return path, "given with --checkpoint"


def add_checkpoint_argument(parser) -> None:
    """The one ``--checkpoint`` flag every command that loads a model shares."""
    parser.add_argument("--checkpoint", type=path_text, metavar="default|latest|PATH", help=CHECKPOINT_HELP)
