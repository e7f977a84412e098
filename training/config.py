"""Training options: defaults in one place, named recipes, and precedence CLI > recipe > defaults."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

from training.features import FPS_RANGE, MAX_FRAMES_LIMIT
from training.labels import DEFAULT_CLASSES


@dataclass
class TrainConfig:
    """Every training option. The defaults are the spec recipe."""

    data: str = "ucf101_2d.pkl"
    label_map: str | None = None          # None: the UCF101 label map kept in code
    classes: str = ",".join(DEFAULT_CLASSES)
    split: str | None = None              # None: stratified 80/20; "train1": train1 vs test1
    val_fraction: float = 0.2
    seed: int = 0
    # features
    max_frames: int = 300
    window_frames: str = "max"            # live window: "max" (= max_frames), "auto", N frames or "5s" (train.resolve_window)
    fps: float = 25.0                     # frame rate of the training clips (UCF101: 25)
    velocity: bool = False
    # model
    hidden_size: int = 128
    num_layers: int = 1
    cell: str = "lstm"
    bidirectional: bool = False
    dropout: float = 0.0
    ensemble: int = 1                     # LSTMs trained from seeds seed..seed+N-1, probabilities averaged
    bagging: bool = False                 # each member on its own stratified split (seed + i)
    leave_out: bool = False               # member i learns every M-th class (i, i+M, ...) as an unknown action
    unknown_data: str | None = None       # skeleton file of actions none of the classes is (training.make_unknowns)
    second_model: bool = False            # also an MLP over pooled joint positions (training.second_opinion)
    # optimisation
    batch_size: int = 16
    epochs: int = 5
    lr: float = 1e-3
    weight_decay: float = 0.0
    lr_schedule: str = "none"             # "none" or "cosine"
    augment: bool = False
    pose_noise: bool = False              # pose-estimator-like proportions, jitter and lost joints
    short_crops: bool = False             # half the crops from 1 s up, as a filling live window holds
    background: float = 0.0               # background sequences per epoch, x the mean clips per class (0: off)
    background_kinds: str = "still,after,mixed"
    keep_best: bool = False               # keep the epoch with the lowest val loss
    bucket: bool = True                   # batches of similar length (same maths, less padding)
    threads: int | None = None
    device: str = "auto"                  # auto: CUDA when present, else CPU
    world_size: int = 1                   # processes training together (set by torchrun, not a flag)
    # outputs
    out: str | None = None                # None: runs/<timestamp>
    overwrite: bool = False
    recipe: str = "spec"

    def to_dict(self) -> dict:
        return asdict(self)


# Measured on Penn Action over 3 seeds (README, "A recipe that beats the spec", and
# `python -m bench.penn_ablation`). Tried and left out: a shorter live window (--window-frames
# auto) and a bidirectional LSTM, which did not transfer better to real video.
STRONG: dict = {
    "epochs": 60,
    "keep_best": True,
    "lr_schedule": "cosine",
    "augment": True,
    "velocity": True,
    "dropout": 0.3,
}

# Named recipes: overrides of the defaults. Command-line flags override a recipe.
RECIPES: dict[str, dict] = {
    "spec": {},
    "strong": STRONG,
    # The strong recipe as an ensemble of three LSTMs, each on its own 80/20 split (bench.trust: such
    # an ensemble is what moved the real-footage figures; pose noise, short crops, a background
    # class and members sharing one split did not), each member learning a third of the classes as
    # unknown actions (Penn leave-classes-out AUROC 0.926 -> 0.956; README, "Trust on real footage").
    # A 5 s live window: longer than 95% of Penn's clips (4.6 s); over 10 s, the shown labels of all
    # shared clips were the same (seeds 0-2) for half the model's cost per run. A second model of another
    # kind must give the named class 0.1 (unknown actions rejected 0.44 -> 0.89 over seeds 0-2, Penn's
    # held-out classes 0.31 -> 0.48; no real in-class clip named right became "no action").
    "trust": {**STRONG, "ensemble": 3, "bagging": True, "leave_out": True, "window_frames": "5s",
              "second_model": True},
}


def resolve_config(cli: dict) -> TrainConfig:
    """Merge defaults < recipe < command line (``None`` in ``cli`` means "not given")."""
    recipe = cli.get("recipe") or "spec"
    if recipe not in RECIPES:
        from training.errors import UserError
        raise UserError(f"Unknown recipe '{recipe}'. Choose one of: {', '.join(RECIPES)}.")
    names = {f.name for f in fields(TrainConfig)}
    merged = {**RECIPES[recipe], **{k: v for k, v in cli.items() if v is not None and k in names}}
    merged["recipe"] = recipe
    return TrainConfig(**merged)


# Each numeric option: (flag, lowest allowed, highest allowed, lowest excluded). The command line
# checks the same ranges with training.cli_types; this guards configs built in code or by recipes.
_RANGES = {
    "val_fraction": ("--val-fraction", 0.0, 1.0, True), "seed": ("--seed", 0, None, False),
    "max_frames": ("--max-frames", 1, MAX_FRAMES_LIMIT, False), "fps": ("--fps", *FPS_RANGE, False),
    "hidden_size": ("--hidden-size", 1, None, False), "num_layers": ("--num-layers", 1, None, False),
    "dropout": ("--dropout", 0.0, 1.0, False), "ensemble": ("--ensemble", 1, 20, False),
    "batch_size": ("--batch-size", 1, None, False), "epochs": ("--epochs", 1, None, False),
    "lr": ("--lr", 0.0, 10.0, True), "weight_decay": ("--weight-decay", 0.0, None, False),
    "background": ("--background", 0.0, None, False),
}


def check_config(config: TrainConfig) -> None:
    """Refuse options out of range (NaN and infinity included), naming the flag.

    Raises:
        UserError: the first option out of range.
    """
    from training.errors import UserError
    for name, (flag, low, high, low_excluded) in _RANGES.items():
        value = getattr(config, name)
        bad = (not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value)
               or value < low or (low_excluded and value == low) or (high is not None and value > high)
               or (name == "dropout" and value >= 1.0) or (name == "val_fraction" and value >= 1.0))
        if bad:
            bound = f"between {low:g} and {high:g}" if high is not None else f"{'above' if low_excluded else 'at least'} {low:g}"
            raise UserError(f"{flag} must be {bound}, got {value!r}.")
    if config.threads is not None and (not isinstance(config.threads, int) or config.threads < 1):
        raise UserError(f"--threads must be at least 1, got {config.threads!r}.")
    if config.leave_out and config.ensemble < 2:
        raise UserError("--leave-out needs an ensemble (--ensemble 2 or more, or --recipe trust): each member "
                        "leaves out classes the others know.")
