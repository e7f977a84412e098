"""Pose estimators behind one small interface: a BGR frame in, COCO-17 pixels out (or nobody).

* :class:`MediaPipePose`: ``mediapipe.solutions.pose`` with the bundled full model (offline).
* :class:`TasksPose`: the MediaPipe Tasks ``PoseLandmarker`` with a user-given ``.task`` file,
  for mediapipe releases that no longer have ``mp.solutions``.
Both are context managers and release the graph on exit.
"""
from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from mapping.convert import mediapipe_to_coco17
from mapping.layouts import COCO17
from realtime.core_claims import CoreClaim
from training.cli_types import number
from training.device import available_cores
from training.errors import UserError
from training.input_files import check_input_file


QUIET_CALLS_AFTER_FOUND = 10
MAX_POSE_THREADS = 4   # the pose models are small (256x256 input): beyond a few threads, hand-offs cost more
POSE_LAYOUT: tuple[str, ...] = COCO17  # what every backend here returns; checkpoints must match it


@dataclass
class Pose:
    """One person in one frame.

    Attributes:
        keypoints: (17, 2) float32 COCO-17 pixel coordinates.
        scores: (17,) float32 visibility in [0, 1].
        landmarks: (33, 3) float32 MediaPipe's own output: normalised x, y and visibility.
    """

    keypoints: np.ndarray
    scores: np.ndarray
    landmarks: np.ndarray


class PoseEstimator(Protocol):
    def estimate(self, frame_bgr: np.ndarray, timestamp_s: float | None = None) -> Pose | None: ...
    def close(self) -> None: ...
    def __enter__(self) -> "PoseEstimator": ...
    def __exit__(self, *exc: object) -> None: ...


def check_frame(frame: np.ndarray) -> np.ndarray:
    """Validate a BGR frame (H, W, 3) uint8 and return it as RGB for MediaPipe."""
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8:
        kind = getattr(frame, "dtype", type(frame).__name__)
        raise UserError(f"Pose input must be an 8-bit BGR image (H, W, 3) uint8, got dtype {kind}. "
                        "Convert with frame.astype(np.uint8) after scaling to 0..255.")
    if frame.ndim != 3 or frame.shape[2] != 3:
        raise UserError(f"Pose input must have 3 colour channels (H, W, 3), got shape {frame.shape}. "
                        "Use cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR) or COLOR_BGRA2BGR first.")
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


def _landmarks_array(landmarks) -> np.ndarray:
    """MediaPipe landmark list -> (33, 3) x, y, visibility."""
    return np.array([[lm.x, lm.y, lm.visibility] for lm in landmarks], dtype=np.float32)


class StderrSilencer:
    """Points the process's stderr (fd 2) at /dev/null between :meth:`start` and :meth:`stop`.

    Native libraries (glog, TFLite) log from their own threads while a graph starts, after the
    call that started it has returned; only an fd-level redirect held across that time keeps
    the user's terminal clean. Python's own ``sys.stderr`` writes go to /dev/null meanwhile too,
    so the window is kept short (pose start-up and its first frames).
    """

    def __init__(self) -> None:
        self._saved: int | None = None

    def start(self) -> None:
        if self._saved is not None:
            return
        try:
            sys.stderr.flush()
            self._saved = os.dup(2)
            with open(os.devnull, "wb") as null:
                os.dup2(null.fileno(), 2)
        except (OSError, ValueError):
            self._saved = None

    def stop(self) -> None:
        if self._saved is None:
            return
        _flush_c_streams()   # C libraries may buffer stderr: flush into /dev/null, not after restoring
        os.dup2(self._saved, 2)
        os.close(self._saved)
        self._saved = None


@contextlib.contextmanager
def native_logs_silenced(enabled: bool = True):
    """Silence native chatter for the duration of a block (see :class:`StderrSilencer`)."""
    silencer = StderrSilencer()
    if enabled:
        silencer.start()
    try:
        yield
    finally:
        silencer.stop()


