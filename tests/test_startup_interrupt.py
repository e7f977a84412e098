"""Ctrl-C while a command is still starting (importing PyTorch, OpenCV, MediaPipe) is one line, not a traceback."""
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO
from training.errors import quiet_interrupts_while_starting


@pytest.mark.parametrize("module", ["realtime.video", "training.train"])
def test_ctrl_c_during_start_up_is_one_line_and_status_130(module: str) -> None:
    # Before: a KeyboardInterrupt traceback from deep inside `import torch`, and status -2.
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", module, "--help"], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(1.0)                              # Python is up, PyTorch's import takes longer than this
    if proc.poll() is not None:
        pytest.skip("the command started faster than the signal could be sent")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (proc.returncode, err)
    assert "Traceback" not in err and err.strip() == "interrupted while starting"


def test_importing_the_packages_as_a_library_leaves_ctrl_c_alone() -> None:
    before = signal.getsignal(signal.SIGINT)
    quiet_interrupts_while_starting()           # sys.argv[0] is pytest's, not "-m"
    assert signal.getsignal(signal.SIGINT) is before
