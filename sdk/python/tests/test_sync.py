"""`Umca` against a real `umca serve`: runs with live output, the iterator form, errors in the
server's words, cancellation, exact resume of event streams, paging, runs' traces, gate verdicts,
and tasks without a model."""

from __future__ import annotations

import http.server
import json
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import httpx
import pytest
from conftest import serving
from dropping_transport import DroppingTransport

from umca import (
    CloudEvent,
    ExecutionResult,
    GateVerdict,
    NamedRevision,
    OutputChunk,
    RunTrace,
    SpanEvent,
    SpanStatus,
    StreamedEvent,
    ThresholdResult,
    TraceSpan,
    Umca,
    UmcaApiError,
    UmcaConnectionError,
    UmcaError,
    UmcaStreamError,
)

# Prints a line, then waits before the next: the run is still going when each line is handed on.
PYTHON_LINES = "import time\nfor i in range(4):\n    print(f'line {i}', flush=True)\n    time.sleep(0.3)\n"
JAVASCRIPT_LINES = (
    "for (let i = 0; i < 4; i++) { console.log(`line ${i}`); console.error(`warn ${i}`);"
    " await new Promise((resolve) => setTimeout(resolve, 300)); }"
)
#: The spans of a code run: the run, and the execution within it.
CODE_RUN_SPANS = {"run python", "execute_tool run_code"}
#: A bound on looking for a run's spans, which the server writes about a second after they end.
TRACE_LOOKS = 100
TRACE_PAUSE_S = 0.1


def test_python_output_reaches_the_callbacks_live_and_in_order(umca: Umca) -> None:
    chunks: list[str] = []
    status_at_first_chunk: list[str] = []
    events: list[CloudEvent] = []

    def on_stdout(text: str) -> None:
        if not chunks:
            status_at_first_chunk.append(umca.get_run(events[0]["subject"]).status)
        chunks.append(text)

    result = umca.run_code(PYTHON_LINES, on_stdout=on_stdout, on_event=events.append)

    assert isinstance(result, ExecutionResult)
    assert (result.status, result.exit_code, result.runtime) == ("ok", 0, "pyodide")
    assert "".join(chunks) == result.stdout == "".join(f"line {i}\n" for i in range(4))
    assert len(chunks) > 1, "the output came as one piece: it was not streamed"
    assert status_at_first_chunk == ["running"]
    types = [event["type"] for event in events]
    assert types[0] == "dev.umca.run.created.v1" and types[-1] == "dev.umca.run.ended.v1"
    assert {event["subject"] for event in events} == {result.run_id}


def test_javascript_stdout_and_stderr_reach_their_callbacks_in_order(umca: Umca) -> None:
    stdout: list[str] = []
    stderr: list[str] = []
    sequences: list[int] = []

    def on_event(event: CloudEvent) -> None:
        if event["type"] == "dev.umca.output.appended.v1":
            sequences.append(event["data"]["sequence"])

    result = umca.run_code(JAVASCRIPT_LINES, "javascript", on_stdout=stdout.append, on_stderr=stderr.append, on_event=on_event)

    assert (result.status, result.runtime) == ("ok", "quickjs")
    assert "".join(stdout) == result.stdout == "".join(f"line {i}\n" for i in range(4))
    assert "".join(stderr) == result.stderr == "".join(f"warn {i}\n" for i in range(4))
    assert sequences == list(range(len(sequences))) and len(sequences) == len(stdout) + len(stderr)


def test_a_failing_program_is_a_result_not_an_exception(umca: Umca) -> None:
    result = umca.run_code("print('before')\n1 / 0")
    assert (result.status, result.stdout) == ("error", "before\n")
    assert result.error is not None and result.error.type == "ZeroDivisionError"


def test_files_go_in_and_come_out(umca: Umca) -> None:
    code = "data = open('in.bin', 'rb').read()\nopen('out.txt', 'w').write(open('in.txt').read().upper() + str(len(data)))"
    result = umca.run_code(code, files={"in.txt": "hello", "in.bin": b"\x00\xff\x10"})
    assert result.status == "ok", result.reason
    out = {file.path: file for file in result.files}["out.txt"]
    assert out.to_bytes() == b"HELLO3" and out.size_bytes == 6


