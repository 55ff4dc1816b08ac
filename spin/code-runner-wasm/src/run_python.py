"""Runs one program in this component instance and returns UMCA's result contract.

The program gets a fresh `__main__` namespace, a stdin made from the request, and stdout/stderr
that stop it once either passes its cap. What it cannot escape is the component itself: no file
system, no environment, no outgoing HTTP, sockets denied by the host. Spin gives every request a
new instance, so nothing a program changes outlives it. The semantics (exit codes, tracebacks,
statuses) follow UMCA's own Python guest, packages/runner/src/sandbox/python/umca_guest.py.
"""

import builtins
import io
import linecache
import random
import sys
import traceback
import types
from time import perf_counter  # bound now: the program may replace time.perf_counter

MAIN_FILENAME = "main.py"
MAX_LIMITS_OUTPUT_BYTES = 16_777_216


class OutputLimitExceeded(BaseException):
    """Raised into the program when it writes past its cap; a BaseException so `except Exception` cannot keep it going."""


class CappedStream(io.TextIOBase):
    """A text stream that keeps at most `cap_bytes` of UTF-8 and ends the program past that."""

    def __init__(self, cap_bytes: int):
        super().__init__()
        self._cap_bytes = cap_bytes
        self._parts = []
        self._size = 0
        self.truncated = False
        self.buffer = _BinaryWriter(self)

    @property
    def encoding(self) -> str:
        return "utf-8"

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if self.truncated:
            raise OutputLimitExceeded()
        data = text.encode("utf-8", "surrogateescape")
        room = self._cap_bytes - self._size
        if len(data) <= room:
            self._parts.append(text)
            self._size += len(data)
            return len(text)
        self._parts.append(data[:room].decode("utf-8", "ignore"))
        self._size = self._cap_bytes
        self.truncated = True
        raise OutputLimitExceeded()

    def getvalue(self) -> str:
        return "".join(self._parts)


class _BinaryWriter:
    """`sys.stdout.buffer`, for programs that write bytes."""

    def __init__(self, stream: CappedStream):
        self._stream = stream

    def write(self, data) -> int:
        self._stream.write(bytes(data).decode("utf-8", "replace"))
        return len(data)

    def flush(self) -> None:
        pass


def _format_traceback(error: BaseException) -> str:
    """The traceback from the program's own frames down, without this module's frames above them."""
    frames = traceback.extract_tb(error.__traceback__)
    for index, frame in enumerate(frames):
        if frame.filename == MAIN_FILENAME:
            frames = frames[index:]
            break
    else:
        frames = traceback.StackSummary.from_list([])
    lines = []
    if frames:
        lines.append("Traceback (most recent call last):\n")
        lines.extend(traceback.format_list(frames))
    lines.extend(traceback.format_exception_only(type(error), error))
    return "".join(lines)


def _describe(error: BaseException) -> dict:
    return {"type": type(error).__name__, "message": str(error), "traceback": _format_traceback(error)}


def _exit_code(exit_request: SystemExit, stderr: CappedStream) -> int:
    value = exit_request.code
    if value is None:
        return 0
    if isinstance(value, int):
        return value & 0xFF if value >= 0 else 1
    print(value, file=stderr)
    return 1


def _run(code: str, module: types.ModuleType, stderr: CappedStream) -> dict:
    try:
        exec(compile(code, MAIN_FILENAME, "exec", dont_inherit=True), module.__dict__)  # noqa: S102  (running it is the point)
        return {"status": "ok", "exitCode": 0}
    except SystemExit as exit_request:
        exit_code = _exit_code(exit_request, stderr)
        return {"status": "ok" if exit_code == 0 else "error", "exitCode": exit_code}
    except OutputLimitExceeded:
        return {"status": "output_limit", "exitCode": None}
    except MemoryError as error:
        return {"status": "memory_limit", "exitCode": None, "error": _describe(error)}
    except BaseException as error:  # noqa: BLE001  (the program's failure is a result, not ours)
        described = _describe(error)
        stderr.write(described["traceback"])
        return {"status": "error", "exitCode": 1, "error": described}


def _reason(outcome: dict, output_bytes: int) -> str | None:
    status = outcome["status"]
    if status == "output_limit":
        return (
            f"the output passed its limit of {output_bytes} bytes and the run was ended; "
            f"raise limits.outputBytes (up to {MAX_LIMITS_OUTPUT_BYTES}) or print less"
        )
    if status == "memory_limit":
        return "the program ran out of memory in its component instance; the host's instance memory limit applies"
    if status == "error":
        error = outcome.get("error")
        if error is None:
            return f"the program exited with code {outcome['exitCode']}"
        first_line = error["message"].splitlines()[0] if error["message"] else ""
        return f"{error['type']}: {first_line}" if first_line else error["type"]
    return None


def run_python(code: str, stdin: str, output_bytes: int) -> dict:
    """Runs `code` as `__main__` and returns an `umca.execution.result.v1` object."""
    started = perf_counter()
    stdout = CappedStream(output_bytes)
    stderr = CappedStream(output_bytes)
    module = types.ModuleType("__main__")
    module.__dict__["__builtins__"] = builtins
    module.__file__ = MAIN_FILENAME
    linecache.cache[MAIN_FILENAME] = (len(code), None, code.splitlines(True), MAIN_FILENAME)
    # The snapshot was taken with one seed: every instance would draw the same numbers without this.
    random.seed()
    saved = (sys.stdin, sys.stdout, sys.stderr, sys.modules.get("__main__"))
    sys.stdin, sys.stdout, sys.stderr = io.StringIO(stdin), stdout, stderr
    sys.modules["__main__"] = module
    program_started = perf_counter()
    try:
        outcome = _run(code, module, stderr)
    except OutputLimitExceeded:  # the traceback of an error itself passed the cap
        outcome = {"status": "output_limit", "exitCode": None}
    finally:
        program_ms = (perf_counter() - program_started) * 1000
        sys.stdin, sys.stdout, sys.stderr = saved[0], saved[1], saved[2]
        if saved[3] is not None:
            sys.modules["__main__"] = saved[3]
        linecache.cache.pop(MAIN_FILENAME, None)
    if stdout.truncated or stderr.truncated:
        outcome = {"status": "output_limit", "exitCode": None, **({"error": outcome["error"]} if "error" in outcome else {})}
    result = {
        "status": outcome["status"],
        "exitCode": outcome["exitCode"],
        "stdout": stdout.getvalue(),
        "stderr": stderr.getvalue(),
        "stdoutTruncated": stdout.truncated,
        "stderrTruncated": stderr.truncated,
        "files": [],
        "egress": [],
        "lane": "wasm",
        "runtime": "wasi",
        "isolation": "reduced",
        "durationMs": (perf_counter() - started) * 1000,
        "timings": {"queuedMs": 0, "executeMs": program_ms, "programMs": program_ms},
    }
    if "error" in outcome:
        result["error"] = outcome["error"]
    reason = _reason(outcome, output_bytes)
    if reason is not None:
        result["reason"] = reason
    return result
