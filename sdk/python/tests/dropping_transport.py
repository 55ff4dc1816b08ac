"""A test double for a flaky network only: real httpx transports to the real server, except that
each event stream is cut, as a dropped connection would be, after a set number of events and in
the middle of the next one. Everything else passes through untouched."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator

import httpx

DROPPED = "the test dropped the connection"


class _Cutter:
    """Splits SSE bytes into messages and decides where to cut."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.seen = 0
        self.pending = b""

    def feed(self, chunk: bytes) -> tuple[bytes, bool]:
        """The bytes to pass on, and whether the connection must drop after them."""
        self.pending += chunk
        out = b""
        while b"\n\n" in self.pending:
            block, self.pending = self.pending.split(b"\n\n", 1)
            if b"\ndata:" in b"\n" + block:
                if self.seen == self.keep:
                    return out + block[: len(block) // 2], True  # half an event, never dispatched
                self.seen += 1
            out += block + b"\n\n"
        return out, False


class DroppingTransport(httpx.BaseTransport):
    """Cuts every event stream after `keep` events (`connections_to_cut` of them; None: all)."""

    def __init__(self, keep: int, connections_to_cut: int | None = None) -> None:
        self.inner = httpx.HTTPTransport()
        self.keep = keep
        self.connections_to_cut = connections_to_cut
        self.cuts = 0
        self.stream_connections = 0
        self.resumed_from: list[str | None] = []  # each stream request's Last-Event-ID
        self.connected = threading.Event()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/events"):
            self.resumed_from.append(request.headers.get("last-event-id"))
        response = self.inner.handle_request(request)
        if not request.url.path.endswith("/events") or response.status_code != 200:
            return response
        self.stream_connections += 1
        self.connected.set()
        if self.connections_to_cut is not None and self.stream_connections > self.connections_to_cut:
            return response
        assert isinstance(response.stream, httpx.SyncByteStream)
        return httpx.Response(
            response.status_code, headers=response.headers, stream=_CutStream(response.stream, self), extensions=response.extensions
        )

    def close(self) -> None:
        self.inner.close()


class _CutStream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, owner: DroppingTransport) -> None:
        self.inner = inner
        self.owner = owner

    def __iter__(self) -> Iterator[bytes]:
        cutter = _Cutter(self.owner.keep)
        for chunk in self.inner:
            out, drop = cutter.feed(chunk)
            if out:
                yield out
            if drop:
                self.owner.cuts += 1
                self.inner.close()
                raise httpx.ReadError(DROPPED)

    def close(self) -> None:
        self.inner.close()


class AsyncDroppingTransport(httpx.AsyncBaseTransport):
    """`DroppingTransport` for `AsyncUmca`."""

    def __init__(self, keep: int, connections_to_cut: int | None = None) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.keep = keep
        self.connections_to_cut = connections_to_cut
        self.cuts = 0
        self.stream_connections = 0
        self.resumed_from: list[str | None] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/events"):
            self.resumed_from.append(request.headers.get("last-event-id"))
        response = await self.inner.handle_async_request(request)
        if not request.url.path.endswith("/events") or response.status_code != 200:
            return response
        self.stream_connections += 1
        if self.connections_to_cut is not None and self.stream_connections > self.connections_to_cut:
            return response
        assert isinstance(response.stream, httpx.AsyncByteStream)
        stream = _AsyncCutStream(response.stream, self)
        return httpx.Response(response.status_code, headers=response.headers, stream=stream, extensions=response.extensions)

    async def aclose(self) -> None:
        await self.inner.aclose()


class _AsyncCutStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, owner: AsyncDroppingTransport) -> None:
        self.inner = inner
        self.owner = owner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        cutter = _Cutter(self.owner.keep)
        async for chunk in self.inner:
            out, drop = cutter.feed(chunk)
            if out:
                yield out
            if drop:
                self.owner.cuts += 1
                await self.inner.aclose()
                raise httpx.ReadError(DROPPED)

    async def aclose(self) -> None:
        await self.inner.aclose()