def test_stream_code_yields_the_output_then_the_result(umca: Umca) -> None:
    items = list(umca.stream_code(PYTHON_LINES))
    *chunks, result = items
    assert isinstance(result, ExecutionResult) and result.status == "ok"
    assert all(isinstance(chunk, OutputChunk) and chunk.stream == "stdout" for chunk in chunks)
    texts = [chunk.text for chunk in chunks if isinstance(chunk, OutputChunk)]
    assert "".join(texts) == result.stdout and len(texts) > 1
    offsets = [chunk.offset for chunk in chunks if isinstance(chunk, OutputChunk)]
    assert offsets == sorted(set(offsets))


def test_an_invalid_request_is_an_api_error_with_the_servers_detail(umca: Umca) -> None:
    before = umca.readiness().last_event_offset
    with pytest.raises(UmcaApiError) as caught:
        umca.run_code("print(1)", limits={"timeout_ms": 0})
    error = caught.value
    assert (error.status, error.code, error.title) == (400, "api_error", "Invalid request")
    assert "limits.timeoutMs" in error.detail and str(error) == error.detail
    assert error.problem["status"] == 400 and error.issues[0]["path"] == ["limits", "timeoutMs"]
    assert umca.readiness().last_event_offset == before, "a refused request was recorded"


def test_an_unknown_run_is_a_404_in_the_servers_words(umca: Umca) -> None:
    with pytest.raises(UmcaApiError) as caught:
        umca.get_run("run_missing")
    assert caught.value.status == 404 and caught.value.detail == "there is no run run_missing"


def test_an_exception_in_a_callback_cancels_the_run(umca: Umca) -> None:
    run_ids: list[str] = []

    def interrupt(text: str) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        umca.run_code(
            "import time\nprint('started', flush=True)\ntime.sleep(120)",
            on_stdout=interrupt,
            on_event=lambda event: run_ids.append(event["subject"]),
        )
    ended = [event for _, event in umca.follow_run(run_ids[0])][-1]
    assert ended["type"] == "dev.umca.run.ended.v1" and ended["data"]["status"] == "cancelled"