def _flush_c_streams() -> None:
    """fflush(NULL): write out every buffered C stdio stream now."""
    try:
        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):
        pass


class ClosesOnce:
    """Context-manager plumbing: ``close()`` releases the graph once (``_release``), then whatever
    was handed to :meth:`release_also` (the cores its threads claimed)."""

    _closed = False
    _also: tuple[Callable[[], None], ...] = ()

    def _release(self) -> None:
        raise NotImplementedError

    def release_also(self, release: Callable[[], None]) -> None:
        self._also = (*self._also, release)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            try:
                self._release()
            finally:
                for release in self._also:
                    release()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class MediaPipePose(ClosesOnce):
    """``mp.solutions.pose`` with ``model_complexity=1`` (the model bundled in mediapipe 0.10.21).

    Args:
        static_image_mode: True for unrelated images; False (tracking) for video.
        model_complexity: only 1 works offline; 0 and 2 would download a model and are refused.
        threads: CPU threads of the pose models (1: MediaPipe's own default on Linux; more: the
            same landmarks sooner, see :mod:`realtime.pose_graph`).
    """

    def __init__(self, static_image_mode: bool = False, model_complexity: int = 1,
                 min_detection_confidence: float = 0.5, min_tracking_confidence: float = 0.5,
                 verbose: bool = False, threads: int = 1) -> None:
        if model_complexity != 1:
            raise UserError(f"model_complexity={model_complexity} needs a pose model that mediapipe downloads at "
                            "run time; only model_complexity=1 (bundled pose_landmark_full) works offline.")
        try:
            from mediapipe.python.solutions import pose as mp_pose
        except ImportError as exc:
            raise UserError("This mediapipe has no mp.solutions.pose (releases >= 0.10.30 removed it). Install "
                            "mediapipe==0.10.21 (see requirements.txt) or pass --pose-model FILE.task for the "
                            f"Tasks backend ({exc}).") from None
        # The graph's threads log while the models load, which goes on after Pose() returns and until
        # a person was first found (the landmark model starts then): stay quiet until a few frames later.
        self._silencer = StderrSilencer()
        if not verbose:
            self._silencer.start()
        self._quiet_calls = QUIET_CALLS_AFTER_FOUND
        self._found_once = False
        self.threads = threads
        options = dict(static_image_mode=static_image_mode, model_complexity=model_complexity,
                       smooth_landmarks=True, enable_segmentation=False,
                       min_detection_confidence=min_detection_confidence,
                       min_tracking_confidence=min_tracking_confidence)
        try:
            self._pose = self._threaded_pose(threads, options) if threads > 1 else None
            if self._pose is None:
                self.threads = 1
                self._pose = mp_pose.Pose(**options)
        except BaseException:
            self._silencer.stop()
            raise

    @staticmethod
    def _threaded_pose(threads: int, options: dict):
        """The solution on ``threads`` threads, or None (one thread, with a note) where this
        mediapipe's graph cannot be given threads: a mediapipe other than the pinned one."""
        try:
            from realtime.pose_graph import ThreadedMediaPipePose
            return ThreadedMediaPipePose(threads, **options)
        except (ImportError, AttributeError, RuntimeError) as exc:
            print(f"note: the pose model runs on one thread ({type(exc).__name__}: {exc}); "
                  "mediapipe==0.10.21 (requirements.txt) runs it on several", flush=True)   # stderr is muted now
            return None

    def estimate(self, frame_bgr: np.ndarray, timestamp_s: float | None = None) -> Pose | None:
        """(H, W, 3) uint8 BGR frame -> the person's COCO-17 pose, or None when nobody is seen."""
        rgb = check_frame(frame_bgr)
        try:
            result = self._pose.process(rgb)
        except BaseException:
            self._silencer.stop()
            raise
        if self._found_once or result.pose_landmarks is not None:
            self._found_once = True
            self._quiet_calls -= 1
            if self._quiet_calls <= 0:
                self._silencer.stop()
        if result.pose_landmarks is None:
            return None
        landmarks = _landmarks_array(result.pose_landmarks.landmark)
        keypoints, scores = mediapipe_to_coco17(landmarks, rgb.shape[1], rgb.shape[0])
        return Pose(keypoints, scores, landmarks)

    def _release(self) -> None:
        self._silencer.stop()
        self._pose.close()


