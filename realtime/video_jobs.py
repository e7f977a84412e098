"""Many videos, in this process or in several: ``realtime.video --workers N``.

Each job is one video (:class:`VideoJob`, picklable for a spawned process); :func:`run_jobs`
hands the longest video nobody has taken yet to whichever process is free and returns the
outcomes in the jobs' order, so the output is the same with any number of workers. An
interrupt (Ctrl-C, a scheduler's SIGTERM) keeps the videos finished so far.
"""
from __future__ import annotations

import dataclasses
import multiprocessing
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from realtime.pose import POSE_LAYOUT, quiet_native_libraries
from realtime.sources import frame_count_hint
from realtime.video_pipeline import VideoResult, classify_video
from training.checkpoint import LoadedCheckpoint, load_checkpoint
from training.decision import DecisionSpec
from training.device import resolve_device
from training.errors import Terminated, UserError, raise_terminated_on_sigterm


@dataclass
class VideoJob:
    """Everything one worker process needs for one video (picklable)."""

    video: str
    checkpoint: str
    device: str
    every: int | None
    decision: DecisionSpec
    k: int
    save_path: Path | None
    overwrite: bool
    pose_model: str | None
    progress: bool
    verbose: bool
    max_people: int = 1
    pose_threads: int | None = None       # None: this process's share of the free cores
    pose_processes: int = 1               # pose models running side by side (the --workers)


def run_job(job: VideoJob) -> VideoResult | str:
    """Classify one video in a worker; a user-facing problem comes back as its message."""
    quiet_native_libraries(job.verbose)
    try:
        ckpt = load_checkpoint(job.checkpoint, expected_layout=POSE_LAYOUT, device=resolve_device(job.device))
    except UserError as exc:
        return str(exc)
    return classify_here(job, ckpt)


def classify_here(job: VideoJob, ckpt: LoadedCheckpoint) -> VideoResult | str:
    """Classify one video in this process with a loaded checkpoint; a user-facing problem comes back as its message."""
    try:
        return classify_video(job.video, ckpt, job.every, job.decision, job.k, job.save_path, job.overwrite,
                              job.pose_model, progress=job.progress, verbose=job.verbose, max_people=job.max_people,
                              pose_threads=job.pose_threads, pose_processes=job.pose_processes)
    except UserError as exc:
        return str(exc)


@dataclass
class JobOutcomes:
    """Each job's outcome in the jobs' order: a result, an error message, or None when the run was
    interrupted (Ctrl-C, SIGTERM) before that video was finished."""

    outcomes: list[VideoResult | str | None]
    interrupted: bool = False
    terminated: bool = False      # the interruption was SIGTERM (exit status 143 instead of 130)


def longest_first(videos: list[str]) -> list[int]:
    """Indices of ``videos`` by their header's frame count, longest first (ties and unknown
    lengths keep the input order; a video that says nothing goes last)."""
    counts = [frame_count_hint(video) for video in videos]
    return sorted(range(len(videos)), key=lambda i: -counts[i])


class JobQueue:
    """Job indices in the order they are to be taken, shared by this process's thread and the pool's."""

    def __init__(self, order: list[int]) -> None:
        self._order = list(order)
        self._lock = threading.Lock()

    def take(self) -> int | None:
        """The next job to start, None when all are taken or the queue was closed."""
        with self._lock:
            return self._order.pop(0) if self._order else None

    def give_back(self, index: int) -> None:
        """Put a job that could not be started back at the front."""
        with self._lock:
            self._order.insert(0, index)

    def close(self) -> None:
        """Hand out nothing more (an interrupted run)."""
        with self._lock:
            self._order.clear()


def for_workers(jobs: list[VideoJob], workers: int) -> list[VideoJob]:
    """The jobs, each told that ``workers`` pose models run side by side (each takes its share of
    the cores, so that together they never run more pose threads than there are cores)."""
    return [dataclasses.replace(job, pose_processes=workers) for job in jobs]


