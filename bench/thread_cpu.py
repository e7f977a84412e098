"""Which threads a run's CPU time goes to, per frame (Linux: ``/proc/self/task``; elsewhere nothing).

The live loop is measured against the pose model alone; this says where the difference goes. Each
thread's user + system time is read before the run and, by a small poller, every
:data:`POLL_S` seconds while it runs, so threads that end with the run (capture, pose stage) are
counted up to their last reading (at most one poll short).

Threads are grouped by role: the project's Python threads by their ``threading`` names, the pose
model's native threads by how MediaPipe names them (``mediapipe/<id>``: a graph executor carries
its own id, a thread it started, such as the inference engine's worker, carries its creator's).
"""
from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

from realtime.pose_stage import POSE_THREAD_NAME
from realtime.sources import CAPTURE_THREAD_NAME

TASKS = Path("/proc/self/task")
POLL_S = 0.02
POLLER_NAME = "thread-cpu-poller"
ROLES = {"main": "main thread",                 # live: window, model, overlay; alone: MediaPipe's Python side
         "capture": "capture thread: decoding",
         "pose_stage": "pose thread: Python side",
         "executors": "MediaPipe graph executors",
         "worker": "MediaPipe inference worker",
         "other": "other threads"}
PYTHON_ROLES = {threading.main_thread().name: "main", CAPTURE_THREAD_NAME: "capture",
                POSE_THREAD_NAME: "pose_stage"}
MEDIAPIPE_THREAD = re.compile(r"mediapipe/(\d+)")


def available() -> bool:
    """Whether this system exposes per-thread CPU times (Linux)."""
    return TASKS.is_dir()


def thread_cpu_seconds() -> dict[int, tuple[str, float]]:
    """{thread id: (its name in the kernel, user + system CPU seconds so far)} of this process."""
    ticks = os.sysconf("SC_CLK_TCK")
    found: dict[int, tuple[str, float]] = {}
    for entry in TASKS.iterdir() if available() else ():
        try:
            stat = (entry / "stat").read_text()
        except OSError:          # the thread ended while we looked
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        found[int(entry.name)] = (name, (int(fields[11]) + int(fields[12])) / ticks)   # utime, stime
    return found


def role_of(tid: int, kernel_name: str, python_names: dict[int, str]) -> str:
    """One of :data:`ROLES` for a thread."""
    if tid in python_names:
        return PYTHON_ROLES.get(python_names[tid], "other")
    match = MEDIAPIPE_THREAD.fullmatch(kernel_name)
    if match:
        return "executors" if int(match.group(1)) == tid else "worker"
    return "other"


def cpu_by_role(run: Callable[[], int]) -> tuple[dict[str, float], float, int]:
    """Run ``run`` (returns how many frames it handled): ({role: CPU seconds}, wall seconds, frames).

    No roles where per-thread times cannot be read (see :func:`available`).
    """
    before = thread_cpu_seconds()
    last: dict[int, tuple[str, float]] = {}
    python_names: dict[int, str] = {}
    stop = threading.Event()

    def poll() -> None:
        while True:
            python_names.update({t.native_id: t.name for t in threading.enumerate() if t.native_id})
            last.update(thread_cpu_seconds())
            if stop.wait(POLL_S):
                return

    poller = threading.Thread(target=poll, name=POLLER_NAME, daemon=True)
    poller.start()
    started = time.perf_counter()
    try:
        frames = run()
    finally:
        wall = time.perf_counter() - started
        stop.set()
        poller.join()
    python_names.update({t.native_id: t.name for t in threading.enumerate() if t.native_id})
    last.update(thread_cpu_seconds())
    roles = dict.fromkeys(ROLES, 0.0) if available() else {}
    for tid, (name, seconds) in last.items():
        if python_names.get(tid) != POLLER_NAME:
            roles[role_of(tid, name, python_names)] += max(0.0, seconds - before.get(tid, (name, 0.0))[1])
    return roles, wall, frames


def ms_per_extra_frame(long: Callable[[], int], short: Callable[[], int]) -> tuple[dict[str, float], float]:
    """({role: CPU ms}, wall ms) per frame of ``long`` beyond ``short``: the same run on fewer
    frames, so what both pay once (loading the pose model, starting threads) cancels out."""
    long_roles, long_wall, long_frames = cpu_by_role(long)
    short_roles, short_wall, short_frames = cpu_by_role(short)
    extra = max(1, long_frames - short_frames)
    return ({role: 1000 * (seconds - short_roles[role]) / extra for role, seconds in long_roles.items()},
            1000 * (long_wall - short_wall) / extra)
