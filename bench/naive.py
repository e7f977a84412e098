"""The naive baselines the project is measured against (written plainly on purpose)."""
from __future__ import annotations

import cv2
import numpy as np
import torch
from torch import nn

from realtime.pose import MediaPipePose
from training.checkpoint import LoadedCheckpoint
from training.features import build_features
from training.model import ActionLSTM


def naive_video_loop(path: str, ckpt: LoadedCheckpoint) -> int:
    """Single thread: read a frame, pose, map, append, normalise the whole window, run the LSTM, repeat.

    Returns the number of frames processed.
    """
    capture = cv2.VideoCapture(path)
    window: list[np.ndarray] = []
    frames = 0
    with MediaPipePose(threads=1) as pose, torch.inference_mode():   # mp.solutions.pose as it comes
        while True:
            ok, image = capture.read()
            if not ok:
                break
            found = pose.estimate(image)
            frames += 1
            if found is None:
                continue
            window = (window + [found.keypoints])[-ckpt.spec.max_frames:]
            features, length = build_features(np.stack(window), ckpt.spec)
            ckpt.model(torch.from_numpy(features[None]), torch.tensor([length]))
    capture.release()
    return frames


class PaddedLSTM(nn.Module):
    """The same function as ActionLSTM without packing: runs all 300 steps, reads the last valid one."""

    def __init__(self, model: ActionLSTM) -> None:
        super().__init__()
        self.rnn, self.head = model.rnn, model.head

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)                                              # (B, 300, H)
        last = out[torch.arange(len(x)), lengths - 1]                     # (B, H)
        return self.head(last)


def naive_train_steps(model: ActionLSTM, features: np.ndarray, lengths: np.ndarray, labels: np.ndarray,
                      batches: list[np.ndarray], lr: float = 1e-3) -> list[float]:
    """Train on full 300-frame padded batches; returns the loss of every batch."""
    padded = PaddedLSTM(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    model.train()
    for idx in batches:
        loss = loss_fn(padded(torch.from_numpy(features[idx]), torch.from_numpy(lengths[idx])),
                       torch.from_numpy(labels[idx]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
