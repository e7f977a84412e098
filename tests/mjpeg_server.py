"""A local MJPEG-over-HTTP camera for tests: serves a video's frames as an IP camera or a phone app does.

``multipart/x-mixed-replace`` JPEG frames at the video's frame rate on 127.0.0.1; optionally it
stalls (keeps the connection open and sends nothing) after a number of frames, like a stream
whose camera froze.
"""
from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2

BOUNDARY = "frameboundary"


def jpeg_frames(video: Path, limit: int = 300) -> tuple[list[bytes], float]:
    """Up to ``limit`` frames of ``video`` as JPEG bytes, and its fps."""
    capture = cv2.VideoCapture(str(video))
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    frames = []
    while len(frames) < limit:
        ok, image = capture.read()
        if not ok:
            break
        frames.append(cv2.imencode(".jpg", image)[1].tobytes())
    capture.release()
    return frames, fps


@contextlib.contextmanager
def mjpeg_server(video: Path, stall_after: int | None = None, loop: bool = True) -> Iterator[str]:
    """Serve ``video`` at ``http://127.0.0.1:<port>/stream.mjpg``; yields the URL."""
    frames, fps = jpeg_frames(video)
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self.send_response(200)
            self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
            self.end_headers()
            sent = 0
            try:
                while not stop.is_set():
                    if stall_after is not None and sent >= stall_after:
                        time.sleep(0.1)          # the camera froze: connection open, nothing sent
                        continue
                    jpeg = frames[sent % len(frames)]
                    if not loop and sent >= len(frames):
                        break
                    self.wfile.write(f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}"
                                     "\r\n\r\n".encode() + jpeg + b"\r\n")
                    sent += 1
                    time.sleep(1.0 / fps)
            except (BrokenPipeError, ConnectionResetError):
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/stream.mjpg"
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
