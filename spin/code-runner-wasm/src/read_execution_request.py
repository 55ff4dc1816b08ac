"""Reads the subset of `umca.execution.request.v1` this app takes, or says what is wrong with it.

The checks follow UMCA's contract (packages/contracts/src/execution-request.ts and limits.ts):
the same field names, defaults and ceilings, and unknown fields refused, as the contract is strict.
What the app cannot do (another language, files, network, the container lane) is refused by name
rather than ignored, so a caller never gets a result that quietly lacks what it asked for. The
one exception is limits.timeoutMs and limits.memoryMb: checked, but time and memory are the
host's to limit (a component cannot interrupt itself), so the host's limits apply (docs/spin.md).
"""

import json
from dataclasses import dataclass

MAX_CODE_BYTES = 1_048_576
DEFAULT_OUTPUT_BYTES = 1_048_576
# Per limit: (smallest, largest) as in the contract's MIN_LIMITS and MAX_LIMITS.
LIMIT_RANGES = {"timeoutMs": (1, 300_000), "memoryMb": (16, 4_096), "outputBytes": (1, 16_777_216)}
KNOWN_FIELDS = ("language", "code", "stdin", "limits", "runtime", "lane", "files", "allowedOutboundHosts")


@dataclass
class ExecutionRequest:
    code: str
    stdin: str
    output_bytes: int


@dataclass
class Issue:
    path: list
    message: str


class RequestProblem(Exception):
    """A request the app will not run: becomes an RFC 9457 problem at the HTTP edge."""

    def __init__(self, code: str, title: str, issues: list, status: int = 400):
        self.code = code
        self.title = title
        self.issues = issues
        self.status = status
        super().__init__("; ".join(_sentence(issue) for issue in issues))


def _sentence(issue: Issue) -> str:
    return f"{'.'.join(str(part) for part in issue.path)}: {issue.message}" if issue.path else issue.message


def _utf8_length(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def read_execution_request(body: bytes) -> ExecutionRequest:
    """Parses `body` (JSON). Raises RequestProblem naming every field that is wrong."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise RequestProblem(
            "invalid_json",
            "Invalid JSON",
            [
                Issue(
                    [], f'the body is not JSON ({error}); send a JSON object such as {{"language": "python", "code": "print(1)"}}'
                )
            ],
        ) from None
    if not isinstance(payload, dict):
        raise RequestProblem("invalid_request", "Invalid request", [Issue([], "the body must be a JSON object")])

    issues = []
    for name in payload:
        if name not in KNOWN_FIELDS:
            issues.append(Issue([name], f"is not a field of an execution request; the fields are {', '.join(KNOWN_FIELDS)}"))

    language = payload.get("language")
    if language is None:
        issues.append(Issue(["language"], 'is required and must be "python"'))
    elif language != "python":
        issues.append(
            Issue(["language"], f"this app runs only python (got {json.dumps(language)}); send other languages to UMCA's runner")
        )

    code = payload.get("code")
    if not isinstance(code, str):
        issues.append(Issue(["code"], "is required: the program's source, as a string"))
    elif _utf8_length(code) > MAX_CODE_BYTES:
        issues.append(Issue(["code"], f"is {_utf8_length(code)} bytes; the most is {MAX_CODE_BYTES}"))

    stdin = payload.get("stdin", "")
    if not isinstance(stdin, str):
        issues.append(Issue(["stdin"], "must be a string"))
    elif _utf8_length(stdin) > MAX_CODE_BYTES:
        issues.append(Issue(["stdin"], f"is {_utf8_length(stdin)} bytes; the most is {MAX_CODE_BYTES}"))

    output_bytes = DEFAULT_OUTPUT_BYTES
    limits = payload.get("limits", {})
    if not isinstance(limits, dict):
        issues.append(Issue(["limits"], "must be an object with timeoutMs, memoryMb and/or outputBytes"))
    else:
        for name, value in limits.items():
            if name not in LIMIT_RANGES:
                issues.append(Issue(["limits", name], f"is not a limit; the limits are {', '.join(LIMIT_RANGES)}"))
                continue
            smallest, largest = LIMIT_RANGES[name]
            if not _is_int(value) or not smallest <= value <= largest:
                issues.append(Issue(["limits", name], f"must be a whole number from {smallest} to {largest}"))
            elif name == "outputBytes":
                output_bytes = value

    if "runtime" in payload:
        issues.append(
            Issue(["runtime"], "this app has one Python (CPython on WASI, the standard library only); leave runtime out")
        )
    if payload.get("lane", "wasm") != "wasm":
        issues.append(Issue(["lane"], 'this app is the wasm lane only; leave lane out or send "wasm"'))
    if payload.get("files", []) != []:
        issues.append(Issue(["files"], "this app takes no files: the program runs without a filesystem"))
    if payload.get("allowedOutboundHosts", []) != []:
        issues.append(
            Issue(["allowedOutboundHosts"], "this app has no network (allowed_outbound_hosts = [] in spin.toml); leave it out")
        )

    if issues:
        raise RequestProblem("invalid_request", "Invalid request", issues)
    return ExecutionRequest(code=code, stdin=stdin, output_bytes=output_bytes)
