"""What one training epoch sees: the members of a run and their freshly augmented batches."""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import torch

from training.augment import augment_clip, perturb_pose
from training.background import background_sequences
from training.config import TrainConfig
from training.distributed import Distributed
from training.features import FeatureSpec
from training.loop import encode_clips, join_encoded
from training.model import ActionLSTM, ModelConfig


@dataclass
class Member:
    """One LSTM being trained: its optimiser, schedule, random stream, its own training sampler and
    validation tensors, and the best epoch it has seen (lowest validation loss)."""

    model: torch.nn.Module             # an ActionLSTM, wrapped in DistributedDataParallel under torchrun
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler | None
    rng: np.random.Generator
    sampler: "EpochSampler"
    x_val: np.ndarray                  # (N_val, max_frames, F)
    len_val: np.ndarray                # (N_val,)
    y_val: np.ndarray                  # (N_val,)
    best_loss: float = float("inf")
    best_epoch: int = 0
    best_state: dict | None = None     # CPU copy of the best epoch's weights
    best_confusion: list | None = None


def new_member(model_config: ModelConfig, config: TrainConfig, index: int, sampler: "EpochSampler",
               validation: tuple[np.ndarray, np.ndarray, np.ndarray], distributed: Distributed | None = None) -> Member:
    """Member ``index`` seeded with ``seed + index`` (member 0 is exactly the single-model run),
    on the run's device (and wrapped for data-parallel training under torchrun)."""
    torch.manual_seed(config.seed + index)
    model = (distributed or Distributed()).wrap(ActionLSTM(model_config))
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    scheduler = (torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs)
                 if config.lr_schedule == "cosine" else None)
    return Member(model, optimizer, scheduler, np.random.default_rng(config.seed + index), sampler, *validation)


class EpochSampler:
    """One epoch's training tensors: the clips (augmented afresh when the recipe says so) plus,
    with ``--background``, newly made background sequences labelled as the extra output."""

    def __init__(self, config: TrainConfig, spec: FeatureSpec, clips: list[np.ndarray], labels: np.ndarray,
                 n_classes: int, n_background: int) -> None:
        self.config, self.spec, self.clips, self.labels = config, spec, clips, labels
        self.background_label = n_classes      # the extra output after the classes
        self.n_background = n_background
        self.kinds = tuple(k.strip() for k in config.background_kinds.split(",") if k.strip())
        self.min_crop = int(round(spec.fps)) if config.short_crops else None
        self.augmenting = config.augment or config.pose_noise
        self._plain = None if self.augmenting else encode_clips(clips, spec)

    @property
    def size(self) -> int:
        return len(self.clips) + self.n_background

    def _augment(self, kp: np.ndarray, rng: np.random.Generator, temporal: bool = True) -> np.ndarray:
        """Real clips: every augmentation; background sequences (temporal=False): no time crop and no
        extra jitter, so a held pose stays as still as the background generator made it."""
        if self.config.augment:
            kp = augment_clip(kp, self.spec.layout, rng, min_crop_frames=self.min_crop, temporal=temporal)
        return perturb_pose(kp, self.spec.layout, rng, jitter=temporal) if self.config.pose_noise else kp

    def sample(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(N, max_frames, F) features, (N,) lengths, (N,) labels for one epoch."""
        if self._plain is not None:
            x, lengths = self._plain
        else:
            x, lengths = encode_clips(self.clips, self.spec, transform=partial(self._augment, rng=rng))
        if not self.n_background:
            return x, lengths, self.labels
        negatives = background_sequences(self.clips, self.labels, self.n_background, self.spec.layout, self.spec.fps,
                                         self.spec.max_frames, rng, self.kinds)
        x_bg, len_bg = encode_clips(negatives, self.spec, transform=partial(self._augment, rng=rng, temporal=False)
                                    if self.augmenting else None)
        y_bg = np.full(self.n_background, self.background_label, dtype=self.labels.dtype)
        return (*join_encoded([(x, lengths), (x_bg, len_bg)]), np.concatenate([self.labels, y_bg]))
