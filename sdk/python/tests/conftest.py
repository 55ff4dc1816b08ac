"""One real `umca serve` for the whole test session, on a free port with a data directory of its
own and no default model; the tests reach it only through the SDK. The server is this checkout's
build (apps/cli/dist); `sh scripts/bootstrap.sh` makes it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from umca import AsyncUmca, Umca

REPO = Path(__file__).resolve().parents[3]
CLI = REPO / "apps" / "cli" / "dist" / "main.js"
#: Settings of the environment the server must not pick up: the tests expect its defaults, no model,
#: and tracing on with spans kept in its own store only (none sent to a developer's collector).
SERVER_SETTINGS = (
    "UMCA_HOST",
    "UMCA_PORT",
    "UMCA_DATA_DIR",
    "UMCA_MODEL",
    "UMCA_MODEL_FALLBACKS",
    "UMCA_ALLOWED_HOSTS",
    "UMCA_TRACING",
    "UMCA_TRACE_CONTENT",
    "UMCA_TRACE_PROJECT",
    "UMCA_OTLP_ENDPOINT",
    "OTEL_SDK_DISABLED",
    "OTEL_TRACES_EXPORTER",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
)
#: A bound on waiting for the server to print its URL, not a measurement: it starts in ~1 s.
STARTUP_BOUND_S = 120


@contextmanager
def serving(home: Path, *extra: str) -> Iterator[str]:
    """A `umca serve` with its data in `home/data`, until the block ends; yields its base URL."""
    if not CLI.is_file():
        pytest.fail(f"{CLI} is missing: build the server first with `sh scripts/bootstrap.sh` in {REPO}")
    environment = {key: value for key, value in os.environ.items() if key not in SERVER_SETTINGS}
    log = (home / "serve.log").open("w")
    process = subprocess.Popen(
        ["node", str(CLI), "serve", "--port", "0", "--data-dir", str(home / "data"), *extra],
        cwd=home,  # no umca.config.json of the developer's is read
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    assert process.stdout is not None
    first_line: list[str] = []
    reader = threading.Thread(target=lambda: first_line.append(process.stdout.readline() if process.stdout else ""), daemon=True)
    reader.start()
    reader.join(STARTUP_BOUND_S)
    url = first_line[0].strip().rstrip("/") if first_line else ""
    # `umca serve` prints its base URL as the first line of stdout once it is ready (serve-command.ts).
    if not re.fullmatch(r"https?://\S+", url):
        process.kill()
        process.wait()
        log.close()
        pytest.fail(f"`umca serve` printed {url!r} instead of its URL; its log:\n{(home / 'serve.log').read_text()}")
    try:
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            code = process.wait()
        log.close()
        if code != 0:
            sys.stderr.write(f"umca serve exited {code}; its log:\n{(home / 'serve.log').read_text()}\n")


def umca_command(*args: str) -> str:
    """Runs `umca ARGS` from this checkout's build and returns what it printed on stdout."""
    done = subprocess.run(["node", str(CLI), *args], capture_output=True, text=True, check=False, timeout=STARTUP_BOUND_S)
    if done.returncode != 0:
        pytest.fail(f"umca {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return done.stdout


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(tmp_path_factory.mktemp("umca-serve")) as url:
        yield url


@pytest.fixture
def umca(server_url: str) -> Iterator[Umca]:
    with Umca(server_url) as client:
        yield client


@pytest.fixture
async def async_umca(server_url: str) -> AsyncIterator[AsyncUmca]:
    async with AsyncUmca(server_url) as client:
        yield client
