"""Weighted classification metrics (scikit-learn) in the shape the JSON outputs use."""
from __future__ import annotations

import numpy as np


def classification_metrics(true: np.ndarray, predicted: np.ndarray, num_classes: int) -> dict:
    """Accuracy, weighted precision/recall/F1 and the (C, C) confusion matrix (rows: true)."""
    # imported here: scikit-learn takes over a second to import, which every command that refuses
    # an option or prints --help would otherwise wait for
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support
    precision, recall, f1, _ = precision_recall_fscore_support(
        true, predicted, labels=list(range(num_classes)), average="weighted", zero_division=0)
    return {
        "accuracy": float(accuracy_score(true, predicted)),
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        "confusion_matrix": confusion_matrix(true, predicted, labels=list(range(num_classes))).tolist(),
    }
