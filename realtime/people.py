"""Several people at once: one tracked id, sliding window, recogniser and steady label per person.

Fed every frame's poses, it asks :class:`PersonTracker` who is who and gives each id its own
:class:`ClipTimeline` (window, model, decision layer: exactly what one person gets). A person
out of view this frame gets "nobody" in their own window, as the single-person path does, so
their window empties after the same absence; an id the tracker has forgotten is closed and its
summary kept (``realtime.video``) or dropped (live, ``keep_history=False``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from realtime.annotators import OverlayState, PersonOverlay
from realtime.person_crop import body_size
from realtime.pose import Pose
from realtime.recognizer import Prediction
from realtime.timeline import ClipSummary, ClipTimeline
from realtime.tracking import PersonTracker, TrackedPerson
from training.checkpoint import LoadedCheckpoint
from training.decision import DecisionSpec


@dataclass
class PersonTimeline:
    """One tracked person: their timeline and when they were seen."""

    id: int
    timeline: ClipTimeline
    first_seen_s: float
    last_seen_s: float
    frames_seen: int = 0
    pose: Pose | None = None          # this frame's pose (None: not in view now)
    new_prediction: Prediction | None = None   # the model's run on this frame, if it ran
    centre_sum: np.ndarray = field(default_factory=lambda: np.zeros(2))   # sum of the body centres seen (pixels)


@dataclass
class PersonSummary:
    """One person's outcome in a video (``realtime.video`` JSON ``people`` entries); ``centre`` is
    where they were on average (x, y pixels), to tell who is who."""

    id: int
    frames_seen: int
    first_seen_s: float
    last_seen_s: float
    centre: tuple[float, float]
    summary: ClipSummary = field(repr=False)

    def to_json(self) -> dict:
        s = self.summary
        return {"id": self.id, "frames_seen": self.frames_seen, "first_seen": round(self.first_seen_s, 3),
                "last_seen": round(self.last_seen_s, 3), "centre": [round(v, 1) for v in self.centre],
                "label": s.label, "probability": round(s.probability, 4),
                "raw_label": s.raw_label, "rejected_share": round(s.rejected_share, 4),
                "mean_probabilities": {c: round(v, 4) for c, v in s.mean_probabilities.items()},
                "timeline": s.timeline, "segments": s.segments}


class PeopleRecognizer:
    """Tracker + one :class:`ClipTimeline` per id (see the module docstring).

    Args:
        ckpt, every, decision, k, source_fps: as for :class:`ClipTimeline`.
        fps: the stream's frame rate (the tracker's times are in seconds; None: unknown).
        keep_history: keep every prediction and forgotten person (video) or not (live).
    """

    def __init__(self, ckpt: LoadedCheckpoint, fps: float | None, every: int | None = None,
                 decision: DecisionSpec | None = None, k: int = 5, source_fps: float | None = None,
                 keep_history: bool = True, reset_after_s: float = 3.0) -> None:
        self.ckpt = ckpt
        self._make = lambda: ClipTimeline(ckpt, every=every, decision=decision, k=k, source_fps=source_fps,
                                          keep_predictions=keep_history, reset_after_s=reset_after_s)
        self.tracker = PersonTracker(fps)
        self.keep_history = keep_history
        self.active: dict[int, PersonTimeline] = {}
        self.closed: list[PersonTimeline] = []
        self.model_seconds_closed = 0.0
        self.model_runs_closed = 0

    def add(self, timestamp_s: float, poses: list[Pose], frame_bgr: np.ndarray | None = None) -> list[PersonTimeline]:
        """One frame's poses (any order) -> the people in view now, in id order."""
        tracked: list[TrackedPerson] = self.tracker.update(poses, frame_bgr)
        in_view = {person.id: person.pose for person in tracked}
        for person_id in in_view:
            if person_id not in self.active:
                self.active[person_id] = PersonTimeline(person_id, self._make(), timestamp_s, timestamp_s)
        for person_id, person in self.active.items():
            pose = in_view.get(person_id)
            person.pose = pose
            person.new_prediction = person.timeline.add(timestamp_s, pose.keypoints if pose else None,
                                                        pose.scores if pose else None)
            if pose is not None:
                person.frames_seen += 1
                person.last_seen_s = timestamp_s
                person.centre_sum += pose.keypoints.mean(axis=0)
        live = self.tracker.live_ids
        for person_id in [i for i in self.active if i not in live]:
            self._close(self.active.pop(person_id))
        return [self.active[i] for i in sorted(in_view)]

    def _close(self, person: PersonTimeline) -> None:
        self.model_seconds_closed += person.timeline.recognizer.model_seconds
        self.model_runs_closed += person.timeline.recognizer.model_runs
        if self.keep_history:
            self.closed.append(person)

    def reset(self) -> None:
        """Empty every person's window and decision (the live ``r`` key); ids stay."""
        for person in self.active.values():
            person.timeline.recognizer.reset()

    @property
    def model_seconds(self) -> float:
        return self.model_seconds_closed + sum(p.timeline.recognizer.model_seconds for p in self.active.values())

    @property
    def model_runs(self) -> int:
        return self.model_runs_closed + sum(p.timeline.recognizer.model_runs for p in self.active.values())

    def latest(self) -> dict[int, Prediction | None]:
        """Each active person's latest prediction (None before their first)."""
        return {i: p.timeline.recognizer.latest for i, p in self.active.items()}

    def finish(self) -> list[PersonSummary]:
        """Close everyone; each person's summary, most frames seen first (ties: lower id)."""
        for person_id in list(self.active):
            self._close(self.active.pop(person_id))
        people = [PersonSummary(p.id, p.frames_seen, p.first_seen_s, p.last_seen_s,
                                tuple(float(v) for v in p.centre_sum / max(1, p.frames_seen)), p.timeline.finish())
                  for p in self.closed]
        return sorted(people, key=lambda s: (-s.frames_seen, s.id))


def main_person(in_view: list[PersonTimeline]) -> PersonTimeline | None:
    """The person the single-person panels describe: the largest body in view."""
    shown = [p for p in in_view if p.pose is not None]
    if not shown:
        return None
    return max(shown, key=lambda p: body_size(p.pose.keypoints))


def crowd_overlay(in_view: list[PersonTimeline], window_size: int) -> OverlayState:
    """Overlay for several people: every skeleton with its tag; the panels describe the largest person."""
    main = main_person(in_view)
    if main is None:
        return OverlayState(None, None, None, 0, window_size)
    recognizer = main.timeline.recognizer
    return OverlayState(main.pose.keypoints, main.pose.scores, recognizer.latest, len(recognizer.window),
                        window_size, people=people_overlay(in_view))


def people_overlay(in_view: list[PersonTimeline]) -> list[PersonOverlay]:
    """What the overlay draws for everyone in view (skeleton, id, label)."""
    return [PersonOverlay(p.id, p.pose.keypoints, p.pose.scores, p.timeline.recognizer.latest,
                          len(p.timeline.recognizer.window)) for p in in_view if p.pose is not None]
