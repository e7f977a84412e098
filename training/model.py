"""ActionLSTM: a recurrent encoder over skeleton features plus a linear classification head."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence


@dataclass
class ModelConfig:
    """Hyper-parameters that rebuild the model; saved in the checkpoint as ``model_args``."""

    input_size: int = 34
    hidden_size: int = 128
    num_layers: int = 1
    num_classes: int = 5
    cell: str = "lstm"          # "lstm" or "gru"
    bidirectional: bool = False
    dropout: float = 0.0        # on the final hidden state (and between layers when > 1)
    ensemble: int = 1           # members averaged at inference (each an ActionLSTM of this config)
    leave_out: bool = False     # member i was trained to be unsure of every ensemble-th class (i, i+M, ...)

    def to_dict(self) -> dict:
        return asdict(self)

    def known_classes(self, n_classes: int) -> np.ndarray:
        """(M, n_classes) bool: which classes each of the M members was trained to name.

        Every member knows every class, except with ``leave_out``: member i learned the classes
        i, i+M, i+2M, ... as unknown actions (equal probabilities), so each class is known to all
        members but one and each member has met real actions it does not know.
        """
        if not self.leave_out or self.ensemble < 2:
            return np.ones((self.ensemble, n_classes), dtype=bool)
        return np.arange(n_classes)[None, :] % self.ensemble != np.arange(self.ensemble)[:, None]

    def parameter_count(self) -> int:
        """Weights of the whole model (every member): recurrent layers plus the linear head."""
        gates = 4 if self.cell == "lstm" else 3
        directions = 2 if self.bidirectional else 1
        def layer(inputs: int) -> int:   # weights from the inputs and the state, two biases, per direction
            return directions * gates * self.hidden_size * (inputs + self.hidden_size + 2)
        rnn = layer(self.input_size) + (self.num_layers - 1) * layer(self.hidden_size * directions)
        head = self.hidden_size * directions * self.num_classes + self.num_classes
        return self.ensemble * (rnn + head)

    def check(self) -> None:
        """Raise ValueError for values no model can be built from."""
        counts = {"input_size": self.input_size, "hidden_size": self.hidden_size, "num_layers": self.num_layers,
                  "num_classes": self.num_classes, "ensemble": self.ensemble}
        bad = [f"{k}={v!r}" for k, v in counts.items() if not isinstance(v, int) or isinstance(v, bool) or v < 1]
        if not isinstance(self.dropout, (int, float)) or not 0.0 <= self.dropout < 1.0:
            bad.append(f"dropout={self.dropout!r}")
        if self.cell not in ("lstm", "gru"):
            bad.append(f"cell={self.cell!r}")
        if self.leave_out and self.ensemble < 2:
            bad.append("leave_out=True with a single model")
        if bad:
            raise ValueError(f"invalid model settings: {', '.join(bad)}")


class ActionLSTM(nn.Module):
    """(B, T, F) features + (B,) lengths -> (B, C) logits.

    The padding after frame ``length`` never changes the result: a one-way RNN is read at each
    clip's last valid step (its state there has not seen the padding), and a bidirectional one,
    whose backward pass would start in the padding, gets packed sequences. The dense one-way
    path is used because PyTorch's CPU kernels run a padded batch about 3x faster than a packed
    one (bench/); batches of similar length (training.loop.make_batches) keep the padding small.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        rnn_type = {"lstm": nn.LSTM, "gru": nn.GRU}.get(config.cell)
        if rnn_type is None:
            raise ValueError(f"cell must be 'lstm' or 'gru', got {config.cell!r}")
        self.rnn = rnn_type(config.input_size, config.hidden_size, num_layers=config.num_layers,
                            batch_first=True, bidirectional=config.bidirectional,
                            dropout=config.dropout if config.num_layers > 1 else 0.0)
        directions = 2 if config.bidirectional else 1
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden_size * directions, config.num_classes)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """x: (B, T, F) float32; lengths: (B,) int64 on CPU, each in 1..T. Returns (B, C)."""
        if not self.config.bidirectional:
            out, _ = self.rnn(x)                                          # (B, T, H)
            last = out[torch.arange(len(x)), lengths.to(out.device) - 1]  # (B, H) at each last valid step
            return self.head(self.dropout(last))                          # (B, C)
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, hidden = self.rnn(packed)
        h_n = hidden[0] if isinstance(hidden, tuple) else hidden          # (layers*2, B, H)
        last = torch.cat([h_n[-2], h_n[-1]], dim=1)                       # (B, 2H)
        return self.head(self.dropout(last))                              # (B, C)


class ActionEnsemble(nn.Module):
    """Several :class:`ActionLSTM` trained alike from different seeds; their probabilities averaged.

    ``forward`` returns the log of the mean probability, so ``softmax(forward(x))`` is the
    ensemble's probability and every consumer of logits works unchanged.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.members = nn.ModuleList(ActionLSTM(config) for _ in range(config.ensemble))

    def member_log_probs(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """x: (B, T, F); lengths: (B,). Returns (M, B, C): each member's log probabilities."""
        return torch.stack([torch.log_softmax(m(x, lengths), dim=1) for m in self.members])

    @staticmethod
    def combine(member_log_probs: torch.Tensor) -> torch.Tensor:
        """(M, B, C) members' log probabilities -> (B, C) log of their mean probability."""
        return torch.logsumexp(member_log_probs, dim=0) - torch.log(torch.tensor(float(len(member_log_probs))))

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """x: (B, T, F); lengths: (B,). Returns (B, C) log mean probabilities."""
        return self.combine(self.member_log_probs(x, lengths))


def build_model(config: ModelConfig) -> ActionLSTM | ActionEnsemble:
    """The model a config describes: one ActionLSTM, or an ensemble of ``config.ensemble`` of them."""
    if config.ensemble < 1:
        raise ValueError(f"ensemble must be >= 1, got {config.ensemble}")
    return ActionLSTM(config) if config.ensemble == 1 else ActionEnsemble(config)
