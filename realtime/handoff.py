"""A one-item hand-off between a producer thread and a consumer (newest wins, or lossless)."""
from __future__ import annotations

import threading
from typing import Generic, TypeVar

T = TypeVar("T")


class Handoff(Generic[T]):
    """Holds at most one item.

    With ``drop_when_full`` the producer never waits: an item not yet taken is replaced and
    counted in ``dropped`` (live: the newest frame wins). Without it ``put`` waits until the
    consumer took the previous item (files: every frame, in order).
    """

    def __init__(self, drop_when_full: bool) -> None:
        self.drop_when_full = drop_when_full
        self.dropped = 0
        self._item: T | None = None
        self._cond = threading.Condition()
        self._closed = False     # consumer gone: producers stop waiting
        self._finished = False   # producer done: nothing more will come

    def put(self, item: T) -> bool:
        """Hand over ``item``; False when the consumer has closed the hand-off."""
        with self._cond:
            if not self.drop_when_full:
                self._cond.wait_for(lambda: self._item is None or self._closed)
            elif self._item is not None:
                self.dropped += 1
            if self._closed:
                return False
            self._item = item
            self._cond.notify_all()
            return True

    def get(self, timeout: float) -> T | None:
        """The waiting item; waits up to ``timeout`` s; None if nothing came (see ``finished``)."""
        with self._cond:
            self._cond.wait_for(lambda: self._item is not None or self._finished, timeout=timeout)
            item, self._item = self._item, None
            self._cond.notify_all()
            return item

    def finish(self) -> None:
        """Producer side: no more items."""
        with self._cond:
            self._finished = True
            self._cond.notify_all()

    def close(self) -> None:
        """Consumer side: stop; a producer waiting in ``put`` returns False."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def finished(self) -> bool:
        """True once the producer finished and the last item was taken."""
        with self._cond:
            return self._finished and self._item is None
