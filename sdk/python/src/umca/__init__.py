"""UMCA's Python SDK: run code in UMCA's WebAssembly sandboxes and follow every run live.

```python
from umca import Umca

with Umca() as umca:
    result = umca.run_code("print(6 * 7)", on_stdout=lambda text: print(text, end=""))
```

Every name below is public API; anything not listed here is internal and may change.
"""

from ._async_client import AsyncUmca
from ._client import Umca
from ._errors import (
    UmcaApiError,
    UmcaConnectionError,
    UmcaError,
    UmcaRunIncompleteError,
    UmcaStreamError,
    UmcaTimeoutError,
)
from ._models import (
    CheckResult,
    CloudEvent,
    DroppedFile,
    DroppedFiles,
    EgressAttempt,
    ExecutionError,
    ExecutionResult,
    ExecutionStatus,
    GateVerdict,
    LaneSelection,
    Language,
    Limits,
    NamedRevision,
    OutputChunk,
    OutputFile,
    OutputStream,
    PythonRuntime,
    Readiness,
    Run,
    RunAccepted,
    RunPage,
    RunStatus,
    RunSummary,
    RunTrace,
    SessionInfo,
    SpanAttributeValue,
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
    Verdict,
)
from ._session import AsyncSession, Session
from ._version import __version__

__all__ = [
    "AsyncSession",
    "AsyncUmca",
    "CheckResult",
    "CloudEvent",
    "DroppedFile",
    "DroppedFiles",
    "EgressAttempt",
    "ExecutionError",
    "ExecutionResult",
    "ExecutionStatus",
    "GateVerdict",
    "LaneSelection",
    "Language",
    "Limits",
    "NamedRevision",
    "OutputChunk",
    "OutputFile",
    "OutputStream",
    "PythonRuntime",
    "Readiness",
    "Run",
    "RunAccepted",
    "RunPage",
    "RunStatus",
    "RunSummary",
    "RunTrace",
    "Session",
    "SessionInfo",
    "SpanAttributeValue",
    "SpanEvent",
    "SpanStatus",
    "StreamedEvent",
    "TaskExecution",
    "TaskIteration",
    "TaskResult",
    "ThresholdResult",
    "Timings",
    "TraceSpan",
    "Umca",
    "UmcaApiError",
    "UmcaConnectionError",
    "UmcaError",
    "UmcaRunIncompleteError",
    "UmcaStreamError",
    "UmcaTimeoutError",
    "UnavailableRuntime",
    "Usage",
    "Verdict",
    "__version__",
]
