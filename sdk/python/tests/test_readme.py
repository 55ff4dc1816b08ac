"""The README opens with five lines that run code on a live server and stream its output; this
runs exactly those lines, as written, against the test server, and the asyncio example after them."""

from __future__ import annotations

import pytest
from readme_example import readme_examples


def test_the_readme_five_line_example_runs_as_written(
    server_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    example = readme_examples()[0]
    assert len(example.splitlines()) == 5
    monkeypatch.setenv("UMCA_SERVER", server_url)  # where the example's Umca() connects
    exec(compile(example, "README.md", "exec"), {"__name__": "readme"})
    assert capsys.readouterr().out == "0\n1\n4\nok 0\n"


def test_the_readme_asyncio_example_runs_as_written(
    server_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("UMCA_SERVER", server_url)
    exec(compile(readme_examples()[1], "README.md", "exec"), {"__name__": "readme"})
    assert capsys.readouterr().out == "hi\nok"
