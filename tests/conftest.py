"""Shared fixtures: paths to ../shared/data (skipped where absent) and tiny skeleton files."""
from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from training.synthetic import make_synthetic_dataset

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def shared_file(relative: str) -> Path:
    """A file under ../shared/data, or skip the test saying what is missing."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"needs ../shared/data/{relative} (the team's shared real data; absent in this clone)")
    return path


@pytest.fixture
def real_record() -> dict:
    """The real UCF101 annotation (v_ApplyEyeMakeup_g01_c01), loaded with plain pickle."""
    path = shared_file("skeletons/example_UCF101_skeleton_v_ApplyEyeMakeup_g01_c01.pkl")
    with path.open("rb") as f:
        return pickle.load(f)


def write_pickle(path: Path, obj: object, protocol: int = 4) -> Path:
    with path.open("wb") as f:
        pickle.dump(obj, f, protocol=protocol)
    return path


@pytest.fixture
def skeleton_file(tmp_path: Path) -> Path:
    """A small file in the exact ucf101_2d.pkl format: 5 classes x 9 clips of 1..400 frames,
    float16 keypoints, 2 person slots, varying img_shape, labels 14..51, a split dict, and the
    real UCF101 record when ../shared/data is present."""
    extra = []
    real = SHARED_DATA / "skeletons/example_UCF101_skeleton_v_ApplyEyeMakeup_g01_c01.pkl"
    if real.exists():
        with real.open("rb") as f:
            extra.append(pickle.load(f))
    data = make_synthetic_dataset(clips_per_class=9, lengths=(1, 400), seed=3, extra_records=extra)
    return write_pickle(tmp_path / "tiny_2d.pkl", data)


def pytest_configure(config: pytest.Config) -> None:
    """A shell starts a background job (``pytest &``) with Ctrl-C ignored, and every command the
    tests start inherits that: the tests that press Ctrl-C on a command would see it ignored (a
    looping ``realtime.cam`` then never ends). Ctrl-C is given back its default for the run."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def run_module(module: str, *args: str, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``python -m module args`` like a user would; returns the finished process."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", module, *args], cwd=cwd or REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


def run_main_here(module: str, *args: str) -> subprocess.CompletedProcess:
    """``python -m module args`` inside this process: the module runs as ``__main__`` (its own
    ``run_cli``, error lines and exit status) without the interpreter start-up and imports (~4 s a
    call). For checks that end before any work: a bad option or a bad file refused at the start."""
    import contextlib
    import io
    import runpy
    import warnings
    out, err, status = io.StringIO(), io.StringIO(), 0
    argv = sys.argv
    sys.argv = [module, *args]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
            # the tests imported the module already; its second copy runs as __main__, as `python -m` does
            warnings.filterwarnings("ignore", "'.*' found in sys.modules", RuntimeWarning)
            runpy.run_module(module, run_name="__main__", alter_sys=False)
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    finally:
        sys.argv = argv
    return subprocess.CompletedProcess([module, *args], status, out.getvalue(), err.getvalue())


def run_modules_together(commands: list[tuple[str, list[str]]], timeout: float = 600) -> list[subprocess.CompletedProcess]:
    """Run several ``python -m module args`` side by side (they are independent); results in order."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-m", module, *args], cwd=REPO, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for module, args in commands]
    done = []
    for proc in procs:
        out, err = proc.communicate(timeout=timeout)
        done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return done


def assert_clean_error(proc: subprocess.CompletedProcess, pattern: str) -> None:
    """A user error: exit 2, one 'error:' line that matches, and no traceback."""
    import re
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert re.search(pattern, proc.stderr), proc.stderr


def random_clip(rng: np.random.Generator, length: int, joints: int = 17) -> np.ndarray:
    """(T, V, 2) random pixel keypoints of one visible person."""
    return rng.uniform(10, 300, size=(length, joints, 2)).astype(np.float32)


@pytest.fixture(scope="session")
def trained_checkpoint(tmp_path_factory) -> Path:
    """A default-recipe checkpoint (5 UCF101 class names, window 300 at 25 fps) trained briefly on
    the synthetic motion file; shared by the realtime tests."""
    from training.config import TrainConfig
    from training.train import train
    folder = tmp_path_factory.mktemp("trained")
    data = write_pickle(folder / "motion.pkl", make_synthetic_dataset(clips_per_class=12, lengths=(30, 200), seed=5))
    result = train(TrainConfig(data=str(data), out=str(folder / "run"), epochs=3), echo=lambda *a: None, progress=False)
    return result.run_dir / "model.pt"


def stop_like(kind: str) -> None:
    """Stop the work the way a user or a scheduler does: ``"ctrl-c"`` raises KeyboardInterrupt (what
    Ctrl-C does), ``"sigterm"`` sends this process a real SIGTERM (a time limit, ``kill``, ``docker
    stop``), which the command must turn into the same clean stop (training.errors.run_cli)."""
    import signal
    import time
    if kind == "ctrl-c":
        raise KeyboardInterrupt
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(5)                     # the handler raises here
    raise AssertionError("SIGTERM did not stop the work")


EXIT_STATUS = {"ctrl-c": 130, "sigterm": 143}