def run_jobs(jobs: list[VideoJob], workers: int, ckpt: LoadedCheckpoint, progress: bool) -> JobOutcomes:
    """Classify every job; an interrupt keeps the videos finished so far.

    One worker: in this process, with the loaded checkpoint. More: this process and N-1 spawned
    ones, each with its own pose model, longest video first; results collected in the input
    order, so the output is the same as with one worker.
    """
    jobs = for_workers(jobs, workers)
    done: dict[int, VideoResult | str] = {}
    interrupted = terminated = False
    if workers <= 1:
        try:
            for index, job in enumerate(tqdm(jobs, desc="videos", unit="video", disable=not progress or len(jobs) < 2)):
                done[index] = classify_here(job, ckpt)
                _report(job.video, done[index])
        except KeyboardInterrupt as stop:    # Ctrl-C or SIGTERM (training.errors.Terminated)
            interrupted, terminated = True, isinstance(stop, Terminated)
        return JobOutcomes([done.get(i) for i in range(len(jobs))], interrupted, terminated)
    # This process is one of the workers: it starts at once while the others start up. Every
    # process takes the longest video nobody has taken yet when it is free (longest first: no long
    # video is left for the end while the other workers idle); a spawned worker is handed its
    # next video when it finishes one, so none waits on another's queue.
    queue = JobQueue(longest_first([job.video for job in jobs]))
    pool = ProcessPoolExecutor(max_workers=workers - 1, mp_context=multiprocessing.get_context("spawn"),
                               initializer=raise_terminated_on_sigterm)   # a scheduler's SIGTERM: like Ctrl-C
    pending: dict[int, Future] = {}         # videos handed to a spawned worker and not yet kept
    bar = tqdm(total=len(jobs), desc=f"videos ({workers} workers)", unit="video", disable=not progress)

    def hand_out(finished: Future | None = None) -> None:
        """Give a spawned worker its next video (at the start, and when it finished one cleanly)."""
        if finished is not None and (finished.cancelled() or finished.exception() is not None):
            return
        index = queue.take()
        if index is None:
            return
        try:
            future = pool.submit(run_job, jobs[index])
        except RuntimeError:                 # the pool is shutting down or broken: this process takes it
            queue.give_back(index)
            return
        pending[index] = future
        future.add_done_callback(hand_out)

    def keep(index: int, outcome: VideoResult | str) -> None:
        done[index] = outcome
        _report(jobs[index].video, outcome)
        bar.update()

    def collect_finished(stopping: bool = False) -> None:
        """Keep every video the spawned workers finished; a worker's failure (its Ctrl-C included)
        is raised here, unless ``stopping``."""
        for index, future in list(pending.items()):
            if not future.done() or future.cancelled() or (stopping and future.exception() is not None):
                continue
            keep(index, future.result())
            del pending[index]

    try:
        for _ in range(workers - 1):
            hand_out()
        while True:
            collect_finished()
            if len(done) == len(jobs):
                break
            index = queue.take()
            if index is not None:
                keep(index, classify_here(jobs[index], ckpt))
            elif pending:
                wait(list(pending.values()), return_when=FIRST_COMPLETED)
            else:
                time.sleep(0.01)             # a worker's next video is being handed out
    except KeyboardInterrupt as stop:        # the workers got the same Ctrl-C and stop their current video
        interrupted, terminated = True, isinstance(stop, Terminated)
    finally:
        queue.close()
        pool.shutdown(wait=True, cancel_futures=True)
        if interrupted:
            collect_finished(stopping=True)  # videos the workers finished while stopping are kept too
        bar.close()
    return JobOutcomes([done.get(i) for i in range(len(jobs))], interrupted, terminated)


def _report(video: str, outcome: VideoResult | str) -> None:
    if isinstance(outcome, str):
        tqdm.write(f"skipped {video}: {outcome}")
    else:
        for warning in outcome.warnings:
            tqdm.write(f"warning: {video}: {warning}")
