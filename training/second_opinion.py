"""A second model of another kind: an MLP over where the joints were in the window, with no order in time.

The LSTMs read a window as a sequence; on footage unlike their training data (another action,
another kind of camera) they can be confidently wrong together. This model reads only pooled
statistics of the same normalised joint coordinates over the window (mean, std, min and max of
each coordinate), so it is wrong in other places, and the decision layer names a class only
when this model gives it at least ``DecisionSpec.second_opinion`` (README, "Trust on real
footage": over three seeds, unknown-action clips rejected 0.44 -> 0.89 on the shared clips and
Penn's held-out classes 0.31 -> 0.48, while no real in-class clip the LSTMs named right became
"no action").

Position statistics only, on purpose: statistics of the frame-to-frame change (speed) measure
the pose estimator's jitter and the frame rate as much as the action (MediaPipe on real
footage jitters far more than Penn's human annotation), and with them the model rejected real
jump-rope and sit-up clips (measured, same README section).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from training.augment import augment_clip
from training.features import FeatureSpec, build_features

STATISTICS = 4            # mean, std, min, max over time
VARIANTS_PER_CLIP = 12    # augmented copies of each training clip the model learns from
EPOCHS = 30
MIN_CROP_S = 1.0          # the shortest crop trained on: the shortest window a label is given from
# The decision's default bar (DecisionSpec.second_opinion) for a checkpoint with this model: the
# named class must get at least this (chance is 1/C: 0.067 for Penn's 15 classes). 0.1 and 0.2 gave the
# same clip labels on the shared real clips (prototype, seeds 0-2); 0.1 keeps the timeline steadier.
DEFAULT_MIN_SUPPORT = 0.1


def pooled_statistics(features: np.ndarray, length: int, num_joints: int) -> np.ndarray:
    """One window's features -> what the second opinion reads.

    Args:
        features: (T, F) the checkpoint's features (``training.features.build_features``); the
            first ``2 * num_joints`` values of a frame are the normalised joint coordinates.
        length: valid frames (>= 1; the rest is padding).

    Returns:
        (4 * 2 * num_joints,) float32: mean, std, min and max over the valid frames of each coordinate.
    """
    coords = np.asarray(features[:max(1, int(length)), :2 * num_joints], dtype=np.float32)
    return np.concatenate([coords.mean(0), coords.std(0), coords.min(0), coords.max(0)]).astype(np.float32)


@dataclass
class SecondOpinionConfig:
    """Sizes that rebuild the model; saved in the checkpoint."""

    input_size: int
    num_classes: int
    hidden_size: int = 256
    dropout: float = 0.3

    def to_dict(self) -> dict:
        return asdict(self)

    def check(self) -> None:
        """Raise ValueError for sizes no model can be built from."""
        bad = [f"{k}={v!r}" for k, v in (("input_size", self.input_size), ("num_classes", self.num_classes),
                                         ("hidden_size", self.hidden_size))
               if not isinstance(v, int) or isinstance(v, bool) or v < 1]
        if not isinstance(self.dropout, (int, float)) or not 0.0 <= self.dropout < 1.0:
            bad.append(f"dropout={self.dropout!r}")
        if bad:
            raise ValueError(f"invalid second-opinion settings: {', '.join(bad)}")


class SecondOpinion(nn.Module):
    """(B, input_size) pooled statistics -> (B, C) logits; the inputs' scaling is part of the weights."""

    def __init__(self, config: SecondOpinionConfig) -> None:
        super().__init__()
        config.check()
        self.config = config
        self.register_buffer("input_mean", torch.zeros(config.input_size))
        self.register_buffer("input_std", torch.ones(config.input_size))
        h = config.hidden_size
        self.net = nn.Sequential(nn.Linear(config.input_size, h), nn.ReLU(), nn.Dropout(config.dropout),
                                 nn.Linear(h, h), nn.ReLU(), nn.Dropout(config.dropout),
                                 nn.Linear(h, config.num_classes))

    def forward(self, statistics: torch.Tensor) -> torch.Tensor:
        return self.net((statistics - self.input_mean) / self.input_std)

    def probabilities(self, features: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """(B, T, F) features and (B,) lengths -> (B, C) class probabilities."""
        if len(features) == 0:
            return np.zeros((0, self.config.num_classes), dtype=np.float32)
        num_joints = self.config.input_size // (2 * STATISTICS)
        x = np.stack([pooled_statistics(f, n, num_joints) for f, n in zip(features, lengths)])
        with torch.inference_mode():
            device = self.input_mean.device
            return torch.softmax(self(torch.from_numpy(x).to(device)), dim=1).cpu().numpy()


def clip_statistics(clip: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """(T, V, 2) pixels of one clip -> its :func:`pooled_statistics` through the checkpoint's features."""
    features, length = build_features(clip, spec, pad=False)
    return pooled_statistics(features, length, spec.num_joints)


def train_second_opinion(clips: list[np.ndarray], labels: np.ndarray, num_classes: int, spec: FeatureSpec,
                         seed: int, epochs: int = EPOCHS, variants: int = VARIANTS_PER_CLIP) -> SecondOpinion:
    """Fit the model on ``variants`` augmented copies of every clip (the training recipe's skeleton
    augmentation; half the crops from :data:`MIN_CROP_S` up, as a live window that is filling holds).

    Args:
        clips: (T, V, 2) pixels of frames with a person, one per clip, at ``spec.fps``.
        labels: (N,) class of each clip, 0..num_classes-1.
    """
    rng = np.random.default_rng(seed)
    min_crop = max(2, int(round(MIN_CROP_S * spec.fps)))
    x = np.stack([clip_statistics(augment_clip(clip, spec.layout, rng, min_crop_frames=min_crop), spec)
                  for clip in clips for _ in range(variants)])
    y = torch.from_numpy(np.repeat(np.asarray(labels), variants).astype(np.int64))
    inputs = torch.from_numpy(x)
    with torch.random.fork_rng():       # the caller's random state is left as it was
        torch.manual_seed(seed)
        model = SecondOpinion(SecondOpinionConfig(input_size=x.shape[1], num_classes=num_classes))
        model.input_mean.copy_(torch.from_numpy(x.mean(0)))
        model.input_std.copy_(torch.from_numpy(x.std(0) + 1e-6))
        optimiser = torch.optim.Adam(model.parameters(), 1e-3, weight_decay=1e-4)
        model.train()
        for _ in range(epochs):
            order = torch.randperm(len(inputs))
            for start in range(0, len(order), 256):
                batch = order[start:start + 256]
                loss = nn.functional.cross_entropy(model(inputs[batch]), y[batch])
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
    return model.eval()
