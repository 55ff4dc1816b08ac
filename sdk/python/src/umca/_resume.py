"""Exact resume of an event stream. The SSE `id` of each event is its offset in the server's log,
so reconnecting with `Last-Event-ID: <last offset seen>` continues right after it: no event lost,
none twice. Each stream opens with its resume point (an `id` without data), so even a stream that
breaks before its first event resumes from the right place. Shared by the sync and async clients,
which only do the I/O."""

from __future__ import annotations

from httpx_sse import ServerSentEvent

from ._errors import UmcaStreamError
from ._models import StreamedEvent
from ._wire import read_stream_message


class Reconnect(Exception):
    """Inside a client's stream loop: the server answered an error worth reconnecting after."""

    def __init__(self, cause: BaseException) -> None:
        self.cause = cause


class StreamResume:
    """Where a stream is and how many times in a row it broke without progress."""

    def __init__(self, url: str, after: int | None, max_reconnects: int) -> None:
        self.url = url
        self.last_offset = after
        self.max_reconnects = max_reconnects
        self.failures = 0
        self.connected_once = False
        self._retry_s = 2.0
        self._messages_this_connection = 0

    def headers(self) -> dict[str, str]:
        return {} if self.last_offset is None else {"last-event-id": str(self.last_offset)}

    def connected(self) -> None:
        self.connected_once = True
        self._messages_this_connection = 0

    def accept(self, sse: ServerSentEvent) -> StreamedEvent | None:
        """Takes a message off the wire: returns it as an event, or None when it carried no event."""
        self._messages_this_connection += 1
        if sse.retry is not None:
            self._retry_s = max(0.0, min(sse.retry / 1000, 30.0))
        streamed = read_stream_message(sse)
        if streamed is None:
            if self._messages_this_connection == 1:
                # The opening: the point the server resumes from, which is where "from now" began.
                if self.last_offset is None and sse.id.isdigit():
                    self.last_offset = int(sse.id)
            else:
                self.failures = 0  # a heartbeat: this connection has stayed up
            return None
        if self.last_offset is not None and streamed.offset <= self.last_offset:
            return None  # seen already: never hand an event on twice, and it is no progress
        self.failures = 0
        self.last_offset = streamed.offset
        return streamed

    def broke(self, cause: BaseException | None) -> float:
        """Records a broken connection; returns how long to wait before reconnecting, or raises
        UmcaStreamError once it broke `max_reconnects` times in a row."""
        self.failures += 1
        if self.failures > self.max_reconnects:
            raise UmcaStreamError(self.url, self.last_offset or 0, self.failures, cause) from cause
        # At once the first time (a one-off drop), then at the pace the server asks (`retry:`).
        return 0.0 if self.failures == 1 else self._retry_s
