"""Choosing the Python runtime: `runtime=` goes to the server, which says in `result.selection`
where the run went and why; without it the server routes by what the code imports. `runtime=`
with another language is refused before anything is sent, and `readiness()` lists the runtimes."""

from __future__ import annotations

import json

import httpx
import pytest

from umca import AsyncUmca, ExecutionResult, LaneSelection, Readiness, Umca, UmcaError, UnavailableRuntime

PANDAS = 'import pandas as pd; print(pd.DataFrame({"a": [1, 2]}).sum().to_json())'


def _why_not_wasi_python(ready: Readiness) -> str:
    reasons = {item.runtime: item.reason for item in ready.unavailable_runtimes}
    return (
        f"the test server cannot run wasi-python: {reasons.get('wasi-python', 'it is not listed')} "
        "(prepare it once with `npm run prepare:wasmtime` in the checkout)"
    )


@pytest.fixture
def wasi_python(umca: Umca) -> None:
    """Fails, saying why, when the server cannot run wasi-python (its parts are not prepared)."""
    ready = umca.readiness()
    if "wasi-python" not in ready.runtimes:
        pytest.fail(_why_not_wasi_python(ready))


def test_runtime_wasi_python_runs_pandas_and_says_the_request_chose_it(umca: Umca, wasi_python: None) -> None:
    result = umca.run_code(PANDAS, runtime="wasi-python")
    assert (result.status, result.stdout) == ("ok", '{"a":3}\n'), result.stderr or result.reason
    assert result.runtime == "wasi-python" and result.selection is not None
    assert isinstance(result.selection, LaneSelection)
    assert (result.selection.lane, result.selection.runtime, result.selection.by) == ("wasm", "wasi-python", "request")
    assert result.selection.reason
    assert umca.get_run(result.run_id).request["runtime"] == "wasi-python"


def test_without_runtime_the_imports_route_pandas_to_wasi_python(umca: Umca, wasi_python: None) -> None:
    result = umca.run_code(PANDAS)
    assert (result.status, result.stdout) == ("ok", '{"a":3}\n'), result.stderr or result.reason
    assert result.selection is not None
    assert (result.selection.runtime, result.selection.by) == ("wasi-python", "imports")
    assert "pandas" in result.selection.reason
    assert "runtime" not in umca.get_run(result.run_id).request


def test_runtime_pyodide_is_sent_as_asked(umca: Umca) -> None:
    result = umca.run_code("import json; print(json.dumps([1, 2]))", runtime="pyodide")
    assert (result.status, result.stdout, result.runtime) == ("ok", "[1, 2]\n", "pyodide")
    assert result.selection is not None and (result.selection.runtime, result.selection.by) == ("pyodide", "request")


async def test_async_runtime_wasi_python_runs_pandas(async_umca: AsyncUmca, wasi_python: None) -> None:
    result = await async_umca.run_code(PANDAS, runtime="wasi-python")
    assert (result.status, result.stdout) == ("ok", '{"a":3}\n'), result.stderr or result.reason
    assert result.selection is not None and (result.selection.runtime, result.selection.by) == ("wasi-python", "request")


def _recording() -> tuple[list[httpx.Request], httpx.MockTransport]:
    """A transport that keeps every request it is given (sync or async), and answers none usefully."""
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    return sent, httpx.MockTransport(handler)


def test_runtime_with_javascript_is_refused_before_anything_is_sent() -> None:
    sent, transport = _recording()
    with Umca("http://umca.invalid", transport=transport) as umca:
        for call in (
            lambda: umca.run_code("console.log(1)", "javascript", runtime="wasi-python"),
            lambda: umca.submit_execution("console.log(1)", "javascript", runtime="pyodide"),
            lambda: list(umca.stream_code("console.log(1)", "javascript", runtime="pyodide")),
        ):
            with pytest.raises(UmcaError) as caught:
                call()
            assert caught.value.code == "invalid_argument"
            assert "runtime=" in str(caught.value) and "'javascript'" in str(caught.value)
    assert sent == []


async def test_async_runtime_with_javascript_is_refused_before_anything_is_sent() -> None:
    sent, transport = _recording()
    async with AsyncUmca("http://umca.invalid", transport=transport) as umca:
        with pytest.raises(UmcaError) as caught:
            await umca.run_code("console.log(1)", "javascript", runtime="wasi-python")
        assert caught.value.code == "invalid_argument" and "runtime=" in str(caught.value)
        with pytest.raises(UmcaError):
            await umca.submit_execution("console.log(1)", "javascript", runtime="pyodide")
    assert sent == []


def test_readiness_lists_the_runtimes_that_can_run_code(umca: Umca) -> None:
    ready = umca.readiness()
    assert "wasi-python" in ready.runtimes, _why_not_wasi_python(ready)
    assert "pyodide" in ready.runtimes and "quickjs" in ready.runtimes
    assert all(isinstance(item, UnavailableRuntime) for item in ready.unavailable_runtimes)
    assert "wasi-python" not in {item.runtime for item in ready.unavailable_runtimes}


async def test_async_readiness_lists_wasi_python(async_umca: AsyncUmca) -> None:
    ready = await async_umca.readiness()
    assert "wasi-python" in ready.runtimes, _why_not_wasi_python(ready)


def test_an_older_server_without_runtimes_or_selection_still_reads() -> None:
    """A v1 server from before runtimes were listed: empty lists, no selection, nothing fails."""
    older_result = {
        "status": "ok",
        "exitCode": 0,
        "stdout": "1\n",
        "stderr": "",
        "stdoutTruncated": False,
        "stderrTruncated": False,
        "files": [],
        "egress": [],
        "lane": "wasm",
        "runtime": "pyodide",
        "isolation": "os",
        "durationMs": 5,
        "timings": {"queuedMs": 0, "executeMs": 5},
    }

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/readyz":
            body = {"status": "ready", "isolation": "os", "activeRuns": 0, "idleSandboxes": 2, "lastEventOffset": 7}
        else:
            body = {
                "id": "run_old",
                "kind": "execution",
                "status": "ok",
                "language": "python",
                "createdAt": "2025-01-01T00:00:00Z",
                "result": older_result,
            }
        return httpx.Response(200, content=json.dumps(body), headers={"content-type": "application/json"})

    with Umca("http://umca.invalid", transport=httpx.MockTransport(handler)) as umca:
        ready = umca.readiness()
        run = umca.get_run("run_old")
    assert isinstance(ready, Readiness) and (ready.runtimes, ready.unavailable_runtimes) == ([], [])
    assert isinstance(run.result, ExecutionResult)
    assert (run.result.runtime, run.result.selection) == ("pyodide", None)
