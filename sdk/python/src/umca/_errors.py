"""The SDK's errors: one base, `UmcaError`, with a stable `code`, and a class for each way a call
can fail. Errors the server reports (RFC 9457 problem+json) keep its words and the whole problem;
errors on the way there say what to do about them."""

from __future__ import annotations

from typing import Any

import httpx


class UmcaError(Exception):
    """Base of every error the SDK raises. `code` is stable across versions (switch on it, not on
    the message), and the same as `@umca/client`'s where both have the case:

    - ``server_unreachable``: no server at `base_url`, or the connection broke (`UmcaConnectionError`);
    - ``api_error``: the server answered with a problem (`UmcaApiError`);
    - ``unexpected_response``: the answer is not what UMCA sends (is `base_url` a UMCA server?);
    - ``invalid_base_url``: `base_url` is not an http(s) URL;
    - ``invalid_argument``: arguments that cannot go together (`runtime` with a language other than Python),
      raised before anything is sent;
    - ``timeout``: a request took longer than the client's `timeout` (`UmcaTimeoutError`);
    - ``stream_lost``: an event stream kept breaking (`UmcaStreamError`);
    - ``run_incomplete``: a run ended without a result (`UmcaRunIncompleteError`).
    """

    code: str = "umca_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class UmcaApiError(UmcaError):
    """The server answered with an error status (RFC 9457 problem+json). The message is its
    `detail`, the server's own words on what to fix; `problem` is the whole body, extensions
    (`issues`, `runId`) included."""

    code = "api_error"

    def __init__(self, status: int, title: str, detail: str, problem: dict[str, Any]) -> None:
        super().__init__(detail or f"{status} {title}")
        self.status = status
        self.title = title
        self.detail = detail
        self.problem = problem

    @property
    def issues(self) -> list[dict[str, Any]]:
        """For an invalid request: each problem with its `path` in the request; otherwise empty."""
        issues = self.problem.get("issues")
        return [issue for issue in issues if isinstance(issue, dict)] if isinstance(issues, list) else []

    def __repr__(self) -> str:
        return f"UmcaApiError(status={self.status}, title={self.title!r}, detail={self.detail!r})"


class UmcaConnectionError(UmcaError):
    """The server could not be reached, or the connection to it broke before it answered."""

    code = "server_unreachable"

    def __init__(self, base_url: str, cause: BaseException) -> None:
        reason = str(cause) or type(cause).__name__
        if isinstance(cause, httpx.ConnectError):
            message = (
                f"could not reach the UMCA server at {base_url} ({reason}): start one with `umca serve` "
                "(`./umca serve` in a checkout), or pass base_url= or set UMCA_SERVER to where it runs"
            )
        else:
            message = f"the connection to the UMCA server at {base_url} broke before it answered ({reason})"
        super().__init__(message)
        self.base_url = base_url


class UmcaTimeoutError(UmcaError):
    """The server took longer than the client's `timeout` to answer a request."""

    code = "timeout"

    def __init__(self, url: str, cause: BaseException) -> None:
        super().__init__(
            f"no answer from {url} in time ({cause or type(cause).__name__}): raise the client's timeout= if the server is just slow"
        )
        self.url = url


class UmcaStreamError(UmcaError):
    """An event stream kept breaking and could not be resumed within the allowed reconnects."""

    code = "stream_lost"

    def __init__(self, url: str, last_offset: int, attempts: int, cause: BaseException | None) -> None:
        reason = f": {cause or type(cause).__name__}" if cause is not None else ""
        super().__init__(
            f"the event stream {url} broke {attempts} times in a row after event {last_offset}{reason}; "
            f"follow it again with after={last_offset} to resume exactly, or raise max_reconnects="
        )
        self.url = url
        self.last_offset = last_offset


class UmcaRunIncompleteError(UmcaError):
    """A run ended without a result, which happens when the server stopped while it was running."""

    code = "run_incomplete"

    def __init__(self, run_id: str, status: str, reason: str | None) -> None:
        super().__init__(
            f"run {run_id} ended {status} without a result"
            + (f" ({reason})" if reason else "")
            + "; its events are still at follow_run(run_id)"
        )
        self.run_id = run_id
        self.status = status
