"""LiveWindow's close detection without an X server: the toolkit's answers are scripted.

The real window is driven on Xvfb in test_window_x11.py; here the timing a slow window manager
produces (a window not mapped yet for the first frames) is made deterministic.
"""
import numpy as np
import pytest

from realtime import display
from realtime.display import LiveWindow


class ScriptedToolkit:
    """Stands in for cv2's window calls; ``visible`` answers WND_PROP_VISIBLE frame after frame."""

    def __init__(self, visible: list[float], keys: list[int] | None = None) -> None:
        self.visible = list(visible)
        self.keys = list(keys or [])
        self.shown = 0

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("DISPLAY", raising=False)             # no X watch: only the toolkit is asked
        monkeypatch.setattr(display.cv2, "namedWindow", lambda *a, **k: None)
        monkeypatch.setattr(display.cv2, "resizeWindow", lambda *a, **k: None)
        monkeypatch.setattr(display.cv2, "imshow", self._imshow)
        monkeypatch.setattr(display.cv2, "waitKey", lambda ms=0: self.keys.pop(0) if self.keys else -1)
        monkeypatch.setattr(display.cv2, "getWindowProperty", self._visible)

    def _imshow(self, title: str, image: np.ndarray) -> None:
        self.shown += 1

    def _visible(self, title: str, prop: int) -> float:
        return self.visible.pop(0) if len(self.visible) > 1 else self.visible[0]


FRAME = np.zeros((48, 64, 3), np.uint8)


def test_a_window_not_mapped_yet_is_not_taken_for_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    toolkit = ScriptedToolkit(visible=[0, 0, 0, 0, 0, 1])        # a slow window manager maps it late
    toolkit.install(monkeypatch)
    window = LiveWindow("test")
    answers = [window.show(FRAME) for _ in range(10)]
    assert answers == [None] * 10 and toolkit.shown == 10 and not window.closed


def test_a_window_closed_after_it_was_seen_ends_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    toolkit = ScriptedToolkit(visible=[1, 1, 1, 1, 0])
    toolkit.install(monkeypatch)
    window = LiveWindow("test")
    answers = [window.show(FRAME) for _ in range(3)]
    assert answers[:2] == [None, None] and answers[2] == "quit" and window.closed and window.closed_by_user
    shown = toolkit.shown
    assert window.show(FRAME) == "quit" and toolkit.shown == shown  # never shown again: it would reopen


def test_keys_map_to_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    toolkit = ScriptedToolkit(visible=[1], keys=[ord("s"), ord("r"), ord("x"), 27, ord("q")])
    toolkit.install(monkeypatch)
    window = LiveWindow("test")
    assert [window.show(FRAME) for _ in range(5)] == ["snapshot", "reset", None, "quit", "quit"]


def test_a_window_hidden_for_a_moment_is_not_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    toolkit = ScriptedToolkit(visible=[1, 1, 0, 0, 1])          # a window manager reparenting it
    toolkit.install(monkeypatch)
    window = LiveWindow("test")
    assert [window.show(FRAME) for _ in range(4)] == [None] * 4 and not window.closed_by_user


def test_the_quit_key_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    toolkit = ScriptedToolkit(visible=[1], keys=[27])
    toolkit.install(monkeypatch)
    window = LiveWindow("test")
    assert window.show(FRAME) == "quit" and window.quit_key == "Esc" and not window.closed_by_user
