"""Training under torchrun: two CPU processes on 127.0.0.1 (gloo) train like one process."""
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.conftest import REPO, write_pickle
from training.checkpoint import load_checkpoint
from training.synthetic import make_synthetic_dataset

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def single_and_torchrun(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    folder = tmp_path_factory.mktemp("ddp")
    data = write_pickle(folder / "motion.pkl", make_synthetic_dataset(clips_per_class=30, lengths=(30, 120), seed=5))
    recipe = ["--data", str(data), "--seed", "0", "--epochs", "8", "--batch-size", "16", "--max-frames", "120",
              "--lr", "0.002", "--threads", "1", "--device", "cpu"]
    single = run(["-m", "training.train", *recipe, "--out", str(folder / "single")], folder)
    assert single.returncode == 0, single.stderr
    ddp = run(["-m", "torch.distributed.run", "--nnodes", "1", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
               "--master_port", str(free_port()), "-m", "training.train", *recipe, "--out", str(folder / "ddp")],
              folder)
    assert ddp.returncode == 0, ddp.stdout + ddp.stderr
    return folder / "single", folder / "ddp", ddp.stdout


def test_outputs_are_written_once_by_rank_0(single_and_torchrun: tuple[Path, Path, str]) -> None:
    single, ddp, log = single_and_torchrun
    assert sorted(p.name for p in ddp.iterdir()) == sorted(p.name for p in single.iterdir())
    assert not [p for p in ddp.parent.iterdir() if p.name.startswith((".ddp", "ddp-"))]     # no stray staging dirs
    assert log.count("kept epoch") == 1 and log.count(" epoch ") <= 1                    # one table, from rank 0
    assert "world size 2" in log and "rank 0 of world size 2" in log and "rank 1 of world size 2" in log
    config = json.loads((ddp / "metricas_entrenamiento.json").read_text())["config"]
    assert config["world_size"] == 2 and config["batch_size"] == 16
    assert json.loads((ddp / "run.json").read_text())["world_size"] == 2
    assert json.loads((single / "run.json").read_text())["world_size"] == 1


def test_the_checkpoint_is_plain_and_loads_without_a_group(single_and_torchrun: tuple[Path, Path, str]) -> None:
    _, ddp, _ = single_and_torchrun
    assert not torch.distributed.is_initialized()
    ckpt = load_checkpoint(ddp / "model.pt")
    assert not any(k.startswith("module.") for k in ckpt.model.state_dict())
    assert all(p.device.type == "cpu" for p in ckpt.model.parameters())


def test_two_processes_learn_like_one_with_the_same_global_batch(single_and_torchrun: tuple[Path, Path, str]) -> None:
    single, ddp, _ = single_and_torchrun
    one = json.loads((single / "metricas_entrenamiento.json").read_text())["epochs"]
    two = json.loads((ddp / "metricas_entrenamiento.json").read_text())["epochs"]
    assert len(one) == len(two) == 8
    assert one[-1]["val_accuracy"] >= 0.5                          # it learned (chance: 0.2), so the match means something
    # Same data, seeds and global batches: the same optimisation up to float summation order.
    assert [e["train_loss"] for e in two[:3]] == pytest.approx([e["train_loss"] for e in one[:3]], rel=1e-3)
    assert abs(two[-1]["val_accuracy"] - one[-1]["val_accuracy"]) <= 0.1
    assert two[-1]["val_loss"] == pytest.approx(one[-1]["val_loss"], rel=0.1)
