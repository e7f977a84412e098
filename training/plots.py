"""The three training plots: loss.png, metrics.png, confusion_matrix.png."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def _pyplot():
    """matplotlib's pyplot on the file-only Agg backend (never opens a window), imported on first
    use: with seaborn about a second that a command refusing an option should not make you wait."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot_loss(epochs: list[dict], path: Path, kept: list[int] | None = None) -> None:
    """Train and val loss per epoch; the kept epoch is marked (one line per ensemble member)."""
    plt = _pyplot()
    x = [e["epoch"] for e in epochs]
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    ax.plot(x, [e["train_loss"] for e in epochs], "o-", label="train loss", color="#1f77b4")
    ax.plot(x, [e["val_loss"] for e in epochs], "s-", label="val loss", color="#d62728")
    for i, epoch in enumerate(kept or []):
        label = (f"kept epoch {epoch}" if len(kept) == 1 else
                 f"kept epochs {', '.join(map(str, kept))} (one per member)" if i == 0 else None)
        ax.axvline(epoch, color="grey", ls=":", label=label)
    ax.set(title="Cross-entropy loss per epoch", xlabel="epoch", ylabel="loss")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_metrics(epochs: list[dict], path: Path) -> None:
    """Val accuracy and weighted precision/recall/F1 per epoch, on a 0-1 axis."""
    plt = _pyplot()
    x = [e["epoch"] for e in epochs]
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    for key, label, marker in (("val_accuracy", "accuracy", "o"), ("val_precision", "precision (weighted)", "^"),
                               ("val_recall", "recall (weighted)", "v"), ("val_f1", "F1 (weighted)", "s")):
        ax.plot(x, [e[key] for e in epochs], marker=marker, label=label)
    last = epochs[-1]
    ax.set(title=f"Validation metrics per epoch (last: acc {last['val_accuracy']:.1%}, F1 {last['val_f1']:.1%})",
           xlabel="epoch", ylabel="score", ylim=(0, 1.02))
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_confusion(matrix: list[list[int]], classes: list[str], path: Path, title: str) -> None:
    """Heatmap of counts, coloured by the share of each true class (rows sum to 100%)."""
    plt = _pyplot()
    import seaborn as sns
    counts = np.asarray(matrix)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    size = max(5.0, 0.55 * len(classes) + 2.5)
    fig, ax = plt.subplots(figsize=(size + 1.2, size), dpi=120)
    sns.heatmap(shares, annot=counts, fmt="d", cmap="Blues", vmin=0, vmax=1, square=True,
                xticklabels=classes, yticklabels=classes, cbar_kws={"label": "share of true class"}, ax=ax)
    ax.set(title=title, xlabel="predicted class", ylabel="true class")
    plt.setp(ax.get_xticklabels(), rotation=40, ha="right")
    plt.setp(ax.get_yticklabels(), rotation=0)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
