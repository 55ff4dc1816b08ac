"""UMCA's planner -> coder -> tester flow, written with AgentScope 2.0.11 (a spike, not part of the suite).

The planner and coder are AgentScope agents thinking through UMCA's OpenAI-compatible gateway
(POST /v1/chat/completions); the tester runs the program and the planner's checks with UMCA's
`run_code` tool over MCP (Streamable HTTP at /mcp) and judges; the coder gets the evidence and
tries again, up to `max_iterations` rounds. The prompts, the parsing and the check harness are
UMCA's own (packages/agents/src), so both flows ask the model the same things.

    python flow.py --server http://127.0.0.1:8787 --model scripted:coder "Write a Python function add(a, b) ..."
"""
import argparse
import asyncio
import json
import re
import secrets

from agentscope.agent import Agent, InjectionConfig, ReActConfig
from agentscope.credential import OpenAICredential
from agentscope.mcp import HttpMCPConfig, MCPClient
from agentscope.message import AssistantMsg, UserMsg
from agentscope.model import OpenAIChatModel

LANGUAGE = "Python 3 (standard library only; no third-party packages; no network unless allowed)"
PLANNER = (
    f"You plan small programs in {LANGUAGE}. Answer with one JSON object only: "
    '{"plan": [short steps], "checks": [acceptance checks]}. Each check is one Python assert statement '
    "that tests the finished program's functions. Example: "
    '{"plan": ["define add(a, b)", "return the sum"], "checks": ["assert add(2, 3) == 5", "assert add(-1, 1) == 0"]}'
)
PLANNER_REPAIR = (
    'That answer was not the JSON object asked for, or had no checks. Reply with only {"plan": [...], "checks": [...]}, '
    "with at least two checks written as Python assert statements that call the program's functions."
)
CODER = (
    f"You write complete, runnable programs in {LANGUAGE}. Reply with the whole program in one ```python "
    "code block and nothing else. Define the functions the checks call at the top level."
)
MAX_CHECKS = 12
TAIL = 1500


def extract_json(text):
    """The first JSON object in the text, fenced or bare (as UMCA's extractJsonObject)."""
    candidates = re.findall(r"```(?:json)?\s*\n([\s\S]*?)```", text)
    start, depth, in_string, index = text.find("{"), 0, False, text.find("{")
    while 0 <= index < len(text):
        char = text[index]
        if in_string:
            if char == "\\":
                index += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                candidates.append(text[start:index + 1])
                break
        index += 1
    for candidate in candidates:
        try:
            parsed = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(parsed, dict):
            return parsed
    return None


def string_list(value, limit):
    if not isinstance(value, list):
        return []
    items = [item if isinstance(item, str) else str(item["code"]) if isinstance(item, dict) and "code" in item else "" for item in value]
    return [item.strip() for item in items if item.strip()][:limit]


def extract_code(text):
    """The longest ```python block (else an untagged one, else an unterminated fence, else the whole reply)."""
    blocks = re.findall(r"```([\w+-]*)[^\n]*\n([\s\S]*?)```", text)
    pool = [body for tag, body in blocks if tag.lower() in ("python", "py", "python3")] or [body for tag, body in blocks if not tag]
    best = max(pool, key=len, default="")
    if best.strip():
        return best.rstrip(), True
    unterminated = re.search(r"```[\w+-]*[^\n]*\n([\s\S]*)$", text)
    if unterminated and unterminated.group(1).strip():
        return unterminated.group(1).rstrip(), True
    return text.strip(), False


def with_checks(code, checks, marker):
    """The program with each check run on its own, results printed on a marker line (UMCA's harness)."""
    if not checks:
        return code
    named = json.dumps([[f"check {index + 1}: {check}"[:200], check] for index, check in enumerate(checks)])
    return code + f'''

def __umca_run_checks():
    import json as _json
    results = []
    for name, source in {named}:
        try:
            exec(source, globals())
            results.append({{"name": name, "passed": True}})
        except BaseException as error:
            message = str(error)
            results.append({{"name": name, "passed": False, "detail": (type(error).__name__ + (": " + message if message else ""))[:500]}})
    print("\\n{marker}" + _json.dumps(results))
__umca_run_checks()
'''


def read_checks(stdout, checks, marker):
    at = stdout.rfind(marker)
    if at < 0:
        return ([] if not checks else None), stdout
    try:
        results = json.loads(stdout[at + len(marker):].split("\n")[0])
    except ValueError:
        results = None
    before = stdout[:at]
    return results, before[:-1] if before.endswith("\n") else before


def tail(text):
    return f"…{text[-TAIL:]}" if len(text) > TAIL else text


def feedback_for(execution, results, stdout, fenced):
    parts = [] if fenced else ["Your reply had no code block; the whole reply was run as the program."]
    if execution["status"] != "ok":
        reason = f": {execution['reason']}" if execution.get("reason") else ""
        parts.append(f'The program ended "{execution["status"]}"{reason}.')
        traceback = (execution.get("error") or {}).get("traceback")
        if traceback:
            parts.append(f"Traceback:\n{tail(traceback)}")
        elif execution.get("stderr"):
            parts.append(f"stderr:\n{tail(execution['stderr'])}")
    failed = [check for check in results if not check["passed"]]
    if failed:
        parts.append("Failed checks:\n" + "\n".join(f"- {c['name']}" + (f" → {c['detail']}" if c.get("detail") else "") for c in failed))
    if stdout:
        parts.append(f"stdout:\n{tail(stdout)}")
    return "\n\n".join(parts)