class TasksPose(ClosesOnce):
    """MediaPipe Tasks ``PoseLandmarker`` from a ``.task`` model file (first person only)."""

    def __init__(self, model_path: str | Path, video: bool = True) -> None:
        model_path = check_input_file(model_path, "Pose model", if_missing="Pass a MediaPipe pose_landmarker .task "
                                      "file with --pose-model, or leave --pose-model out to use the bundled model.")
        try:
            import mediapipe as mp
            from mediapipe.tasks.python import BaseOptions, vision
        except ImportError as exc:
            raise UserError(f"The MediaPipe Tasks API is not available ({exc}). pip install mediapipe.") from None
        mode = vision.RunningMode.VIDEO if video else vision.RunningMode.IMAGE
        options = vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(model_path)),
                                               running_mode=mode, num_poses=1)
        try:
            with native_logs_silenced():
                self._landmarker = vision.PoseLandmarker.create_from_options(options)
        except (RuntimeError, ValueError) as exc:
            raise UserError(f"'{model_path}' is not a usable MediaPipe pose model ({str(exc).splitlines()[0]}). "
                            "Download pose_landmarker_full.task from the MediaPipe model page.") from None
        self._mp, self._video, self._last_ms = mp, video, -1

    def estimate(self, frame_bgr: np.ndarray, timestamp_s: float | None = None) -> Pose | None:
        rgb = check_frame(frame_bgr)
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        if self._video:
            ms = int(round((timestamp_s or 0.0) * 1000))
            ms = max(ms, self._last_ms + 1)  # the Tasks API needs strictly increasing timestamps
            self._last_ms = ms
            result = self._landmarker.detect_for_video(image, ms)
        else:
            result = self._landmarker.detect(image)
        if not result.pose_landmarks:
            return None
        landmarks = _landmarks_array(result.pose_landmarks[0])
        keypoints, scores = mediapipe_to_coco17(landmarks, rgb.shape[1], rgb.shape[0])
        return Pose(keypoints, scores, landmarks)

    def _release(self) -> None:
        self._landmarker.close()


def check_pose_options(pose_model: str | Path | None, max_people: int) -> None:
    """Refuse, before any work, a combination no backend serves."""
    if max_people > 1 and pose_model:
        raise UserError("--pose-model (a Tasks .task file) follows one person; leave it out to use the bundled "
                        "models for --max-people above 1.")


def check_pose_model(pose_model: str | Path | None) -> None:
    """Load a user-given ``.task`` file once, so that a bad one is refused before any video is read
    (not reported again for every video of a collection)."""
    if pose_model:
        TasksPose(pose_model).close()


