"""What was shown when: a clip's timeline cut into segments of one label.

A video that holds several actions (a workout: jumping jacks, then sit-ups, then rope) has one
clip label, the action shown longest, which says little about the rest. Its segments say what the
recogniser showed from when to when: runs of the same steady label (a class, ``no action``), with
``no person`` where no prediction was made for longer than :data:`MAX_GAP_S` (nobody in view).

Segments tile the time from the first prediction (the model waits for its first poses, about 2 s)
to the end of the clip: each ends where the next one starts.
"""
from __future__ import annotations

from collections import Counter

import numpy as np

from training.decision import NO_PERSON

MAX_GAP_S = 1.5   # predictions come 5 times a second while someone is seen; a longer silence is nobody


def label_segments(timeline: list[dict], end_s: float, max_gap_s: float = MAX_GAP_S) -> list[dict]:
    """Cut a timeline into segments of one shown label.

    Args:
        timeline: prediction entries in time order, each with ``time`` (s), ``label``,
            ``probability`` and ``reason`` (``realtime.recognizer.Prediction.to_json``).
        end_s: end of the clip (its last frame's time plus one frame), seconds.
        max_gap_s: a silence longer than this between two predictions is a ``no person`` segment.

    Returns:
        One dict per segment, in time order: ``start``, ``end`` (s, rounded to ms), ``label``,
        ``probability`` (mean of its predictions' shown probability; 0 for ``no person``),
        ``predictions`` (how many) and ``reason`` (the most common reason of a ``no action``
        segment, else "").
    """
    runs: list[list[dict]] = []
    for entry in timeline:
        previous = runs[-1][-1] if runs else None
        same = previous is not None and entry["label"] == previous["label"]
        if same and entry["time"] - previous["time"] <= max_gap_s:
            runs[-1].append(entry)
        else:
            runs.append([entry])
    segments: list[dict] = []
    for i, run in enumerate(runs):
        start, last = run[0]["time"], run[-1]["time"]
        following = runs[i + 1][0]["time"] if i + 1 < len(runs) else max(end_s, last)
        end = following if following - last <= max_gap_s else last
        reasons = Counter(e.get("reason", "") for e in run if e.get("reason"))
        segments.append({"start": round(start, 3), "end": round(end, 3), "label": run[0]["label"],
                         "probability": round(float(np.mean([e["probability"] for e in run])), 4),
                         "predictions": len(run), "reason": reasons.most_common(1)[0][0] if reasons else ""})
        if end < following:
            segments.append({"start": round(end, 3), "end": round(following, 3), "label": NO_PERSON,
                             "probability": 0.0, "predictions": 0, "reason": ""})
    return segments


def format_segments(segments: list[dict], limit: int = 12) -> list[str]:
    """Terminal lines for a clip's segments (at most ``limit``, then how many more)."""
    lines = [f"{s['start']:7.1f} - {s['end']:6.1f} s  {s['label'][:22]:<22} "
             + (f"{s['probability']:6.1%}" if s["predictions"] else "")
             + (f"  ({s['reason']})" if s["reason"] else "")
             for s in segments[:limit]]
    if len(segments) > limit:
        lines.append(f"... {len(segments) - limit} more segments (all of them in --json)")
    return lines