def new_agent(name, system_prompt, model, middlewares=None):
    # One reasoning step per reply (no tools); no runtime-state hints, so the prompts are UMCA's.
    return Agent(
        name=name,
        system_prompt=system_prompt,
        model=model,
        middlewares=middlewares,
        react_config=ReActConfig(max_iters=1),
        injection_config=InjectionConfig(inject_runtime_state=False),
    )


async def ask(agent, content):
    messages = content if isinstance(content, list) else [UserMsg(name="user", content=content)]
    return (await agent.reply(messages)).get_text_content() or ""


async def run_task(task, *, server, model, max_iterations=3, max_tokens=1024, api_key="umca", http_client=None, middlewares=None):
    """Runs one task; returns its verdict, plan, checks, final code and rounds."""
    client_kwargs = {"http_client": http_client} if http_client else None
    llm = OpenAIChatModel(
        credential=OpenAICredential(api_key=api_key, base_url=f"{server}/v1"),
        model=model,
        parameters=OpenAIChatModel.Parameters(max_tokens=max_tokens, temperature=0),
        client_kwargs=client_kwargs,
    )
    planner = new_agent("planner", PLANNER, llm, middlewares)
    first = await ask(planner, task)
    parsed = extract_json(first)
    if not string_list((parsed or {}).get("checks"), MAX_CHECKS):
        # Small models often answer in prose: one more turn (the agent's memory holds the first).
        again = extract_json(await ask(planner, PLANNER_REPAIR))
        if again and (string_list(again.get("checks"), MAX_CHECKS) or not parsed):
            parsed = again
    plan = string_list((parsed or {}).get("plan"), 20) if parsed else ([first.strip()[:500]] if first.strip() else [])
    checks = string_list((parsed or {}).get("checks"), MAX_CHECKS)

    umca = MCPClient(name="umca", is_stateful=True, mcp_config=HttpMCPConfig(url=f"{server}/mcp", headers={"authorization": f"Bearer {api_key}"}, timeout=120))
    await umca.connect()
    run_code = await umca.get_tool("run_code")
    prompt = "\n\n".join(part for part in [
        f"Task: {task}",
        "Plan:\n" + "\n".join(f"{index + 1}. {step}" for index, step in enumerate(plan)) if plan else "",
        "These checks will run after your program:\n" + "\n".join(checks) if checks else "",
    ] if part)
    rounds, verdict, code, stdout, retry = [], "fail", "", "", []
    try:
        for index in range(1, max_iterations + 1):
            # A fresh coder each round, shown its last program and the evidence (as UMCA's coder is).
            coder = new_agent("coder", CODER, llm, middlewares)
            code, fenced = extract_code(await ask(coder, [UserMsg(name="user", content=prompt), *retry]))
            marker = f"@@UMCA_CHECKS_{secrets.token_hex(8)}@@"
            answer = await run_code(language="python", code=with_checks(code, checks, marker))
            execution = json.loads(answer.content[0].text)
            results, stdout = read_checks(execution.get("stdout", ""), checks, marker)
            if results is None:
                results = [{"name": f"check {i + 1}: {c}"[:200], "passed": False, "detail": f'the program ended "{execution["status"]}" before the checks ran'} for i, c in enumerate(checks)]
            passed = execution["status"] == "ok" and all(check["passed"] for check in results)
            verdict = ("pass" if results else "unverified") if passed else "fail"
            rounds.append({"index": index, "runId": execution.get("runId"), "status": execution["status"], "verdict": verdict, "checks": results})
            if verdict != "fail":
                break
            retry = [
                AssistantMsg(name="coder", content=f"```python\n{code}\n```"),
                UserMsg(name="user", content=f"That program did not pass:\n{feedback_for(execution, results, stdout, fenced)}\n\nFix it. Reply with the whole corrected program in one ```python code block."),
            ]
    finally:
        await umca.close()
    return {"verdict": verdict, "plan": plan, "checks": checks, "code": code, "stdout": stdout, "iterations": rounds}


def main():
    parser = argparse.ArgumentParser(description="Run one task through the AgentScope flow on a UMCA server.")
    parser.add_argument("task")
    parser.add_argument("--server", default="http://127.0.0.1:8787")
    parser.add_argument("--model", required=True, help="provider:model, as UMCA names models")
    parser.add_argument("--max-iterations", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=1024)
    args = parser.parse_args()
    result = asyncio.run(run_task(args.task, server=args.server, model=args.model, max_iterations=args.max_iterations, max_tokens=args.max_tokens))
    print(json.dumps(result, indent=2))
    return 0 if result["verdict"] == "pass" else 1


if __name__ == "__main__":
    raise SystemExit(main())
