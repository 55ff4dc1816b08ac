"""Runs a UMCA eval suite through UMCA's own task flow and through the AgentScope flow (flow.py), on
the same server and model, and prints what each cost (a spike, not part of the test suite).

Per task and flow: success (the suite's own checks, run on the final program in UMCA's sandbox
after the flow ended, as `umca eval run` scores it), the flow's own verdict, wall time, model
calls, executions, tokens, and what UMCA's trace store holds for it: how many traces, and
whether the model calls and the executions are in one of them. Optionally AgentScope's own
OpenTelemetry spans (TracingMiddleware, kept in memory).

    python compare.py --server http://127.0.0.1:8787 --data-dir /tmp/umca-data --model scripted:coder
"""
import argparse
import ast
import asyncio
import contextlib
import inspect
import json
import secrets
import sqlite3
import statistics
import sys
import time
import urllib.request
from pathlib import Path

import openai

import flow

HERE = Path(__file__).resolve().parent


def umca_task(server, task, model, max_iterations, max_tokens):
    """What a user writes to run a task on UMCA (the glue counted for UMCA's side)."""
    body = json.dumps({"task": task, "model": model, "maxIterations": max_iterations, "maxTokens": max_tokens}).encode()
    request = urllib.request.Request(f"{server}/v1/tasks", data=body, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=1800) as response:
        return json.load(response)


def post(server, path, payload, timeout=120):
    request = urllib.request.Request(f"{server}{path}", data=json.dumps(payload).encode(), headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)


def get(url, timeout=30):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.load(response)


def suite_checks_pass(server, task, code):
    """The suite's checks on the final program, each on its own, in UMCA's sandbox (as run-suite.ts)."""
    if not code.strip():
        return False
    marker = f"@@UMCA_CHECKS_{secrets.token_hex(8)}@@"
    execution = post(server, "/v1/executions", {"language": "python", "code": flow.with_checks(code, task["checks"], marker)})
    results, _ = flow.read_checks(execution.get("stdout", ""), task["checks"], marker)
    return bool(results) and all(check["passed"] for check in results)


