"""Batching, one training epoch, and evaluation; no I/O, no printing."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from training.distributed import Distributed
from training.features import FeatureSpec, build_features, person_present


def encode_clips(clips: list[np.ndarray], spec: FeatureSpec,
                 transform: Callable[[np.ndarray], np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Clips of (T, V, 2) keypoints -> features (N, L, F) float32 and lengths (N,) int64, padded to
    the longest clip's L <= max_frames rows (memory follows the data, not ``--max-frames``).

    ``transform`` (augmentation) sees each clip's valid frames only.
    """
    rows = [build_features(kp if transform is None else transform(kp[person_present(kp)]), spec, pad=False)
            for kp in clips]
    width = max((len(f) for f, _ in rows), default=1)
    features = np.zeros((len(clips), width, spec.feature_size), dtype=np.float32)
    lengths = np.zeros(len(clips), dtype=np.int64)
    for i, (f, n) in enumerate(rows):
        features[i, :len(f)], lengths[i] = f, n
    return features, lengths


def join_encoded(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Several :func:`encode_clips` results -> one: features (sum N, max L, F), each part padded
    with zero rows to the widest part's L (each encodes to its own longest clip), and lengths."""
    width = max(x.shape[1] for x, _ in parts)
    features = np.concatenate([np.pad(x, ((0, 0), (0, width - x.shape[1]), (0, 0))) for x, _ in parts])
    return features, np.concatenate([lengths for _, lengths in parts])


def make_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator,
                 bucket: bool = True, shuffle: bool = True) -> list[np.ndarray]:
    """Split sample indices into batches.

    With ``bucket``, a shuffled order is cut into chunks of 50 batches, each chunk sorted by
    length, so a batch holds clips of similar length and needs little padding; batch order is
    shuffled again. The loss of each batch is the same function as without bucketing.
    """
    order = rng.permutation(len(lengths)) if shuffle else np.arange(len(lengths))
    if bucket:
        chunk = batch_size * 50
        order = np.concatenate([part[np.argsort(lengths[part], kind="stable")]
                                for part in np.array_split(order, max(1, -(-len(order) // chunk)))])
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    if bucket and shuffle:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return batches


def batch_tensors(features: np.ndarray, lengths: np.ndarray, idx: np.ndarray,
                  device: torch.device | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Rows ``idx`` cut to the batch's longest clip: (B, T_max, F) on ``device`` and (B,) lengths on CPU."""
    batch_lengths = lengths[idx]
    t_max = int(batch_lengths.max())
    x = torch.from_numpy(features[idx, :t_max])
    return (x if device is None else x.to(device)), torch.from_numpy(batch_lengths)


UNKNOWN_LABEL = -1          # a training sample of an action the model must not know (see summed_loss)
UNKNOWN_WEIGHT = 0.5        # weight of the loss on such samples (outlier exposure's usual 0.5)


def summed_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Summed loss of a batch: (B, C) logits, (B,) class ids.

    A class id is a cross-entropy term; :data:`UNKNOWN_LABEL` is a sample of an action the model
    is to treat as unknown: its term is the cross-entropy to equal probabilities over every
    output, weighted by :data:`UNKNOWN_WEIGHT` (outlier exposure), so the model learns to be
    unsure on motion unlike its classes.
    """
    unknown = target == UNKNOWN_LABEL
    known_loss = nn.functional.cross_entropy(logits[~unknown], target[~unknown], reduction="sum")
    if not bool(unknown.any()):
        return known_loss
    uniform_loss = -torch.log_softmax(logits[unknown], dim=1).mean(dim=1).sum()
    return known_loss + UNKNOWN_WEIGHT * uniform_loss


def train_epoch(model: nn.Module, optimizer: torch.optim.Optimizer, features: np.ndarray, lengths: np.ndarray,
                labels: np.ndarray, batches: list[np.ndarray], progress: Callable | None = None,
                distributed: Distributed | None = None) -> float:
    """One pass over the global ``batches``; returns the mean training loss per sample (over every rank).

    Under torchrun each rank computes the summed loss of its share of a batch, scaled so that
    DistributedDataParallel's gradient average equals the gradient of the whole batch's mean
    loss: the same step as one process with the same batch. A rank whose share is empty (a
    last batch smaller than the world) still joins the step with a zero-weighted sample.
    """
    group = distributed or Distributed()
    device = group.device if distributed is not None else None
    model.train()
    total = 0.0
    for idx in batches:
        mine = group.share(idx)
        weight = 1.0 if len(mine) else 0.0
        rows = mine if len(mine) else idx[:1]
        x, lens = batch_tensors(features, lengths, rows, device)
        target = torch.from_numpy(labels[rows])
        loss = summed_loss(model(x, lens), target if device is None else target.to(device))
        optimizer.zero_grad()
        if group.active:
            (loss * (weight * group.world_size / len(idx))).backward()
        else:
            (loss / len(idx)).backward()
        optimizer.step()
        total += weight * loss.item()
        if progress is not None:
            progress(len(idx))
    total, = group.sum([total])
    return total / max(1, sum(len(b) for b in batches))


def predict_probabilities(model: nn.Module, features: np.ndarray, lengths: np.ndarray,
                          batch_size: int = 64) -> np.ndarray:
    """(N, T, F) features and (N,) lengths (each >= 1) -> (N, K) softmax of every output, in order.

    The model runs on the device its parameters are on.
    """
    model.eval()
    device = next(model.parameters()).device
    batches = make_batches(lengths, batch_size, np.random.default_rng(0), bucket=True, shuffle=False)
    out = None
    with torch.inference_mode():
        for idx in batches:
            x, lens = batch_tensors(features, lengths, idx, device)
            probabilities = torch.softmax(model(x, lens), dim=1).cpu().numpy()
            if out is None:
                out = np.empty((len(lengths), probabilities.shape[1]), dtype=np.float64)
            out[idx] = probabilities
    return out


def evaluate(models: list[nn.Module], features: np.ndarray, lengths: np.ndarray,
             labels: np.ndarray, distributed: Distributed | None = None) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of the models' averaged probabilities and (N,) predicted labels; lengths >= 1.

    Under torchrun each rank predicts its share of the rows and every rank gets all of them.
    """
    group = distributed or Distributed()
    plain = [getattr(m, "module", m) for m in models]          # DistributedDataParallel's inner model
    probabilities = group.predict_all(
        lambda rows: np.mean([predict_probabilities(m, features[rows], lengths[rows]) for m in plain], axis=0),
        len(labels))                                                                              # (N, K)
    picked = probabilities[np.arange(len(labels)), labels]
    return float(-np.mean(np.log(np.maximum(picked, 1e-12)))), probabilities.argmax(axis=1)
