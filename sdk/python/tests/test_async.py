"""`AsyncUmca` against the same real server: the same guarantees, awaited, with coroutine
callbacks, and cancelling the awaiting task cancelling the run; runs' traces and gate verdicts."""

from __future__ import annotations

import asyncio

import pytest
from dropping_transport import AsyncDroppingTransport

from umca import AsyncUmca, CloudEvent, ExecutionResult, OutputChunk, RunTrace, StreamedEvent, UmcaApiError

PYTHON_LINES = "import time\nfor i in range(4):\n    print(f'line {i}', flush=True)\n    time.sleep(0.3)\n"
CODE_RUN_SPANS = {"run python", "execute_tool run_code"}
#: A bound on looking for a run's spans, which the server writes about a second after they end.
TRACE_LOOKS = 100
TRACE_PAUSE_S = 0.1


async def test_python_output_reaches_a_coroutine_callback_live(async_umca: AsyncUmca) -> None:
    chunks: list[str] = []
    status_at_first_chunk: list[str] = []
    run_ids: list[str] = []

    async def on_stdout(text: str) -> None:
        if not chunks:
            status_at_first_chunk.append((await async_umca.get_run(run_ids[0])).status)
        chunks.append(text)

    def on_event(event: CloudEvent) -> None:
        run_ids.append(event["subject"])

    result = await async_umca.run_code(PYTHON_LINES, on_stdout=on_stdout, on_event=on_event)

    assert (result.status, result.exit_code) == ("ok", 0)
    assert "".join(chunks) == result.stdout == "".join(f"line {i}\n" for i in range(4))
    assert len(chunks) > 1 and status_at_first_chunk == ["running"]


async def test_javascript_output_reaches_plain_callbacks_in_order(async_umca: AsyncUmca) -> None:
    stdout: list[str] = []
    stderr: list[str] = []
    code = "for (let i = 0; i < 3; i++) { console.log(`out ${i}`); console.error(`err ${i}`); }"
    result = await async_umca.run_code(code, "javascript", on_stdout=stdout.append, on_stderr=stderr.append)
    assert result.status == "ok"
    assert "".join(stdout) == result.stdout == "out 0\nout 1\nout 2\n"
    assert "".join(stderr) == result.stderr == "err 0\nerr 1\nerr 2\n"


async def test_async_stream_code_yields_the_output_then_the_result(async_umca: AsyncUmca) -> None:
    items = [item async for item in async_umca.stream_code(PYTHON_LINES)]
    *chunks, result = items
    assert isinstance(result, ExecutionResult) and result.status == "ok"
    texts = [chunk.text for chunk in chunks if isinstance(chunk, OutputChunk)]
    assert len(texts) == len(chunks) > 1 and "".join(texts) == result.stdout


async def test_an_invalid_request_is_an_api_error_with_the_servers_detail(async_umca: AsyncUmca) -> None:
    with pytest.raises(UmcaApiError) as caught:
        await async_umca.run_code("print(1)", limits={"memory_mb": 1})
    assert caught.value.status == 400 and "limits.memoryMb" in caught.value.detail


async def test_cancelling_the_task_cancels_the_run(async_umca: AsyncUmca) -> None:
    started = asyncio.Event()
    run_ids: list[str] = []

    def on_event(event: CloudEvent) -> None:
        run_ids.append(event["subject"])
        if event["type"] == "dev.umca.output.appended.v1":
            started.set()

    running = asyncio.create_task(async_umca.run_code("import time\nprint('started', flush=True)\ntime.sleep(120)", on_event=on_event))
    await started.wait()
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    events = [event async for _, event in async_umca.follow_run(run_ids[0])]
    assert events[-1]["type"] == "dev.umca.run.ended.v1" and events[-1]["data"]["status"] == "cancelled"


async def test_follow_run_resumes_exactly_after_dropped_connections(server_url: str, async_umca: AsyncUmca) -> None:
    accepted = await async_umca.submit_execution(PYTHON_LINES)
    transport = AsyncDroppingTransport(keep=1)  # every connection drops halfway through its second event
    async with AsyncUmca(server_url, transport=transport, max_reconnects=2) as flaky:
        resumed: list[StreamedEvent] = [streamed async for streamed in flaky.follow_run(accepted.run_id)]
    reference = [streamed async for streamed in async_umca.follow_run(accepted.run_id)]
    assert transport.cuts >= 5
    assert transport.resumed_from == ["0"] + [str(resumed[cut].offset) for cut in range(transport.cuts)]
    assert resumed == reference and resumed[-1].event["type"] == "dev.umca.run.ended.v1"
    assert [offset for offset, _ in resumed] == sorted({offset for offset, _ in resumed})


async def test_run_task_without_a_model_is_refused_clearly(async_umca: AsyncUmca) -> None:
    with pytest.raises(UmcaApiError) as caught:
        await async_umca.run_task("print the first ten primes", language="javascript")
    assert caught.value.status == 400 and "names no model" in caught.value.detail


async def test_iter_runs_pages_through_every_run(async_umca: AsyncUmca) -> None:
    for index in range(3):
        await async_umca.run_code(f"print({index})")
    everything = [run.id for run in (await async_umca.list_runs(limit=500)).runs]
    paged = [run.id async for run in async_umca.iter_runs(page_size=2)]
    assert paged == everything and len(everything) >= 3 and len(set(paged)) == len(paged)


async def _trace_with(umca: AsyncUmca, run_id: str, names: set[str]) -> RunTrace:
    """The run's trace once it holds spans with these names, looking a bounded number of times."""
    trace = await umca.get_run_trace(run_id)
    for _ in range(TRACE_LOOKS):
        if names <= {span.name for span in trace.spans}:
            break
        await asyncio.sleep(TRACE_PAUSE_S)
        trace = await umca.get_run_trace(run_id)
    return trace


async def test_a_runs_trace_holds_its_spans_under_the_runs_trace_id(async_umca: AsyncUmca) -> None:
    result = await async_umca.run_code("print(6 * 7)")
    run = await async_umca.get_run(result.run_id)
    assert run.trace_id is not None and len(run.trace_id) == 32
    trace = await _trace_with(async_umca, run.id, CODE_RUN_SPANS)
    assert (trace.run_id, trace.trace_id) == (run.id, run.trace_id)
    spans = {span.name: span for span in trace.spans}
    assert CODE_RUN_SPANS <= set(spans), f"the spans are {sorted(spans)}"
    assert spans["execute_tool run_code"].parent_span_id == spans["run python"].span_id
    assert {span.trace_id for span in trace.spans} == {run.trace_id}


async def test_the_trace_of_an_unknown_run_is_a_404(async_umca: AsyncUmca) -> None:
    with pytest.raises(UmcaApiError) as caught:
        await async_umca.get_run_trace("run_missing")
    assert caught.value.status == 404 and caught.value.detail == "there is no run run_missing"


async def test_gate_verdicts_none_yet_and_the_limit_goes_to_the_server(async_umca: AsyncUmca) -> None:
    assert await async_umca.list_gate_verdicts() == []
    assert await async_umca.list_gate_verdicts(limit=1) == []
    with pytest.raises(UmcaApiError) as caught:
        await async_umca.list_gate_verdicts(limit=101)
    assert caught.value.status == 400 and caught.value.issues[0]["path"] == ["limit"]
