"""ActionLSTM: a recurrent encoder over skeleton features plus a linear classification head."""
from __future__ import annotations

from dataclasses import asdict, dataclass

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

    def to_dict(self) -> dict:
        return asdict(self)


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
