"""The component's entry: the `wasi:http/incoming-handler` export (WASI 0.2).

`POST /` or `POST /v1/executions` runs a Python program and answers `umca.execution.result.v1`;
a request it will not run gets an RFC 9457 problem naming the field; `GET /healthz` is for the
SpinApp's probes. Reading and writing bodies is blocking: a WASI 0.2 component serves one
request per instance, so there is nothing to interleave.
"""

# Bound here, not looked up after the program ran: a program may replace json.dumps or
# time.perf_counter for its own run, and the answer must still be written.
from json import dumps
from time import perf_counter

from componentize_py_types import Err, Ok
from wit_world import exports
from wit_world.imports.streams import StreamError_Closed
from wit_world.imports.types import (
    Fields,
    IncomingRequest,
    Method_Get,
    Method_Post,
    OutgoingBody,
    OutgoingResponse,
    ResponseOutparam,
)

import preloaded_stdlib  # noqa: F401  (imported for the snapshot: see the module)
from read_execution_request import Issue, RequestProblem, read_execution_request
from run_python import run_python

EXECUTION_PATHS = ("/", "/v1/executions")
# code and stdin are at most 1 MiB each; JSON escaping can make them several times longer.
MAX_BODY_BYTES = 8 * 1_048_576
# wasi:io's blocking-write-and-flush takes at most 4096 bytes a call.
WRITE_CHUNK_BYTES = 4096


def _read_body(request: IncomingRequest) -> bytes:
    body = request.consume()
    stream = body.stream()
    data = bytearray()
    try:
        while True:
            try:
                data += stream.blocking_read(65536)
            except Err as error:
                if isinstance(error.value, StreamError_Closed):
                    return bytes(data)
                raise
            if len(data) > MAX_BODY_BYTES:
                raise RequestProblem(
                    "body_too_large",
                    "Request body too large",
                    [Issue([], f"the body is over {MAX_BODY_BYTES} bytes; code and stdin may be 1 MiB each")],
                    status=413,
                )
    finally:
        stream.__exit__(None, None, None)


def _respond(response_out: ResponseOutparam, status: int, content_type: str, payload: dict, extra_headers=()) -> None:
    data = dumps(payload, ensure_ascii=False).encode("utf-8")
    headers = [("content-type", content_type.encode()), ("content-length", str(len(data)).encode())]
    headers.extend((name, value.encode()) for name, value in extra_headers)
    response = OutgoingResponse(Fields.from_list(headers))
    response.set_status_code(status)
    body = response.body()
    ResponseOutparam.set(response_out, Ok(response))
    stream = body.write()
    for start in range(0, len(data), WRITE_CHUNK_BYTES):
        stream.blocking_write_and_flush(data[start : start + WRITE_CHUNK_BYTES])
    stream.__exit__(None, None, None)
    OutgoingBody.finish(body, None)


def _problem(status: int, title: str, code: str, detail: str, issues=()) -> dict:
    problem = {"type": "about:blank", "title": title, "status": status, "detail": detail, "code": code}
    if issues:
        problem["issues"] = [{"path": issue.path, "message": issue.message} for issue in issues]
    return problem


def _send_problem(response_out: ResponseOutparam, problem: dict, extra_headers=()) -> None:
    _respond(response_out, problem["status"], "application/problem+json", problem, extra_headers)


class IncomingHandler(exports.IncomingHandler):
    def handle(self, request: IncomingRequest, response_out: ResponseOutparam) -> None:
        received = perf_counter()
        method = request.method()
        path = (request.path_with_query() or "/").split("?", 1)[0]
        if path == "/healthz":
            if isinstance(method, Method_Get):
                _respond(response_out, 200, "application/json", {"status": "ok"})
            else:
                _send_problem(
                    response_out,
                    _problem(405, "Method not allowed", "method_not_allowed", "/healthz answers GET"),
                    [("allow", "GET")],
                )
            return
        if path not in EXECUTION_PATHS:
            detail = f"there is nothing at {path}; POST an execution request to / or /v1/executions"
            _send_problem(response_out, _problem(404, "Not found", "not_found", detail))
            return
        if not isinstance(method, Method_Post):
            detail = f"{path} takes POST with an execution request as JSON"
            _send_problem(response_out, _problem(405, "Method not allowed", "method_not_allowed", detail), [("allow", "POST")])
            return
        try:
            execution = read_execution_request(_read_body(request))
        except RequestProblem as problem:
            _send_problem(response_out, _problem(problem.status, problem.title, problem.code, str(problem), problem.issues))
            return
        result = run_python(execution.code, execution.stdin, execution.output_bytes)
        result["durationMs"] = (perf_counter() - received) * 1000
        _respond(response_out, 200, "application/json", result)