def test_ctrl_c_cancels_the_run_on_the_server(server_url: str, umca: Umca) -> None:
    script = textwrap.dedent(
        """
        import sys
        from umca import Umca

        with Umca(sys.argv[1]) as umca:
            umca.run_code(
                "import time\\nprint('started', flush=True)\\ntime.sleep(120)",
                on_event=lambda event: print(event["subject"], flush=True) if event["type"] == "dev.umca.output.appended.v1" else None,
            )
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script, server_url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    run_id = child.stdout.readline().strip()  # the program is running: its first output arrived
    assert run_id.startswith("run_"), child.communicate()[1]
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=60)
    assert child.returncode != 0 and "KeyboardInterrupt" in stderr
    ended = [event for _, event in umca.follow_run(run_id)][-1]
    assert ended["data"]["status"] == "cancelled"


def test_cancel_run_ends_a_run_and_a_second_cancel_is_a_409(umca: Umca) -> None:
    accepted = umca.submit_execution("import time\nprint('started', flush=True)\ntime.sleep(120)")
    assert accepted.status == "queued" and accepted.links["events"].endswith("/events")
    for _, event in umca.follow_run(accepted.run_id):
        if event["type"] == "dev.umca.output.appended.v1":
            umca.cancel_run(accepted.run_id)
        if event["type"] == "dev.umca.run.ended.v1":
            assert event["data"]["status"] == "cancelled"
    run = umca.get_run(accepted.run_id)
    assert run.status == "cancelled" and run.ended
    with pytest.raises(UmcaApiError) as caught:
        umca.cancel_run(accepted.run_id)
    assert caught.value.status == 409 and "already ended" in caught.value.detail


def test_follow_run_resumes_exactly_after_dropped_connections(server_url: str, umca: Umca) -> None:
    accepted = umca.submit_execution(PYTHON_LINES)
    transport = DroppingTransport(keep=2)  # every connection drops halfway through its third event
    with Umca(server_url, transport=transport, max_reconnects=2) as flaky:
        resumed = list(flaky.follow_run(accepted.run_id))
    reference = list(umca.follow_run(accepted.run_id))  # read in one go once the run ended

    assert transport.cuts >= 3, "the stream was not cut often enough to test resuming"
    assert resumed == reference
    # Each reconnect asked for exactly what followed the last whole event it had.
    assert transport.resumed_from == ["0"] + [str(resumed[2 * cut + 1].offset) for cut in range(transport.cuts)]
    assert [offset for offset, _ in resumed] == sorted({offset for offset, _ in resumed})
    assert resumed[-1].event["type"] == "dev.umca.run.ended.v1"


def test_a_stream_that_keeps_breaking_gives_up_after_max_reconnects(server_url: str, umca: Umca) -> None:
    run_id = umca.run_code("print(1)").run_id
    transport = DroppingTransport(keep=0)  # every connection breaks in its first event: no progress ever
    with Umca(server_url, transport=transport, max_reconnects=1) as flaky, pytest.raises(UmcaStreamError) as caught:
        list(flaky.follow_run(run_id))
    assert transport.cuts == 2 and transport.resumed_from == ["0", "0"]
    assert caught.value.code == "stream_lost" and caught.value.last_offset == 0 and "after=0" in str(caught.value)


def test_follow_run_after_the_end_yields_nothing(umca: Umca) -> None:
    result = umca.run_code("print(1)")
    last = [offset for offset, _ in umca.follow_run(result.run_id)][-1]
    assert list(umca.follow_run(result.run_id, after=last)) == []  # the server's 204


def test_events_resume_exactly_even_when_cut_before_the_first_event(server_url: str, umca: Umca) -> None:
    transport = DroppingTransport(keep=0, connections_to_cut=1)  # the first connection breaks in its first event
    received: list[StreamedEvent] = []
    failures: list[BaseException] = []

    def consume() -> None:
        try:
            with Umca(server_url, transport=transport) as flaky:
                for streamed in flaky.events():  # from now on: it resumes from the stream's opening id
                    received.append(streamed)
                    if streamed.event["type"] == "dev.umca.run.ended.v1":
                        return  # the end of the one run started while it listened
        except BaseException as error:  # handed to the test's thread
            failures.append(error)

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    assert transport.connected.wait(60)
    result = umca.run_code(PYTHON_LINES)
    consumer.join(60)  # a bound, in case the stream never shows the run's end

    assert not failures and not consumer.is_alive()
    assert transport.cuts == 1 and transport.resumed_from == [None, str(received[0].offset - 1)]
    first = received[0].offset
    reference: list[StreamedEvent] = []
    for streamed in umca.events(after=first - 1):
        reference.append(streamed)
        if streamed.offset == received[-1].offset:
            break
    assert received == reference
    mine = [streamed for streamed in received if streamed.event["subject"] == result.run_id]
    assert mine == list(umca.follow_run(result.run_id))


def test_list_runs_pages_back_without_gaps_or_repeats(umca: Umca) -> None:
    submitted = [umca.run_code(f"print({index})").run_id for index in range(5)]
    newest = umca.list_runs(limit=5)
    assert [run.id for run in newest.runs] == submitted[::-1] and newest.next == submitted[0]

    first = umca.list_runs(limit=2)
    second = umca.list_runs(limit=2, before=first.next)
    assert [run.id for run in first.runs + second.runs] == submitted[::-1][:4]

    everything = [run.id for run in umca.list_runs(limit=500).runs]
    paged = [run.id for run in umca.iter_runs(page_size=2)]
    assert paged == everything and len(paged) == len(set(paged))
    assert all(run.status == "ok" for run in umca.iter_runs(status="ok", page_size=3))


def _trace_with(umca: Umca, run_id: str, names: set[str]) -> RunTrace:
    """The run's trace once it holds spans with these names, looking a bounded number of times;
    the caller's assertions say what is missing if they never come."""
    trace = umca.get_run_trace(run_id)
    for _ in range(TRACE_LOOKS):
        if names <= {span.name for span in trace.spans}:
            break
        time.sleep(TRACE_PAUSE_S)
        trace = umca.get_run_trace(run_id)
    return trace


def test_a_runs_trace_holds_its_spans_under_the_runs_trace_id(umca: Umca) -> None:
    result = umca.run_code("print(6 * 7)")
    run = umca.get_run(result.run_id)
    assert run.trace_id is not None and re.fullmatch(r"[0-9a-f]{32}", run.trace_id)

    trace = _trace_with(umca, run.id, CODE_RUN_SPANS)
    assert isinstance(trace, RunTrace) and (trace.run_id, trace.trace_id) == (run.id, run.trace_id)
    spans = {span.name: span for span in trace.spans}
    assert CODE_RUN_SPANS <= set(spans), f"the spans are {sorted(spans)}"
    root, tool = spans["run python"], spans["execute_tool run_code"]
    assert root.parent_span_id is None and tool.parent_span_id == root.span_id
    for span in trace.spans:
        assert isinstance(span, TraceSpan) and span.trace_id == run.trace_id and re.fullmatch(r"[0-9a-f]{16}", span.span_id)
        assert (span.kind, span.status) == ("internal", SpanStatus(code="ok"))
        assert 0 < span.start_time_unix_nano <= span.end_time_unix_nano and span.duration_ms >= 0
        assert span.raw["spanId"] == span.span_id and span.raw["startTimeUnixNano"] == str(span.start_time_unix_nano)
    assert root.attributes["umca.run.id"] == run.id and root.attributes["umca.run.status"] == "ok"
    assert tool.attributes["gen_ai.tool.name"] == "run_code" and tool.attributes["umca.exit_code"] == 0


def test_the_trace_of_an_unknown_run_is_a_404_in_the_servers_words(umca: Umca) -> None:
    with pytest.raises(UmcaApiError) as caught:
        umca.get_run_trace("run_missing")
    assert caught.value.status == 404 and caught.value.detail == "there is no run run_missing"


def test_on_a_server_with_tracing_off_a_run_has_no_trace(tmp_path: Path) -> None:
    with serving(tmp_path, "--tracing", "off") as url, Umca(url) as untraced:
        result = untraced.run_code("print(1)")
        assert result.status == "ok" and untraced.get_run(result.run_id).trace_id is None
        with pytest.raises(UmcaApiError) as caught:
            untraced.get_run_trace(result.run_id)
    assert caught.value.status == 404 and "tracing was off" in caught.value.detail


def test_a_server_without_gate_checks_has_no_verdicts(umca: Umca) -> None:
    assert umca.list_gate_verdicts() == []
    assert umca.list_gate_verdicts(limit=100) == []


def test_a_gate_verdict_limit_out_of_range_is_refused_in_the_servers_words(umca: Umca) -> None:
    for limit in (0, 101):
        with pytest.raises(UmcaApiError) as caught:
            umca.list_gate_verdicts(limit=limit)
        assert caught.value.status == 400 and caught.value.issues[0]["path"] == ["limit"], caught.value.detail


def _answering(body: dict[str, object], sent: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, content=json.dumps(body), headers={"content-type": "application/json"})

    return httpx.MockTransport(handler)


def test_gate_verdicts_read_every_field_of_the_api_answer() -> None:
    """Only `umca gate check` makes verdicts (a suite run on a model), so this reads the answer the
    API documents (GateVerdictList) from a stand-in: a fail, its thresholds missed, met and skipped."""
    verdict = {
        "evaluationId": "eval_1",
        "gate": {"name": "release", "revision": 2},
        "suite": {"name": "smoke", "revision": 3},
        "model": "ollama:qwen",
        "verdict": "fail",
        "thresholds": [
            {"metric": "task_success", "min": 0.8, "value": 0.5, "passed": False, "message": "task_success 0.5 is below the minimum 0.8"},
            {"metric": "g3_violations", "max": 0, "value": 0, "passed": True, "message": "g3_violations 0 is ≤ 0"},
            {"metric": "judge_quality", "min": 0.7, "value": None, "passed": True, "skipped": True, "message": "not measured"},
        ],
        "runs": 3,
        "time": "2026-01-02T03:04:05.000Z",
        "someday": "a field a newer server adds",
    }
    sent: list[httpx.Request] = []
    with Umca("http://umca.invalid", transport=_answering({"verdicts": [verdict]}, sent)) as umca:
        verdicts = umca.list_gate_verdicts(limit=5)
        umca.list_gate_verdicts()
    assert [(request.url.path, request.url.query) for request in sent] == [("/v1/gates/verdicts", b"limit=5"), ("/v1/gates/verdicts", b"")]
    assert verdicts == [
        GateVerdict(
            evaluation_id="eval_1",
            gate=NamedRevision(name="release", revision=2),
            suite=NamedRevision(name="smoke", revision=3),
            model="ollama:qwen",
            verdict="fail",
            thresholds=[
                ThresholdResult(
                    metric="task_success", value=0.5, passed=False, message="task_success 0.5 is below the minimum 0.8", min=0.8
                ),
                ThresholdResult(metric="g3_violations", value=0, passed=True, message="g3_violations 0 is ≤ 0", max=0),
                ThresholdResult(metric="judge_quality", value=None, passed=True, message="not measured", min=0.7, skipped=True),
            ],
            runs=3,
            time="2026-01-02T03:04:05.000Z",
        )
    ]
    assert verdicts[0].raw["someday"] == "a field a newer server adds"


def test_a_span_reads_its_events_and_an_error_status() -> None:
    """A code run's spans carry neither; a failed task step's do. Read from a stand-in answer."""
    span = {
        "traceId": "0" * 31 + "1",
        "spanId": "0" * 15 + "2",
        "parentSpanId": "0" * 15 + "1",
        "name": "execute",
        "kind": "internal",
        "startTimeUnixNano": "1796361697935000000",
        "endTimeUnixNano": "1796361697971506941",
        "durationMs": 36.506941,
        "status": {"code": "error", "message": "the program raised ZeroDivisionError"},
        "attributes": {"umca.language": "python", "umca.code.bytes": 8, "umca.retry": False, "umca.models": ["a", "b"]},
        "events": [{"name": "exception", "timeUnixNano": "1796361697970000000", "attributes": {"exception.type": "ZeroDivisionError"}}],
    }
    sent: list[httpx.Request] = []
    answer = {"runId": "run_x", "traceId": span["traceId"], "spans": [span]}
    with Umca("http://umca.invalid", transport=_answering(answer, sent)) as umca:
        trace = umca.get_run_trace("run_x")
    assert sent[0].url.path == "/v1/runs/run_x/trace"
    (read,) = trace.spans
    assert read.status == SpanStatus(code="error", message="the program raised ZeroDivisionError")
    assert (read.parent_span_id, read.start_time_unix_nano, read.end_time_unix_nano) == (
        span["parentSpanId"],
        1796361697935000000,
        1796361697971506941,
    )
    assert read.attributes == span["attributes"]
    assert read.events == [
        SpanEvent(name="exception", time_unix_nano=1796361697970000000, attributes={"exception.type": "ZeroDivisionError"})
    ]


def test_run_task_without_a_model_is_refused_clearly(umca: Umca) -> None:
    with pytest.raises(UmcaApiError) as caught:
        umca.run_task("print the first ten primes")
    assert caught.value.status == 400
    assert "names no model" in caught.value.detail and "UMCA_MODEL" in caught.value.detail


def test_max_tokens_goes_to_the_server_which_checks_its_range(umca: Umca) -> None:
    with pytest.raises(UmcaApiError) as caught:
        umca.submit_task("print the first ten primes", model="ollama:x", max_tokens=8)
    assert caught.value.status == 400
    assert "maxTokens" in caught.value.detail and "16" in caught.value.detail


def test_readiness_reports_the_sandbox(umca: Umca) -> None:
    ready = umca.readiness()
    assert ready.status == "ready" and ready.isolation in ("os", "reduced") and ready.last_event_offset >= 0


def test_an_unreachable_server_is_named_with_what_to_do() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with Umca(f"http://127.0.0.1:{port}") as nowhere, pytest.raises(UmcaConnectionError) as caught:
        nowhere.run_code("print(1)")
    message = str(caught.value)
    assert caught.value.code == "server_unreachable"
    assert f"http://127.0.0.1:{port}" in message and "umca serve" in message and "base_url" in message


def test_a_base_url_that_is_no_umca_server_is_said_so(server_url: str) -> None:
    with pytest.raises(UmcaError) as not_a_url:
        Umca("localhost:8787")
    assert not_a_url.value.code == "invalid_base_url" and "http(s) URL" in str(not_a_url.value)
    # Under another path UMCA answers a 404 problem that says where its API is.
    with Umca(f"{server_url}/elsewhere") as elsewhere, pytest.raises(UmcaApiError) as missed:
        elsewhere.readiness()
    assert missed.value.status == 404 and "/openapi.json" in missed.value.detail
    # A server that is not UMCA at all answers with something else: a web page.
    page = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _WebPage)
    threading.Thread(target=page.serve_forever, daemon=True).start()
    try:
        with Umca(f"http://127.0.0.1:{page.server_port}") as other, pytest.raises(UmcaError) as caught:
            other.readiness()
        assert caught.value.code == "unexpected_response" and "is base_url a UMCA server?" in str(caught.value)
    finally:
        page.shutdown()


class _WebPage(http.server.BaseHTTPRequestHandler):
    """Any web server that is not UMCA: a page for every path."""

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        body = b"<!doctype html><title>not UMCA</title>"
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass
