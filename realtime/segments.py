"""What was shown when: a clip's timeline cut into segments of one label.

A video that holds several actions (a workout: jumping jacks, then sit-ups, then rope) has one
clip label, the action shown longest, which says little about the rest. Its segments say what the
recogniser showed from when to when: runs of the same steady label (a class, ``no action``), with
``no person`` where no prediction was made for longer than :func:`silence_s` (nobody in view).

Segments tile the time from the first prediction (the model waits for its first poses, about 2 s)
to the end of the clip: each ends where the next one starts. A label shown until nobody is seen
lasts one prediction's spacing past its last prediction (it stays on screen until the next one
is due), so a single prediction between two silences is not a segment of no length.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from training.decision import NO_PERSON

MAX_GAP_S = 1.5   # predictions come 5 times a second while someone is seen; a longer silence is nobody


def silence_s(every: int, fps: float, source_fps: float | None = None) -> float:
    """How long without a prediction means nobody was in view: :data:`MAX_GAP_S`, or three
    predictions' spacing when they come more rarely: the model runs every ``every`` new poses at
    ``fps``, and at most once a frame of a source slower than that (a 0.5 fps time-lapse: every 2 s)."""
    spacing = every / fps
    if source_fps and source_fps > 0:
        spacing = max(spacing, 1.0 / source_fps)
    return max(MAX_GAP_S, 3.0 * spacing)


@dataclass
class _Run:
    """Consecutive predictions with one shown label."""

    label: str
    start: float
    last: float
    probability_sum: float = 0.0
    count: int = 0
    reasons: Counter = field(default_factory=Counter)


class SegmentBuilder:
    """Builds segments one prediction at a time (the live loop keeps no timeline; memory grows with
    the number of segments, not of predictions). :func:`label_segments` is this over a timeline.

    Args:
        max_gap_s: a silence longer than this between two predictions is a ``no person`` segment.
    """

    def __init__(self, max_gap_s: float = MAX_GAP_S) -> None:
        self.max_gap_s = max_gap_s
        self._runs: list[_Run] = []
        self._spacing = 0.0          # the latest time between two predictions with nobody missed between them

    def add(self, time_s: float, label: str, probability: float, reason: str = "") -> None:
        """One prediction, in time order: its time (s), shown label, shown probability, reason.

        Time and probability are taken at the precision a timeline entry records them
        (``Prediction.to_json``: ms, 4 decimals), so segments built live, prediction by prediction,
        equal those :func:`label_segments` builds from a written timeline.
        """
        time_s, probability = round(time_s, 3), round(probability, 4)
        run = self._runs[-1] if self._runs else None
        if run is not None and 0.0 < time_s - run.last <= self.max_gap_s:
            self._spacing = time_s - run.last
        if run is None or run.label != label or time_s - run.last > self.max_gap_s:
            run = _Run(label, time_s, time_s)
            self._runs.append(run)
        run.last = time_s
        run.probability_sum += probability
        run.count += 1
        if reason:
            run.reasons[reason] += 1

    def segments(self, end_s: float) -> list[dict]:
        """The segments so far, the last one ending at ``end_s`` (the clip's end; see the module docstring).

        Returns:
            One dict per segment, in time order: ``start``, ``end`` (s, rounded to ms), ``label``,
            ``probability`` (mean of its predictions' shown probability; 0 for ``no person``),
            ``predictions`` (how many) and ``reason`` (the most common reason of a ``no action``
            segment, else "").
        """
        out: list[dict] = []
        for i, run in enumerate(self._runs):
            following = self._runs[i + 1].start if i + 1 < len(self._runs) else max(end_s, run.last)
            end = following if following - run.last <= self.max_gap_s else run.last + self._spacing
            out.append({"start": round(run.start, 3), "end": round(end, 3), "label": run.label,
                        "probability": round(run.probability_sum / run.count, 4), "predictions": run.count,
                        "reason": run.reasons.most_common(1)[0][0] if run.reasons else ""})
            if end < following:
                out.append({"start": round(end, 3), "end": round(following, 3), "label": NO_PERSON,
                            "probability": 0.0, "predictions": 0, "reason": ""})
        return out


def label_segments(timeline: list[dict], end_s: float, max_gap_s: float = MAX_GAP_S) -> list[dict]:
    """Cut a timeline into segments of one shown label (:meth:`SegmentBuilder.segments`).

    Args:
        timeline: prediction entries in time order, each with ``time`` (s), ``label``,
            ``probability`` and ``reason`` (``realtime.recognizer.Prediction.to_json``).
        end_s: end of the clip (its last frame's time plus one frame), seconds.
        max_gap_s: a silence longer than this between two predictions is a ``no person`` segment.
    """
    builder = SegmentBuilder(max_gap_s)
    for entry in timeline:
        builder.add(entry["time"], entry["label"], entry["probability"], entry.get("reason", ""))
    return builder.segments(end_s)


def segment_line(segment: dict) -> str:
    """One terminal line for a segment: ``   2.0 -    8.1 s  squat   91.0%  (reason)``."""
    return (f"{segment['start']:7.1f} - {segment['end']:6.1f} s  {segment['label'][:22]:<22} "
            + (f"{segment['probability']:6.1%}" if segment["predictions"] else "")
            + (f"  ({segment['reason']})" if segment["reason"] else ""))


def format_segments(segments: list[dict], limit: int = 12, rest_hint: str = "", single: bool = False) -> list[str]:
    """Terminal lines for a clip's segments (at most ``limit``, then how many more, and ``rest_hint``:
    where to find them); none for a single segment, which the clip's own line already says, unless
    ``single`` (a person in a crowd has no line of their own)."""
    if len(segments) < (1 if single else 2):
        return []
    lines = [segment_line(segment) for segment in segments[:limit]]
    if len(segments) > limit:
        more = len(segments) - limit
        lines.append(f"... {more} more segment{'s' if more > 1 else ''}{rest_hint}")
    return lines
