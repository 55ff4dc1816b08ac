"""Drive a real `umca serve` through a client that openapi-python-client generated from its /openapi.json.

Usage: generated_client_check.py BASE_URL CLIENT_DIR

CLIENT_DIR holds the generated package `umca_api_client`, untouched. Every operation is called and
every answer parsed into the generated models, with `raise_on_unexpected_status`: an answer the
document does not describe, or one its models reject, fails. Each event of a run's stream is parsed
into the model of its type. Prints one line per step; exits non-zero on the first failure.
"""

import base64
import json
import sys

base_url, client_dir = sys.argv[1], sys.argv[2]
sys.path.insert(0, client_dir)

from umca_api_client import Client, models  # noqa: E402
from umca_api_client.api.events import stream_run_events  # noqa: E402
from umca_api_client.api.runs import cancel_run, create_execution, get_run, list_runs  # noqa: E402
from umca_api_client.api.service import get_health, get_metrics, get_readiness, get_schema, list_schemas  # noqa: E402
from umca_api_client.api.sessions import (  # noqa: E402
    create_session,
    create_session_execution,
    delete_session,
    get_session,
    list_sessions,
    pause_session,
)
from umca_api_client.api.tasks import create_task  # noqa: E402

client = Client(base_url=base_url, raise_on_unexpected_status=True, timeout=120)


def step(name: str, ok: bool, detail: object = "") -> None:
    print(f"{'ok' if ok else 'FAILED'}: {name} {detail}", flush=True)
    if not ok:
        sys.exit(1)


def expect(name: str, value: object, kind: type) -> object:
    step(name, isinstance(value, kind), f"({type(value).__name__})")
    return value


health = expect("health", get_health.sync(client=client), models.Health)
ready = expect("readiness", get_readiness.sync(client=client), models.Readiness)
step("readiness says ready", ready.status == "ready", ready.isolation)
metrics = get_metrics.sync(client=client)
step("metrics as text", isinstance(metrics, str) and "umca_runs_total" in metrics)
index = expect("schema index", list_schemas.sync(client=client), models.SchemaIndex)
schema = get_schema.sync("umca.event.v1.json", client=client)
step("a schema", isinstance(schema, models.GetSchemaResponse200) and "oneOf" in schema.additional_properties)

# Code, with a text file and a base64 file, waiting for the result.
result = expect(
    "python execution",
    create_execution.sync(
        client=client,
        body=models.PythonExecutionRequest(
            language="python",
            code="print(6 * 7, open('a.txt').read(), open('b.bin', 'rb').read())",
            files=[
                models.TextInputFile(path="a.txt", content="hi"),
                models.Base64InputFile(path="b.bin", content=base64.b64encode(b"\x00\x01").decode(), encoding="base64"),
            ],
        ),
    ),
    models.RunResult,
)
step("its output", result.stdout == "42 hi b'\\x00\\x01'\n", repr(result.stdout))

error = expect(
    "javascript execution that throws",
    create_execution.sync(client=client, body=models.JavaScriptExecutionRequest(language="javascript", code="throw new Error('no')")),
    models.RunResult,
)
step("its status", error.status.value == "error", error.status)

refused = expect(
    "a bad allowedOutboundHosts entry",
    create_execution.sync(
        client=client,
        body=models.PythonExecutionRequest(language="python", code="1", allowed_outbound_hosts=["http://a:90..80"]),
    ),
    models.Problem,
)
step("is invalid_allowed_host", refused.status == 400 and refused.code == "invalid_allowed_host", refused.detail)

# Started without waiting, then followed on its event stream.
accepted = expect(
    "respond-async",
    create_execution.sync(
        client=client,
        body=models.PythonExecutionRequest(language="python", code="print('streamed')"),
        prefer="respond-async",
    ),
    models.RunAccepted,
)
stream = stream_run_events.sync_detailed(accepted.run_id, client=client)
step("event stream", stream.status_code == 200 and isinstance(stream.parsed, str), stream.status_code)
events = []
for block in stream.parsed.split("\n\n"):
    fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
    if "data" in fields:
        events.append((int(fields["id"]), json.loads(fields["data"])))
offsets = [offset for offset, _ in events]
step("offsets only grow", offsets == sorted(set(offsets)) and len(offsets) >= 4, offsets)
by_type = {
    "dev.umca.run.created.v1": models.RunCreatedEvent,
    "dev.umca.lane.selected.v1": models.LaneSelectedEvent,
    "dev.umca.run.started.v1": models.RunStartedEvent,
    "dev.umca.output.appended.v1": models.OutputAppendedEvent,
    "dev.umca.code.executed.v1": models.CodeExecutedEvent,
    "dev.umca.run.ended.v1": models.RunEndedEvent,
}
for _, event in events:
    expect(f"event {event['type']}", by_type[event["type"]].from_dict(event), by_type[event["type"]])
