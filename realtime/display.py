"""The live window: opened only where a display really works, fitted to the screen, closed like q.

``cv2.imshow`` without a reachable display kills the process (Qt aborts; it cannot be caught),
so :func:`probe_display` asks the X server itself first. :class:`LiveWindow` opens a plain,
resizable window (no OpenCV toolbar or status bar) sized to fit the screen with the frame's
aspect ratio kept, small sources enlarged; closing it (close button, Alt+F4, the window
manager or another program) ends the run like ``q``.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

SCREEN_SHARE = 0.9          # the window takes at most this share of the screen in each direction
MIN_LONG_SIDE = 720         # small sources are enlarged up to this long side (within the screen) ...
MAX_ENLARGE = 3.0           # ... but not more than this factor
FALLBACK_SCREEN = (1280, 720)
KEYS = {ord("q"): "quit", 27: "quit", ord("r"): "reset", ord("s"): "snapshot"}
WATCH_FROM = 5              # frames shown before the window's X ids are looked up (it is mapped by then)
WATCH_EVERY = 10            # frames between two checks that the window still exists
WATCH_TRIES = 10            # lookups of the window's X ids before giving up
UNMAP_GRACE_S = 0.3         # a window hidden this long (after it was seen) was closed


@dataclass
class DisplayProbe:
    """Whether a window can be shown, why not, and the screen size in pixels (width, height)."""

    usable: bool
    reason: str = ""
    screen: tuple[int, int] = FALLBACK_SCREEN
    qt_platform: str | None = None    # set QT_QPA_PLATFORM to this before the window opens (see reason)


def qt_platforms() -> set[str] | None:
    """The platform plugins of OpenCV's own Qt (e.g. {"xcb"}: X only); None when its window is not
    Qt's or the plugins are not bundled with it (a system OpenCV: then Qt's own set is unknown)."""
    if not re.search(r"GUI:\s*QT", cv2.getBuildInformation()):
        return None
    folder = Path(cv2.__file__).parent / "qt" / "plugins" / "platforms"
    if not folder.is_dir():
        return None
    return {m.group(1) for f in folder.iterdir() if (m := re.match(r"libq(\w+?)(-\w+)?\.so", f.name))}


def probe_display() -> DisplayProbe:
    """Can ``cv2.imshow`` open a window here? Asks the X server itself (XOpenDisplay) on Linux."""
    if not sys.platform.startswith("linux"):
        return DisplayProbe(True)
    display = os.environ.get("DISPLAY")
    if not display:
        if not os.environ.get("WAYLAND_DISPLAY"):
            return DisplayProbe(False, "no display (DISPLAY/WAYLAND_DISPLAY unset)")
        platforms = qt_platforms()
        if platforms is not None and not any(name.startswith("wayland") for name in platforms):
            return DisplayProbe(False, "a Wayland session without X (WAYLAND_DISPLAY set, DISPLAY unset): OpenCV's "
                                       f"window here needs an X server (its Qt has only {', '.join(sorted(platforms))}); "
                                       "enable XWayland or log in to an X session to see it")
        return DisplayProbe(True, "Wayland")
    try:
        xlib = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
    except OSError:
        return DisplayProbe(True, "libX11 not found: trusting DISPLAY")
    xlib.XOpenDisplay.restype = ctypes.c_void_p
    xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    handle = xlib.XOpenDisplay(display.encode())
    if not handle:
        return DisplayProbe(False, f"DISPLAY={display} is set but no X server answers there (SSH without X "
                                   "forwarding, Docker, WSL without an X server)")
    try:
        xlib.XDefaultScreen.argtypes = [ctypes.c_void_p]
        xlib.XDisplayWidth.argtypes = xlib.XDisplayHeight.argtypes = [ctypes.c_void_p, ctypes.c_int]
        screen = xlib.XDefaultScreen(handle)
        size = (int(xlib.XDisplayWidth(handle, screen)), int(xlib.XDisplayHeight(handle, screen)))
    finally:
        xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]
        xlib.XCloseDisplay(handle)
    screen_size = size if min(size) > 0 else FALLBACK_SCREEN
    requested = os.environ.get("QT_QPA_PLATFORM", "")
    platforms = qt_platforms()
    wanted = [part.split(":")[0].strip() for part in requested.split(";") if part.strip()]
    if wanted and platforms is not None and not set(wanted) & platforms and "xcb" in platforms:
        return DisplayProbe(True, f"QT_QPA_PLATFORM={requested} names no platform OpenCV's Qt has (only "
                                  f"{', '.join(sorted(platforms))}): its window uses X (xcb) on DISPLAY={display}",
                            screen_size, qt_platform="xcb")
    return DisplayProbe(True, "", screen_size)


def fit_to_screen(frame_size: tuple[int, int], screen: tuple[int, int]) -> tuple[int, int]:
    """Window size (w, h) for a frame (w, h): the frame's aspect ratio, at most SCREEN_SHARE of the
    screen, small frames enlarged toward MIN_LONG_SIDE (at most MAX_ENLARGE times)."""
    fw, fh = frame_size
    limit = min(SCREEN_SHARE * screen[0] / fw, SCREEN_SHARE * screen[1] / fh)
    enlarge = min(MAX_ENLARGE, max(1.0, MIN_LONG_SIDE / max(fw, fh)))
    scale = min(limit, enlarge)
    return max(1, int(round(fw * scale))), max(1, int(round(fh * scale)))


class XWindowWatch:
    """Notices when our window is destroyed behind the toolkit's back (another program, the X API).

    Qt keeps believing a window destroyed by someone else is visible, so OpenCV cannot tell; the
    X server can. At open the window's X ids are found by title; :meth:`exists` walks the window
    tree (no request that could raise an X error) to see whether one of them is still there.
    """

    def __init__(self) -> None:
        self._xlib = None
        self._display = None
        self._ids: set[int] = set()
        try:
            xlib = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
        except OSError:
            return
        xlib.XOpenDisplay.restype = ctypes.c_void_p
        xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
        xlib.XDefaultRootWindow.restype = ctypes.c_ulong
        xlib.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        xlib.XQueryTree.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(ctypes.c_ulong),
                                    ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.POINTER(ctypes.c_ulong)),
                                    ctypes.POINTER(ctypes.c_uint)]
        xlib.XFetchName.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(ctypes.c_char_p)]
        xlib.XFree.argtypes = [ctypes.c_void_p]
        xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]
        display = os.environ.get("DISPLAY")
        handle = xlib.XOpenDisplay(display.encode()) if display else None
        if handle:
            self._xlib, self._display = xlib, handle

    def _windows(self) -> list[int]:
        """Every window id in the tree under the root."""
        xlib = self._xlib
        out, stack = [], [xlib.XDefaultRootWindow(self._display)]
        while stack:
            window = stack.pop()
            root, parent = ctypes.c_ulong(), ctypes.c_ulong()
            children, count = ctypes.POINTER(ctypes.c_ulong)(), ctypes.c_uint()
            if xlib.XQueryTree(self._display, window, ctypes.byref(root), ctypes.byref(parent),
                               ctypes.byref(children), ctypes.byref(count)):
                ids = [children[i] for i in range(count.value)]
                if children:
                    xlib.XFree(children)
                out.extend(ids)
                stack.extend(ids)
        return out

    def remember(self, title: str) -> None:
        """Record the ids of the windows named ``title`` (call once the window is on screen)."""
        if self._xlib is None:
            return
        for window in self._windows():
            name = ctypes.c_char_p()
            if self._xlib.XFetchName(self._display, window, ctypes.byref(name)) and name.value:
                if name.value.decode(errors="replace") == title:
                    self._ids.add(window)
                self._xlib.XFree(name)

    @property
    def watching(self) -> bool:
        """True once the window's ids are known (or when nothing can be watched)."""
        return self._xlib is None or bool(self._ids)

    def exists(self) -> bool:
        """False once every remembered window is gone (True when nothing could be watched)."""
        if self._xlib is None or not self._ids:
            return True
        return bool(self._ids & set(self._windows()))

    def close(self) -> None:
        if self._xlib is not None:
            self._xlib.XCloseDisplay(self._display)
            self._xlib = None


