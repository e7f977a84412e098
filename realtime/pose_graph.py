"""``mp.solutions.pose`` with a chosen number of CPU threads for its two TFLite models.

MediaPipe's CPU inference calculators run XNNPACK with **one** thread on desktop Linux unless
the graph says otherwise (``InferenceCalculatorOptions.delegate.xnnpack.num_threads``), and
``mp.solutions.pose.Pose`` has no argument for it. :class:`ThreadedMediaPipePose` is that class
with one change: before MediaPipe's own ``SolutionBase`` builds the graph, the solution's graph
is expanded (subgraphs inlined, as ``SolutionBase`` does itself) and every inference node gets
``num_threads``. Everything else (side packets, thresholds, outputs, ``process``) is
``mp.solutions.pose.Pose``'s own code; the landmarks are the same as with one thread
(``tests/test_pose_threads.py``), only sooner: on 2 cores, 2 threads ran the pose model 1.3-1.6x
as fast (``python -m bench``). How many threads a process gets: :mod:`realtime.core_claims`.

Imports mediapipe at import time: import this module only where a pose model is built.
"""
from __future__ import annotations

import os

from mediapipe.calculators.tensor import inference_calculator_pb2
from mediapipe.framework import calculator_pb2
from mediapipe.python import solution_base
from mediapipe.python._framework_bindings import resource_util, validated_graph_config
from mediapipe.python.solutions import pose as mp_pose

INFERENCE_CALCULATOR_PREFIX = "InferenceCalculator"   # InferenceCalculatorCpu, ...Xnnpack, ...


def _mediapipe_root() -> str:
    """The folder holding the ``mediapipe`` package (``SolutionBase`` resolves graph paths from it)."""
    return os.sep.join(os.path.abspath(solution_base.__file__).split(os.sep)[:-3])


def graph_with_threads(binary_graph_path: str, threads: int) -> calculator_pb2.CalculatorGraphConfig:
    """The solution graph at ``binary_graph_path`` (relative to the mediapipe root), expanded, with
    ``threads`` XNNPACK threads on every inference node.

    Raises:
        RuntimeError: the graph has no inference node (a mediapipe this module does not know).
    """
    root = _mediapipe_root()
    resource_util.set_resource_dir(root)
    validated = validated_graph_config.ValidatedGraphConfig()
    validated.initialize(binary_graph_path=os.path.join(root, binary_graph_path))
    config = calculator_pb2.CalculatorGraphConfig()
    config.ParseFromString(validated.binary_config)
    changed = 0
    for node in config.node:
        if node.calculator.startswith(INFERENCE_CALCULATOR_PREFIX):
            options = node.options.Extensions[inference_calculator_pb2.InferenceCalculatorOptions.ext]
            options.delegate.xnnpack.num_threads = threads
            changed += 1
    if not changed:
        raise RuntimeError(f"{binary_graph_path} has no {INFERENCE_CALCULATOR_PREFIX} node to give threads to")
    return config


class _GraphThreads(solution_base.SolutionBase):
    """Sits between ``Pose`` and ``SolutionBase`` in the method order: swaps the graph path that
    ``Pose.__init__`` passes for the same graph with ``self._xnnpack_threads`` threads."""

    _xnnpack_threads: int

    def __init__(self, binary_graph_path: str | None = None, graph_config=None, **kwargs) -> None:
        if binary_graph_path is not None:
            graph_config = graph_with_threads(binary_graph_path, self._xnnpack_threads)
        super().__init__(graph_config=graph_config, **kwargs)


class ThreadedMediaPipePose(mp_pose.Pose, _GraphThreads):
    """``mp.solutions.pose.Pose(**pose_options)`` whose detector and landmark models use ``threads``
    CPU threads each (they run one after the other, never at once)."""

    def __init__(self, threads: int, **pose_options) -> None:
        if threads < 1:
            raise ValueError(f"threads must be >= 1, got {threads}")
        self._xnnpack_threads = int(threads)
        super().__init__(**pose_options)