step("the stream ends with run.ended", events[-1][1]["type"] == "dev.umca.run.ended.v1")
after_end = stream_run_events.sync_detailed(accepted.run_id, client=client, last_event_id=offsets[-1])
step("resuming past the end", after_end.status_code == 204, after_end.status_code)

run = expect("the run", get_run.sync(accepted.run_id, client=client), models.ExecutionRun)
step("its result", run.result.stdout == "streamed\n", run.result.stdout)
conflict = expect("cancelling an ended run", cancel_run.sync(accepted.run_id, client=client), models.Problem)
step("is already_ended", conflict.status == 409 and conflict.code == "already_ended")
missing = expect("an unknown run", get_run.sync("run_nope", client=client), models.Problem)
step("is 404", missing.status == 404)
too_long = expect("a run id over 200 characters", get_run.sync("x" * 201, client=client), models.Problem)
step("is 400", too_long.status == 400, too_long.detail)

page = expect("a page of runs", list_runs.sync(client=client, limit=2), models.RunList)
step("with a next page", len(page.runs) == 2 and isinstance(page.next_, str))
older = expect("the next page", list_runs.sync(client=client, limit=2, before=page.next_), models.RunList)
step("older runs", all(summary.id not in {r.id for r in page.runs} for summary in older.runs))
bad_query = expect("limit out of range", list_runs.sync(client=client, limit=501), models.Problem)
step("names the parameter", bad_query.status == 400 and "limit" in bad_query.detail, bad_query.detail)

# A session: state kept across two runs, listed, ended, then refused.
session = expect(
    "a session",
    create_session.sync(client=client, body=models.PythonSessionRequest(language="python")),
    models.Session,
)
step("it is active", session.status.value == "active", session.runtime)
kept = expect(
    "a run in the session",
    create_session_execution.sync(session.id, client=client, body=models.PythonSessionExecutionRequest(language="python", code="x = 6")),
    models.SessionRunResult,
)
step("the session goes on", kept.session.status.value == "active")
again = expect(
    "the next run",
    create_session_execution.sync(session.id, client=client, body=models.PythonSessionExecutionRequest(language="python", code="print(x * 7)")),
    models.SessionRunResult,
)
step("sees the last one's state", again.stdout == "42\n", repr(again.stdout))
shown = expect("the session", get_session.sync(session.id, client=client), models.Session)
step("with its runs", shown.runs == [kept.run_id, again.run_id], shown.runs)
paused = expect("pausing it", pause_session.sync(session.id, client=client), models.Session)
step("pauses it to disk", paused.status.value == "paused" and paused.snapshot_bytes > 0, paused.status)
resumed = expect(
    "a run in the paused session",
    create_session_execution.sync(session.id, client=client, body=models.PythonSessionExecutionRequest(language="python", code="print(x)")),
    models.SessionRunResult,
)
step("resumes it with its state", resumed.stdout == "6\n" and resumed.session.status.value == "active", repr(resumed.stdout))
scripted = expect(
    "a JavaScript session",
    create_session.sync(client=client, body=models.JavaScriptSessionRequest(language="javascript")),
    models.Session,
)
for code in ("let n = 41;", "console.log(n + 1);"):
    last = expect(
        "a JavaScript run in it",
        create_session_execution.sync(scripted.id, client=client, body=models.JavaScriptSessionExecutionRequest(language="javascript", code=code)),
        models.SessionRunResult,
    )
step("keeps its names", last.stdout == "42\n", repr(last.stdout))
delete_session.sync(scripted.id, client=client)
listed = expect("the sessions", list_sessions.sync(client=client), models.SessionList)
step("list it", session.id in {item.id for item in listed.sessions})
ended = expect("ending it", delete_session.sync(session.id, client=client), models.Session)
step("ends it", ended.status.value == "ended", ended.ended_because)
gone = expect(
    "a run in the deleted session",
    create_session_execution.sync(session.id, client=client, body=models.PythonSessionExecutionRequest(language="python", code="1")),
    models.Problem,
)
step("is 404", gone.status == 404, gone.detail)
unknown = expect("an unknown session", get_session.sync("ses_nope", client=client), models.Problem)
step("is 404", unknown.status == 404)

# Tasks: the server's default model (a real local one), one round, few tokens.
task = expect(
    "a task",
    create_task.sync(
        client=client,
        body=models.TaskRequest(task="Write add(a, b) and print add(2, 3).", max_iterations=1, max_tokens=48),
    ),
    models.TaskResult,
)
step("its verdict", task.verdict.value in ("pass", "fail", "unverified"), task.verdict)
task_run = expect("the task's run", get_run.sync(task.run_id, client=client), models.TaskRun)
step("its kind", task_run.kind == "task")
unusable = expect(
    "a task with a model that cannot work here",
    create_task.sync(client=client, body=models.TaskRequest(task="x", model="nosuchprovider:m")),
    models.Problem,
)
step("is model_unavailable", unusable.status == 400 and unusable.code == "model_unavailable", unusable.detail)
print("generated client: every operation answered as documented")
