"""Ctrl-C during training keeps the epochs already finished as a complete run (exit status 130)."""
import json
from pathlib import Path

import pytest

import training.train as train_module
from tests.conftest import EXIT_STATUS, stop_like, write_pickle
from training.checkpoint import load_checkpoint
from training.errors import run_cli
from training.synthetic import make_synthetic_dataset


@pytest.fixture(scope="module")
def small_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("interrupt")
    return write_pickle(folder / "small.pkl", make_synthetic_dataset(clips_per_class=6, lengths=(20, 40), seed=3))


def ctrl_c_on_call(monkeypatch: pytest.MonkeyPatch, n: int, kind: str = "ctrl-c") -> list[int]:
    """Stop the n-th call of one member's training epoch with Ctrl-C or a real SIGTERM (``kind``)."""
    real, calls = train_module.train_epoch, []

    def train_epoch(*args, **kwargs):
        calls.append(1)
        if len(calls) == n:
            stop_like(kind)
        return real(*args, **kwargs)

    monkeypatch.setattr(train_module, "train_epoch", train_epoch)
    return calls


@pytest.mark.parametrize("kind", ["ctrl-c", "sigterm"])
def test_ctrl_c_keeps_the_finished_epochs_and_exits_130(small_file: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    # SIGTERM (a scheduler's time limit) keeps them too, and exits with 143.
    ctrl_c_on_call(monkeypatch, 3, kind)             # during epoch 3 of 6
    out = tmp_path / "run"
    with pytest.raises(SystemExit) as stopped:
        run_cli(lambda: train_module.main(["--data", str(small_file), "--out", str(out), "--epochs", "6",
                                           "--max-frames", "48", "--keep-best"]))
    assert stopped.value.code == EXIT_STATUS[kind]
    run = json.loads((out / "run.json").read_text())
    metrics = json.loads((out / "metricas_entrenamiento.json").read_text())
    assert run["stopped_early_after_epoch"] == 2 and [e["epoch"] for e in metrics["epochs"]] == [1, 2]
    assert run["kept_epoch"] in (1, 2)
    assert all((out / name).is_file() for name in ("model.pt", "loss.png", "metrics.png", "confusion_matrix.png"))
    assert load_checkpoint(out / "model.pt").classes


def test_an_epoch_cut_short_in_an_ensemble_is_dropped_for_every_member(small_file: Path, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    ctrl_c_on_call(monkeypatch, 6)                   # epoch 3: member 1 finished it, member 2 is interrupted
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        train_module.main(["--data", str(small_file), "--out", str(out), "--epochs", "5", "--max-frames", "48",
                           "--ensemble", "2", "--no-keep-best"])
    run = json.loads((out / "run.json").read_text())
    assert run["stopped_early_after_epoch"] == 2 and run["data"]["kept_epochs"] == [2, 2]


def test_ctrl_c_in_the_first_epoch_leaves_nothing(small_file: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    ctrl_c_on_call(monkeypatch, 1)
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        train_module.main(["--data", str(small_file), "--out", str(out), "--epochs", "3", "--max-frames", "48"])
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name != "run"]

