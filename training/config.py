"""Training options: defaults in one place, named recipes, and precedence CLI > recipe > defaults."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields

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
    window_frames: str = "max"            # live window: "max" (= max_frames), "auto" (see features), or N
    fps: float = 25.0                     # frame rate of the training clips (UCF101: 25)
    velocity: bool = False
    # model
    hidden_size: int = 128
    num_layers: int = 1
    cell: str = "lstm"
    bidirectional: bool = False
    dropout: float = 0.0
    # optimisation
    batch_size: int = 16
    epochs: int = 5
    lr: float = 1e-3
    weight_decay: float = 0.0
    lr_schedule: str = "none"             # "none" or "cosine"
    augment: bool = False
    keep_best: bool = False               # keep the epoch with the lowest val loss
    bucket: bool = True                   # batches of similar length (same maths, less padding)
    threads: int | None = None
    # outputs
    out: str | None = None                # None: runs/<timestamp>
    overwrite: bool = False
    recipe: str = "spec"

    def to_dict(self) -> dict:
        return asdict(self)


# Named recipes: overrides of the defaults. Command-line flags override a recipe.
RECIPES: dict[str, dict] = {
    "spec": {},
    # Measured on Penn Action over 3 seeds (README, "A recipe that beats the spec", and
    # `python -m bench.penn_ablation`). Tried and left out: a shorter live window (--window-frames
    # auto) and a bidirectional LSTM, which did not transfer better to real video.
    "strong": {
        "epochs": 60,
        "keep_best": True,
        "lr_schedule": "cosine",
        "augment": True,
        "velocity": True,
        "dropout": 0.3,
    },
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
