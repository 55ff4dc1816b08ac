"""The SDK against a `umca serve` that requires tokens (UMCA's own, made with `umca token create`):
a token given, taken from UMCA_TOKEN, or asked for on each request; and a refusal in the server's
words without one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import serving, umca_command

from umca import AsyncUmca, Umca, UmcaApiError


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    home: Path = tmp_path_factory.mktemp("umca-secured")
    developer = umca_command("token", "create", "--role", "developer", "--sub", "ada", "--data-dir", str(home / "data")).strip()
    viewer = umca_command("token", "create", "--role", "viewer", "--sub", "val", "--data-dir", str(home / "data")).strip()
    with serving(home) as url:
        yield url, developer, viewer


def test_a_token_runs_code_as_its_principal(secured: tuple[str, str, str]) -> None:
    url, developer, _ = secured
    with Umca(url, token=developer) as umca:
        result = umca.run_code("print(6 * 7)")
        assert result.stdout == "42\n"
        run = umca.get_run(result.run_id)
        assert run.raw["principal"]["sub"] == "ada"


def test_without_a_token_the_server_says_how_to_get_one(secured: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    url, _, _ = secured
    monkeypatch.delenv("UMCA_TOKEN", raising=False)
    with Umca(url) as umca, pytest.raises(UmcaApiError) as refused:
        umca.list_runs()
    assert refused.value.status == 401
    assert refused.value.problem["code"] == "token_missing" and "umca token create" in refused.value.detail


def test_the_token_comes_from_umca_token_or_a_callable(secured: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    url, developer, viewer = secured
    monkeypatch.setenv("UMCA_TOKEN", viewer)
    with Umca(url) as umca, pytest.raises(UmcaApiError) as refused:
        umca.run_code("print(1)")
    assert refused.value.status == 403 and refused.value.problem["rule"] == "tools"
    asked: list[int] = []

    def current() -> str:
        asked.append(1)
        return developer

    with Umca(url, token=current) as umca:
        assert umca.run_code("print(1)").status == "ok"
    assert len(asked) >= 2  # the submission and the stream each asked


async def test_the_async_client_takes_a_token_too(secured: tuple[str, str, str]) -> None:
    url, developer, _ = secured
    async with AsyncUmca(url, token=developer) as umca:
        assert (await umca.run_code("print(2)")).stdout == "2\n"