def pose_threads_for(requested: int | None, processes: int = 1) -> tuple[int, str | None]:
    """CPU threads for each of ``processes`` pose models running side by side, and a note for the
    user when their ``--pose-threads`` had to be lowered.

    Default (``requested`` None): this process's cores shared out among the processes, at least
    1, at most :data:`MAX_POSE_THREADS`. A request is capped at the same share of the cores: the
    models' threads wait for each other at every layer, so more threads than cores is not a little
    slower but many times slower (8 threads on 2 cores: 30x measured).
    """
    share = max(1, available_cores() // max(1, processes))
    if requested is None:
        return min(MAX_POSE_THREADS, share), None
    if requested <= share:
        return requested, None
    where = f"{available_cores()} core(s)" + (f" shared by {processes} processes" if processes > 1 else "")
    return share, (f"--pose-threads {requested}: {where}; using {share} (more pose threads than cores makes the "
                   "pose model many times slower)")


def chosen_pose_threads(requested: int | None, processes: int = 1) -> int | None:
    """A command's start: ``--pose-threads`` capped by :func:`pose_threads_for` (its note printed);
    None stays None (the default, decided when the model is built, see :func:`make_pose_estimator`)."""
    if requested is None:
        return None
    threads, note = pose_threads_for(requested, processes)
    if note:
        print(note, flush=True)
    return threads


def add_pose_threads_argument(parser: argparse.ArgumentParser, default_note: str = "") -> None:
    """``--pose-threads N`` (default: every core this process may use, at most MAX_POSE_THREADS)."""
    note = f"; {default_note}" if default_note else ""
    parser.add_argument("--pose-threads", type=number(int, 1, 64), metavar="N",
                        help=f"CPU threads of the pose model (default: the cores available, at most "
                             f"{MAX_POSE_THREADS}{note}, less those another pose model of yours is running on; "
                             "the landmarks are the same at any N, only the speed changes)")


def make_pose_estimator(pose_model: str | Path | None = None, video: bool = True, verbose: bool = False,
                        max_people: int = 1, threads: int | None = None, processes: int = 1) -> PoseEstimator:
    """The bundled ``mp.solutions.pose`` (one person); the Tasks backend when a ``.task`` file is
    given; with ``max_people`` above 1 the multi-person backend (:mod:`realtime.multi_pose`).

    ``threads``: CPU threads of the bundled pose models. None (the default): this process's share
    of the cores (``processes`` pose models side by side, see :func:`pose_threads_for`), of which
    it runs on as many as no other pose model of this user holds (:class:`CoreClaim`), at least
    one. A number is used as given; its cores are claimed too, so that others back off. The Tasks
    backend keeps its own threads. Unless ``verbose``, the native libraries' start-up log lines
    are kept off the terminal. For ``video``, the pose found on a picture is kept while the
    picture does not change (:func:`still_pictures_kept`).
    """
    check_pose_options(pose_model, max_people)
    if pose_model and max_people <= 1:
        return still_pictures_kept(TasksPose(pose_model, video=video), video)
    wanted = pose_threads_for(threads, processes)[0]
    claim = CoreClaim(wanted, available_cores())
    threads = threads if threads is not None else max(1, claim.count)
    try:
        if max_people > 1:
            from realtime.multi_pose import MultiPersonPose
            estimator: ClosesOnce = MultiPersonPose(max_people=max_people, video=video, threads=threads)
        else:
            estimator = MediaPipePose(static_image_mode=not video, verbose=verbose, threads=threads)
    except BaseException:
        claim.release()
        raise
    estimator.release_also(claim.release)
    return still_pictures_kept(estimator, video)


def still_pictures_kept(estimator: PoseEstimator, video: bool) -> PoseEstimator:
    """A video estimator that keeps its pose while the picture does not change
    (:mod:`realtime.unchanged_picture`); an estimator of unrelated pictures as it is."""
    from realtime.unchanged_picture import UnchangedPictureSkip
    return UnchangedPictureSkip(estimator) if video else estimator


FFMPEG_QUIET = "-8"   # FFmpeg's AV_LOG_QUIET


def quiet_native_libraries(verbose: bool = False) -> None:
    """A command's start: OpenCV's own warnings (stream timeouts, codec probing) off unless ``verbose``,
    and FFmpeg's own error lines while frames are read (a video whose picture size changes part
    way printed "[swscaler] Slice parameters ... are invalid" once a frame). OpenCV reads
    ``OPENCV_FFMPEG_LOGLEVEL`` when it first opens a video, so this runs before that; a level the
    user set is kept."""
    cv2.setLogLevel(3 if verbose else 0)   # 3: warnings, 0: silent
    if not verbose:
        os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", FFMPEG_QUIET)
