"""A TEST DOUBLE of an OpenAI-compatible model server, standard library only (spike, not a test).

It answers UMCA's planner and coder prompts as a competent model would for the smoke suite's
tasks (and, offered a `run_code` tool, calls it once and reports the output: tool_agent.py), so both flows (UMCA's own and the AgentScope one in flow.py, which uses the same prompts)
get the same answers and their overhead can be compared. It speaks the wire of
packages/models/test/support/scripted-openai-server.ts: a whole `chat.completion`, or with
`stream: true` Server-Sent Events (role, text in three chunks, tool calls, finish reason, usage,
`[DONE]`). `GET /stats` answers how many completions it served.

    python scripted_model.py [--port 0] [--first-wrong reverse_words]

The first line on stdout is the base URL to give UMCA: UMCA_PROVIDER_SCRIPTED_BASE_URL=<url>,
model `scripted:coder`. `--first-wrong NAME` makes the first program for task NAME subtly wrong
(fixed once the feedback arrives), so the retry round of both flows is exercised; `--first-wrong ''`
makes every first answer right.
"""
import argparse
import json
import re
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# What a competent model plans and writes for the smoke suite, by function name.
ANSWERS = {
    "add": {
        "plan": ["define add(a, b)", "return a + b", "print add(2, 3)"],
        "checks": ["assert add(2, 3) == 5", "assert add(-1, 1) == 0"],
        "code": "def add(a, b):\n    return a + b\n\n\nprint(add(2, 3))",
        "wrong": "def add(a, b):\n    return a - b\n\n\nprint(add(2, 3))",
    },
    "reverse_words": {
        "plan": ["split text on whitespace", "reverse the words", "join them with single spaces"],
        "checks": [
            "assert reverse_words('one two three') == 'three two one'",
            "assert reverse_words('a  b') == 'b a'",
        ],
        "code": "def reverse_words(text):\n    return ' '.join(reversed(text.split()))\n\n\nprint(reverse_words('one two three'))",
        "wrong": "def reverse_words(text):\n    return ' '.join(reversed(text.split(' ')))\n\n\nprint(reverse_words('one two three'))",
    },
    "count_vowels": {
        "plan": ["lower-case the text", "count the letters in 'aeiou'"],
        "checks": ["assert count_vowels('Hello World') == 3", "assert count_vowels('') == 0"],
        "code": "def count_vowels(text):\n    return sum(1 for letter in text.lower() if letter in 'aeiou')\n\n\nprint(count_vowels('Hello World'))",
        "wrong": "def count_vowels(text):\n    return sum(1 for letter in text if letter in 'aeiou')\n\n\nprint(count_vowels('Hello World'))",
    },
}


def text_of(content):
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content or ""


def answer_for(body, first_wrong):
    """The reply: text, or (text, tool calls) for a request that offers a run_code tool."""
    messages = body.get("messages", [])
    tools = [tool.get("function", {}).get("name", "") for tool in body.get("tools") or []]
    run_code = next((name for name in tools if name.endswith("run_code")), None)
    if run_code:
        # A tool-using agent (tool_agent.py): run a program once, then say what it printed.
        results = [text_of(m.get("content")) for m in messages if m.get("role") == "tool"]
        if not results:
            return "", [{"name": run_code, "arguments": json.dumps({"language": "python", "code": "print(sum(range(10)))"})}]
        try:
            printed = json.loads(results[-1]).get("stdout", "").strip()
        except ValueError:
            printed = results[-1][:200]
        return f"The program printed {printed}.", []
    system = " ".join(text_of(m.get("content")) for m in messages if m.get("role") in ("system", "developer"))
    users = [text_of(m.get("content")) for m in messages if m.get("role") == "user"]
    conversation = "\n".join(users)
    match = re.search(r"function (\w+)\(", conversation)
    known = ANSWERS.get(match.group(1)) if match else None
    if "You plan small programs" in system:
        if not known:
            return json.dumps({"plan": ["do the task"], "checks": []}), []
        return json.dumps({"plan": known["plan"], "checks": known["checks"]}), []
    if "You write complete, runnable programs" in system:
        if not known:
            return "```python\nprint('I do not know this task')\n```", []
        retried = "did not pass" in (users[-1] if users else "")
        wrong = match.group(1) in first_wrong and not retried
        return f"```python\n{known['wrong' if wrong else 'code']}\n```", []
    return "ok", []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    served = 0
    lock = threading.Lock()
    first_wrong: set = set()

    def log_message(self, *args):  # quiet
        pass

    def _json(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path.rstrip("/").endswith("/stats"):
            return self._json(200, {"requests": Handler.served})
        self._json(404, {"error": {"message": "not found"}})

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if not self.path.endswith("/chat/completions"):
            return self._json(404, {"error": {"message": "not found"}})
        with Handler.lock:
            Handler.served += 1
        text, tool_calls = answer_for(body, Handler.first_wrong)
        prompt_chars = sum(len(text_of(m.get("content"))) for m in body.get("messages", []))
        usage = {"prompt_tokens": max(1, prompt_chars // 4), "completion_tokens": max(1, len(text) // 4)}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        ident = f"chatcmpl-{uuid.uuid4().hex[:12]}"
        model = body.get("model", "scripted")
        if not body.get("stream"):
            return self._json(200, {
                "id": ident, "object": "chat.completion", "created": 0, "model": model,
                "choices": [{"index": 0, "message": {
                    "role": "assistant", "content": text or None,
                    **({"tool_calls": [{"id": f"call_{i}", "type": "function", "function": call} for i, call in enumerate(tool_calls)]} if tool_calls else {}),
                }, "finish_reason": "tool_calls" if tool_calls else "stop"}],
                "usage": usage,
            })
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        self.end_headers()
        base = {"id": ident, "object": "chat.completion.chunk", "created": 0, "model": model}

        def send(payload):
            data = payload if isinstance(payload, str) else json.dumps(payload)
            self.wfile.write(f"data: {data}\n\n".encode())
            self.wfile.flush()

        send({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]})
        size = max(1, -(-len(text) // 3))
        for offset in range(0, len(text), size):
            send({**base, "choices": [{"index": 0, "delta": {"content": text[offset:offset + size]}, "finish_reason": None}]})
        for index, call in enumerate(tool_calls):
            half = len(call["arguments"]) // 2
            first = {"index": index, "id": f"call_{index}", "type": "function", "function": {"name": call["name"], "arguments": call["arguments"][:half]}}
            send({**base, "choices": [{"index": 0, "delta": {"tool_calls": [first]}, "finish_reason": None}]})
            rest = {"index": index, "function": {"arguments": call["arguments"][half:]}}
            send({**base, "choices": [{"index": 0, "delta": {"tool_calls": [rest]}, "finish_reason": None}]})
        send({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls" if tool_calls else "stop"}]})
        send({**base, "choices": [], "usage": usage})
        send("[DONE]")
        self.close_connection = True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--first-wrong", default="reverse_words", help="comma-separated function names")
    args = parser.parse_args()
    Handler.first_wrong = {name for name in args.first_wrong.split(",") if name}
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"http://127.0.0.1:{server.server_address[1]}/v1", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    sys.exit(main())
