"""Ctrl-C while a command is still starting (importing PyTorch, OpenCV, MediaPipe) is one line, not a traceback."""
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO
from training.errors import quiet_interrupts_while_starting


@pytest.mark.parametrize("module", ["realtime.cam", "training.train"])
def test_ctrl_c_during_start_up_is_one_line_and_status_130(module: str) -> None:
    # Before: a KeyboardInterrupt traceback from deep inside `import torch`, and status -2.
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", module, "--help"], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.6)                              # Python is up; PyTorch alone takes longer to import
    if proc.poll() is not None:
        pytest.skip("the command started faster than the signal could be sent")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (proc.returncode, err)
    # "interrupted": on a fast machine the signal can land just after start-up, in the command itself
    assert "Traceback" not in err and err.strip() in ("interrupted while starting", "interrupted")


def test_importing_the_packages_as_a_library_leaves_ctrl_c_alone() -> None:
    before = signal.getsignal(signal.SIGINT)
    quiet_interrupts_while_starting()           # sys.argv[0] is pytest's, not "-m"
    assert signal.getsignal(signal.SIGINT) is before
