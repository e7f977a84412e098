"""Pose estimation in its own thread, one frame ahead of the consumer.

On two cores the pose model keeps one core busy while the main thread runs the window, the
model and the overlay for the previous frame: the live loop then runs at about the pose
model's own rate instead of pose + everything else.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from realtime.handoff import Handoff
from realtime.pose import Pose, PoseEstimator
from realtime.sources import Frame, ThreadedCapture


POSE_THREAD_NAME = "pose"     # the pose model's thread (bench.thread_cpu reports its CPU time by this name)


@dataclass
class PosedFrame:
    """A frame, the person found in it (None: nobody) and, from a multi-person estimator, everyone
    found (``people``; the first is ``pose``)."""

    frame: Frame
    pose: Pose | None
    people: list[Pose] = field(default_factory=list)


class PoseStage:
    """Pulls frames from a capture, estimates poses, hands them on (newest wins when live).

    Errors raised by the pose model are re-raised in the consumer by :meth:`next`.
    """

    def __init__(self, capture: ThreadedCapture, pose: PoseEstimator) -> None:
        self._capture = capture
        self._pose = pose
        self._many = hasattr(pose, "estimate_all")
        self._handoff: Handoff[PosedFrame] = Handoff(drop_when_full=capture.realtime)
        self._error: BaseException | None = None
        self.pose_seconds = 0.0
        self._thread = threading.Thread(target=self._run, name=POSE_THREAD_NAME, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._handoff.closed:
                frame = self._capture.latest(timeout=0.5)
                if frame is None:
                    if self._capture.finished:
                        break
                    continue
                started = time.perf_counter()
                if self._many:
                    people = self._pose.estimate_all(frame.image, frame.timestamp_s)
                    found = people[0] if people else None
                else:
                    found = self._pose.estimate(frame.image, frame.timestamp_s)
                    people = [found] if found is not None else []
                self.pose_seconds += time.perf_counter() - started
                if not self._handoff.put(PosedFrame(frame, found, people)):
                    break
        except BaseException as exc:  # handed to the consumer, never lost
            self._error = exc
        finally:
            self._handoff.finish()

    def next(self, timeout: float = 2.0) -> PosedFrame | None:
        """The newest posed frame; None when nothing came in ``timeout`` s or the source ended."""
        item = self._handoff.get(timeout)
        if item is None and self._error is not None:
            raise self._error
        return item

    @property
    def finished(self) -> bool:
        return self._handoff.finished

    @property
    def dropped(self) -> int:
        """Frames dropped anywhere before the consumer (capture and pose stage)."""
        return self._capture.dropped + self._handoff.dropped

    def close(self) -> None:
        self._handoff.close()
        self._thread.join(timeout=5.0)

    def __enter__(self) -> "PoseStage":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