def traces_between(database, start_ns, end_ns):
    """UMCA's stored spans that started in the window, grouped by trace."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        rows = connection.execute(
            "SELECT trace_id, body FROM spans WHERE start_ns >= ? AND start_ns <= ?",
            (str(start_ns).zfill(20), str(end_ns).zfill(20)),
        ).fetchall()
    traces = {}
    for trace_id, body in rows:
        traces.setdefault(trace_id, []).append(json.loads(body))
    kinds = [{span["attributes"].get("openinference.span.kind") for span in spans} for spans in traces.values()]
    llm = [span for spans in traces.values() for span in spans if span["attributes"].get("openinference.span.kind") == "LLM"]
    return {
        "traces": len(traces),
        "spans": len(rows),
        "llmSpans": len(llm),
        "toolSpans": sum(1 for spans in traces.values() for span in spans if span["attributes"].get("openinference.span.kind") == "TOOL"),
        "linked": any({"LLM", "TOOL"} <= kind for kind in kinds),
        "tokens": sum(span["attributes"].get("gen_ai.usage.input_tokens", 0) + span["attributes"].get("gen_ai.usage.output_tokens", 0) for span in llm),
    }


def code_lines(source):
    """Non-blank lines that are neither comments nor docstrings."""
    tree = ast.parse(source)
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and ast.get_docstring(node) is not None:
            first = node.body[0]
            docstrings.update(range(first.lineno, first.end_lineno + 1))
    return sum(
        1 for number, line in enumerate(source.splitlines(), 1)
        if line.strip() and not line.strip().startswith("#") and number not in docstrings
    )


def run_umca(args, task):
    started = time.perf_counter()
    result = umca_task(args.server, task["task"], args.model, args.max_iterations, args.max_tokens)
    wall = time.perf_counter() - started
    return {
        "wall": wall,
        "verdict": result["verdict"],
        "status": result["status"],
        "code": result["code"],
        "calls": result["usage"]["calls"],
        "executions": len(result["iterations"]),
        "runId": result["runId"],
        "serverMs": result["durationMs"],
    }


def run_agentscope(args, task, tracing):
    requests = []

    async def count(request):
        if request.url.path.endswith("/chat/completions"):
            requests.append(request.url.path)

    async def go():
        async with openai.DefaultAsyncHttpxClient(event_hooks={"request": [count]}) as http_client:
            with tracing["root"]():
                return await asyncio.wait_for(
                    flow.run_task(
                        task["task"], server=args.server, model=args.model, max_iterations=args.max_iterations,
                        max_tokens=args.max_tokens, http_client=http_client, middlewares=tracing["middlewares"](),
                    ),
                    timeout=args.task_timeout,
                )

    before = len(tracing["exporter"].get_finished_spans()) if tracing["exporter"] else 0
    started = time.perf_counter()
    result = asyncio.run(go())
    wall = time.perf_counter() - started
    own = tracing["exporter"].get_finished_spans()[before:] if tracing["exporter"] else []
    return {
        "wall": wall,
        "verdict": result["verdict"],
        "code": result["code"],
        "calls": len(requests),
        "executions": len(result["iterations"]),
        "runIds": [round_["runId"] for round_ in result["iterations"]],
        "agentscopeTraces": len({span.context.trace_id for span in own}) if tracing["exporter"] else None,
        "agentscopeAgentTraces": len({span.context.trace_id for span in own if span.name.startswith("invoke_agent")}) if tracing["exporter"] else None,
        "agentscopeSpans": sorted(span.name for span in own) if tracing["exporter"] else None,
    }


def setup_tracing(enabled, root_span):
    """AgentScope's own OpenTelemetry spans, kept in memory (its TracingMiddleware needs an SDK provider);
    the MCP SDK adds its own client spans. With `root_span`, each task runs inside one span of ours."""
    if not enabled:
        return {"exporter": None, "middlewares": lambda: None, "root": contextlib.nullcontext}
    from agentscope.middleware import TracingMiddleware
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    root = (lambda: trace.get_tracer("compare").start_as_current_span("task")) if root_span else contextlib.nullcontext
    return {"exporter": exporter, "middlewares": lambda: [TracingMiddleware()], "root": root}


def median(values):
    values = [value for value in values if value is not None]
    return statistics.median(values) if values else None


def scripted_requests(url):
    return get(f"{url}/stats")["requests"] if url else None


def main():
    if sys.argv[1:2] == ["--report"]:  # re-print the tables of a saved --out file
        saved = json.loads(Path(sys.argv[2]).read_text())
        report(saved["rows"], f"{sys.argv[2]}: model {saved['args']['model']}, {saved['args']['repetitions']} repetition(s)")
        return 0
    parser = argparse.ArgumentParser(description="UMCA's task flow beside the AgentScope flow, on one server and model.")
    parser.add_argument("--server", required=True)
    parser.add_argument("--data-dir", required=True, help="the server's --data-dir (its umca.db holds the spans)")
    parser.add_argument("--model", required=True)
    parser.add_argument("--suite", default=str(HERE.parent.parent / "evals" / "smoke" / "suite.json"))
    parser.add_argument("--tasks", default="", help="comma-separated task ids (default: all)")
    parser.add_argument("--repetitions", type=int, default=1)
    parser.add_argument("--max-iterations", type=int, help="default: the suite's")
    parser.add_argument("--max-tokens", type=int, help="default: the suite's")
    parser.add_argument("--task-timeout", type=float, default=1800)
    parser.add_argument("--agentscope-tracing", action="store_true", help="AgentScope's TracingMiddleware on its agents")
    parser.add_argument("--agentscope-root-span", action="store_true", help="with --agentscope-tracing: each task inside one span")
    parser.add_argument("--scripted-url", default="", help="the scripted model's base URL: its request count is cross-checked")
    parser.add_argument("--out", default="", help="write every measurement as JSON here")
    args = parser.parse_args()

    suite = json.loads(Path(args.suite).read_text())
    args.max_iterations = args.max_iterations or suite.get("maxIterations", 3)
    args.max_tokens = args.max_tokens or suite.get("maxTokens", 1024)
    wanted = {name for name in args.tasks.split(",") if name}
    tasks = [task for task in suite["tasks"] if not wanted or task["id"] in wanted]
    database = Path(args.data_dir) / "umca.db"
    tracing = setup_tracing(args.agentscope_tracing, args.agentscope_root_span)
    rows = []
    for repetition in range(args.repetitions):
        for task in tasks:
            # Alternate which flow goes first, so neither always runs on a warmer machine.
            order = ["umca", "agentscope"] if (repetition + tasks.index(task)) % 2 == 0 else ["agentscope", "umca"]
            for name in order:
                time.sleep(0.2)  # keeps the previous run's spans out of this one's window
                served = scripted_requests(args.scripted_url)
                start_ns = time.time_ns() - 2_000_000
                try:
                    row = run_umca(args, task) if name == "umca" else run_agentscope(args, task, tracing)
                    row["error"] = None
                except Exception as error:  # a failed run is a result of the spike, not a crash of it
                    row = {"wall": None, "verdict": "error", "code": "", "calls": None, "executions": None, "error": f"{type(error).__name__}: {error}"}
                end_ns = time.time_ns() + 2_000_000
                time.sleep(0.2)
                row["upstreamCalls"] = scripted_requests(args.scripted_url) - served if args.scripted_url else None
                row.update(flow=name, task=task["id"], repetition=repetition, window=[start_ns, end_ns])
                row["success"] = suite_checks_pass(args.server, task, row["code"]) if not row["error"] else False
                rows.append(row)
                print(f"  r{repetition} {task['id']:<14} {name:<10} {row['verdict']:<10} success={row['success']!s:<5} "
                      f"wall={row['wall'] if row['wall'] is None else round(row['wall'], 2)}s calls={row['calls']} "
                      f"executions={row['executions']}{'  ' + row['error'] if row['error'] else ''}", file=sys.stderr, flush=True)
    time.sleep(2.5)  # spans reach the store in batches, once a second
    for row in rows:
        row["umcaTraces"] = traces_between(database, *row["window"])

    summary = report(rows, f"model {args.model}; suite {suite['name']} r{suite.get('revision')} ({len(tasks)} tasks x "
                     f"{args.repetitions}); maxIterations {args.max_iterations}, maxTokens {args.max_tokens}")
    if args.out:
        Path(args.out).write_text(json.dumps({"args": vars(args), "summary": summary, "rows": rows}, indent=2, default=str))
    return 0


def cell(value, digits=2):
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "–" if value is None else f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def report(rows, title):
    """Prints the two tables (all tasks; per task) and returns the summary."""
    lines = {"agentscope": code_lines((HERE / "flow.py").read_text()), "umca": code_lines(inspect.getsource(umca_task))}
    summary = {}
    for name in ("umca", "agentscope"):
        mine = [row for row in rows if row["flow"] == name]
        summary[name] = {
            "runs": len(mine),
            "success": sum(row["success"] for row in mine),
            "flowPass": sum(row["verdict"] == "pass" for row in mine),
            "wallMedianS": median([row["wall"] for row in mine]),
            "callsMedian": median([row["calls"] for row in mine]),
            "upstreamCallsMedian": median([row["upstreamCalls"] for row in mine]),
            "llmSpansMedian": median([row["umcaTraces"]["llmSpans"] for row in mine]),
            "executionsMedian": median([row["executions"] for row in mine]),
            "tokensMedian": median([row["umcaTraces"]["tokens"] for row in mine]),
            "umcaTracesMedian": median([row["umcaTraces"]["traces"] for row in mine]),
            "linked": sum(row["umcaTraces"]["linked"] for row in mine),
            "agentscopeTracesMedian": median([row.get("agentscopeTraces") for row in mine]),
            "agentscopeAgentTracesMedian": median([row.get("agentscopeAgentTraces") for row in mine]),
            "glueLines": lines[name],
            "errors": [row["error"] for row in mine if row["error"]],
        }
    print(title)
    print("| | UMCA (POST /v1/tasks) | AgentScope (flow.py) |")
    print("|---|---|---|")
    measures = [
        ("success (suite's checks pass)", lambda s: f"{s['success']}/{s['runs']}"),
        ("flow's own verdict pass", lambda s: f"{s['flowPass']}/{s['runs']}"),
        ("wall time per task, median (s)", lambda s: cell(s["wallMedianS"], 3)),
        ("model calls per task, median", lambda s: cell(s["callsMedian"])),
        ("model calls UMCA's gateway recorded (LLM spans), median", lambda s: cell(s["llmSpansMedian"])),
        ("calls the model server saw, median", lambda s: cell(s["upstreamCallsMedian"])),
        ("executions per task, median", lambda s: cell(s["executionsMedian"])),
        ("tokens per task, median (UMCA's LLM spans)", lambda s: cell(s["tokensMedian"])),
        ("traces in UMCA per task, median", lambda s: cell(s["umcaTracesMedian"])),
        ("tasks whose model calls and executions share a trace", lambda s: f"{s['linked']}/{s['runs']}"),
        ("AgentScope-side OTel traces per task, median (agent replies + MCP client)", lambda s: cell(s["agentscopeTracesMedian"])),
        ("  of which agent-reply traces", lambda s: cell(s["agentscopeAgentTracesMedian"])),
        ("glue lines (non-blank, non-comment)", lambda s: str(s["glueLines"])),
    ]
    for label, show in measures:
        print(f"| {label} | {show(summary['umca'])} | {show(summary['agentscope'])} |")
    print()
    print("| task | UMCA wall median (s) | AgentScope wall median (s) | AgentScope - UMCA, median of pairs (s) | calls UMCA / AgentScope | verdicts UMCA / AgentScope |")
    print("|---|---|---|---|---|---|")
    for task in dict.fromkeys(row["task"] for row in rows):
        pick = {name: [row for row in rows if row["task"] == task and row["flow"] == name] for name in ("umca", "agentscope")}
        pairs = [b["wall"] - a["wall"] for a, b in zip(pick["umca"], pick["agentscope"]) if a["wall"] is not None and b["wall"] is not None]
        verdicts = {name: ",".join(sorted({row["verdict"] for row in pick[name]})) for name in pick}
        print(f"| {task} | {cell(median([r['wall'] for r in pick['umca']]), 3)} | {cell(median([r['wall'] for r in pick['agentscope']]), 3)} | "
              f"{cell(median(pairs), 3)} | {cell(median([r['calls'] for r in pick['umca']]))} / {cell(median([r['calls'] for r in pick['agentscope']]))} | "
              f"{verdicts['umca']} / {verdicts['agentscope']} |")
    for name in ("umca", "agentscope"):
        for error in summary[name]["errors"]:
            print(f"error ({name}): {error}")
    return summary


if __name__ == "__main__":
    sys.exit(main())