class LiveWindow:
    """One plain window showing frames; reports keys and a window closed by the user."""

    def __init__(self, title: str, screen: tuple[int, int] = FALLBACK_SCREEN) -> None:
        self.title = title
        self.screen = screen
        self.size: tuple[int, int] | None = None
        self._opened = False
        self._watch: XWindowWatch | None = None
        self._shown = 0
        self._seen_visible = False   # a window not yet mapped by the window manager is not "closed"
        self.closed_by_user = False  # set when show() returned "quit" because the window was closed
        self.quit_key = ""           # the key that asked to quit ("q" or "Esc")

    def _open(self, frame_size: tuple[int, int]) -> None:
        cv2.namedWindow(self.title, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO | cv2.WINDOW_GUI_NORMAL)
        self.size = fit_to_screen(frame_size, self.screen)
        cv2.resizeWindow(self.title, *self.size)
        self._opened = True
        self._watch = XWindowWatch() if os.environ.get("DISPLAY") else None

    def display_size(self, frame_size: tuple[int, int]) -> tuple[int, int]:
        """The size frames are drawn at for this window (the overlay is drawn at this size)."""
        return self.size or fit_to_screen(frame_size, self.screen)

    @property
    def closed(self) -> bool:
        """True once the user (or anything else) closed the window after it was opened.

        Hidden counts as closed only for a window seen on screen before (a window manager may not
        have mapped it yet) and only when it stays hidden for UNMAP_GRACE_S (reparenting by a
        window manager unmaps and maps a window again).
        """
        if not self._opened:
            return False
        visible = self._visible()
        if visible is None:
            return True
        if visible:
            self._seen_visible = True
        elif self._seen_visible and not self._comes_back():
            return True
        return self._watch is not None and self._shown % WATCH_EVERY == 0 and not self._watch.exists()

    def _visible(self) -> bool | None:
        """The toolkit's view: visible, hidden, or None when it no longer knows the window."""
        try:
            return cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) >= 1
        except cv2.error:
            return None

    def _comes_back(self) -> bool:
        """Wait (without drawing, which would reopen a closed window) for a hidden window to reappear."""
        deadline = time.monotonic() + UNMAP_GRACE_S
        while time.monotonic() < deadline:
            cv2.waitKey(20)
            if self._visible():
                return True
        return False

    def show(self, image: np.ndarray, wait_ms: int = 1) -> str | None:
        """Show a BGR frame; returns "quit" (q, Esc or window closed), "reset", "snapshot" or None.

        The closed check comes first: showing into a closed window would open it again.
        """
        if self.closed:
            self.closed_by_user = True
            return "quit"
        if not self._opened:
            self._open((image.shape[1], image.shape[0]))
        cv2.imshow(self.title, image)
        key = cv2.waitKey(wait_ms)
        self._shown += 1
        if self._watch is not None and not self._watch.watching and self._shown >= WATCH_FROM \
                and self._shown % WATCH_EVERY == WATCH_FROM % WATCH_EVERY:
            if self._shown > WATCH_FROM + WATCH_EVERY * WATCH_TRIES:
                self._watch.close()                   # never found (not an X window): stop walking the tree
                self._watch = None
            else:
                self._watch.remember(self.title)      # retried until the window is on screen
        if self.closed:
            self.closed_by_user = True
            return "quit"
        action = KEYS.get(key & 0xFF) if key >= 0 else None
        if action == "quit":
            self.quit_key = "Esc" if key & 0xFF == 27 else chr(key & 0xFF)
        return action

    def hold(self) -> None:
        """Keep the last frame on screen until a key is pressed or the window is closed."""
        while self._opened and not self.closed:
            if cv2.waitKey(100) >= 0:
                break
            self._shown = 0          # the hold checks the X window every time

    def close(self) -> None:
        if self._watch is not None:
            self._watch.close()
            self._watch = None
        if self._opened:
            try:
                cv2.destroyWindow(self.title)
                cv2.waitKey(1)
            except cv2.error:
                pass
            self._opened = False
