"""What a live run reports: its summary (frames, predictions, what was shown from when to when,
per person with ``--max-people``) and the one-line descriptions printed while it runs."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from realtime.people import PeopleRecognizer, PersonTimeline
from realtime.recognizer import Prediction
from realtime.segments import SegmentBuilder, format_segments, silence_s
from training.decision import NO_ACTION, NO_PERSON

PEOPLE_LISTED = 6              # --max-people: the summary lists what this many people were shown doing
PERSON_SEGMENTS_LISTED = 6     # ... in at most this many lines each


@dataclass
class LiveSummary:
    """One live run: frames read, seen with a person and dropped, model runs, the labels predicted,
    why it stopped, what was saved, and what was shown from when to when (per person with
    ``--max-people``); :attr:`exit_status` is the command's."""

    frames: int = 0
    frames_with_person: int = 0
    dropped: int = 0
    seconds: float = 0.0
    model_runs: int = 0
    labels: Counter = field(default_factory=Counter)
    stopped_because: str = "source ended"
    snapshots: list[str] = field(default_factory=list)
    interrupted: int = 0          # exit status asked for by a signal: 130 Ctrl-C, 143 SIGTERM; 0 none
    saved: str | None = None      # the annotated video, when one was written
    save_error: str | None = None  # why --save could not be written (a full disk), when it could not
    source_lost: bool = False      # the camera or stream stopped or stalled mid-run (exit status 1)
    shown: SegmentBuilder | None = None   # one person: what label was shown from when to when
    last_time_s: float = 0.0       # stream time of the last frame
    people_shown: dict[int, SegmentBuilder] = field(default_factory=dict)   # --max-people: the same per id
    people_last_seen_s: dict[int, float] = field(default_factory=dict)      # ... and when each was last in view

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    @property
    def exit_status(self) -> int:
        """130 / 143 after Ctrl-C / SIGTERM; 1 when the video could not be saved or the camera or
        stream was lost mid-run (a supervisor such as systemd may restart on it); else 0."""
        return self.interrupted or (1 if self.save_error or self.source_lost else 0)

    def describe(self) -> str:
        top = ", ".join(f"{name} x{n}" for name, n in self.labels.most_common(5)) or "none"
        text = (f"{self.frames} frames in {self.seconds:.1f} s ({self.fps:.1f} fps), person in "
                f"{self.frames_with_person}, dropped {self.dropped}, {self.model_runs} model runs; "
                f"predictions: {top}; stopped: {self.stopped_because}")
        if self.saved:
            text += f"; saved {self.saved}"
        if self.save_error:
            text += f"; NOT saved: {self.save_error}"
        if self.snapshots:
            text += f"; snapshots: {', '.join(self.snapshots)}"
        return text

    def segments(self) -> list[dict]:
        """What was shown from when to when (one person; [] with ``--max-people`` above 1)."""
        return self.shown.segments(self.last_time_s) if self.shown is not None else []

    def people_segments(self) -> dict[int, list[dict]]:
        """With ``--max-people`` above 1: each id's segments, from their first prediction to when they
        were last in view (as ``realtime.video``'s per-person JSON)."""
        return {i: builder.segments(self.people_last_seen_s.get(i, self.last_time_s))
                for i, builder in self.people_shown.items()}

    def segment_lines(self) -> list[str]:
        """Terminal lines: one person's segments when more than one label was shown; with several
        people, the :data:`PEOPLE_LISTED` most predicted ids and what each was shown doing."""
        if not self.people_shown:
            return format_segments(self.segments())
        people = sorted(self.people_segments().items(),
                        key=lambda item: (-sum(seg["predictions"] for seg in item[1]), item[0]))
        lines = []
        for person_id, segments in people[:PEOPLE_LISTED]:
            own = format_segments(segments, limit=PERSON_SEGMENTS_LISTED, single=True)
            lines += [f"#{person_id}:"] + [f"  {line}" for line in own]
        if len(people) > PEOPLE_LISTED:
            lines.append(f"{len(people) - PEOPLE_LISTED} more people with predictions (not listed)")
        return lines


def describe_prediction(prediction: Prediction) -> str:
    """One line for the terminal: the shown label and, when it differs, what the model said."""
    if prediction.label == NO_ACTION:
        return f"{NO_ACTION} ({prediction.reason}; model: {prediction.raw_label} {prediction.raw_probability:.0%})"
    said = f"{prediction.label} {prediction.probability:.0%}"
    return said if prediction.raw_label == prediction.label else f"{said} (model now: {prediction.raw_label})"


def describe_people(in_view: list[PersonTimeline]) -> str:
    """One terminal line for everyone in view: "#1 squat 91% | #2 no action (still; ...)"."""
    if not in_view:
        return NO_PERSON
    parts = []
    for person in in_view:
        latest = person.timeline.recognizer.latest
        said = describe_prediction(latest) if latest else "collecting poses"
        parts.append(f"#{person.id} {said}")
    return " | ".join(parts)


def note_people_shown(summary: LiveSummary, crowd: PeopleRecognizer, in_view: list[PersonTimeline], time_s: float,
                      model_fps: float, source_fps: float) -> None:
    """Feed this frame's per-person predictions into each id's segments, and note who is in view."""
    for person in crowd.active.values():
        prediction = person.new_prediction
        if prediction is None:
            continue
        builder = summary.people_shown.get(person.id)
        if builder is None:
            builder = SegmentBuilder(silence_s(person.timeline.recognizer.every, model_fps, source_fps))
            summary.people_shown[person.id] = builder
        builder.add(prediction.time_s, prediction.label, prediction.probability, prediction.reason)
    for person in in_view:
        summary.people_last_seen_s[person.id] = time_s
