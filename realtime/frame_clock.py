"""When each frame of a video file is shown: the file's own time stamps, checked, else index / fps.

Phones record at a variable frame rate (in low light a "30 fps" video runs at 15 fps for a while,
and a busy phone drops frames); screen and browser recorders do too. The header then states
one average rate, and timing frames by ``index / fps`` plays the fast part in slow motion and
the slow part in fast motion: the model reads every action at the wrong speed and the timeline's
times drift. The container knows when each frame is shown (OpenCV's ``CAP_PROP_POS_MSEC`` after
each read), so that time is used where it can be believed:

- it is measured from the first frame (which is at 0 s: an AVI reports each frame one frame
  late, and an MP4 with an edit list may put its first frame a little before 0);
- every frame must come later than the one before and at most :data:`MAX_STEP_S` later; the
  first frame that breaks this (an AVI's last frame reports 0; a stream with no time stamps
  reports 0 throughout; a damaged file jumps by hours) ends the trust in the file's times, and
  from there each frame comes one nominal period after the one before.

On a constant-rate file the times equal ``index / fps`` to within rounding.
"""
from __future__ import annotations

import math


MAX_STEP_S = 60.0   # a longer step between two frames is a damaged time stamp, not a pause


class FrameClock:
    """Times (s from the first frame) of the frames of one pass over a video file, in order."""

    def __init__(self, fps: float) -> None:
        if not fps > 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self.period = 1.0 / fps
        self.trusted = True          # False once a time stamp was not believable
        self._first_ms: float | None = None
        self._last_s: float | None = None

    def time_of(self, position_ms: float) -> float:
        """The time of the frame just read, given the container's position after reading it (ms)."""
        if self._last_s is None:
            self._first_ms = max(position_ms, 0.0) if math.isfinite(position_ms) else 0.0
            self._last_s = 0.0
            return 0.0
        t = self._last_s + self.period
        if self.trusted:
            stamped = (max(position_ms, 0.0) - self._first_ms) / 1000.0 if math.isfinite(position_ms) else math.nan
            if self._last_s < stamped <= self._last_s + MAX_STEP_S:
                t = stamped
            else:
                self.trusted = False
        self._last_s = t
        return t
