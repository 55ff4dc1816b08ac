"""Drives UMCA's MCP server with the Python MCP SDK (PyPI `mcp`) and prints what it saw as JSON.

Usage: python mcp_client_check.py URL MODE   (MODE: auto, which probes and falls back, or legacy)
"""

import asyncio
import json
import sys

from mcp import Client


async def main(url: str, mode: str) -> None:
    logged: list[str] = []

    async def on_log(params) -> None:
        logged.append(params.data)

    async with Client(url, mode=mode, logging_callback=on_log) as client:
        tools = await client.list_tools()
        result = await client.call_tool("run_code", {"language": "python", "code": "print(sum(range(10)))"})
        run = await client.call_tool("get_run", {"runId": result.structured_content["runId"]})
        print(
            json.dumps(
                {
                    "tools": sorted(tool.name for tool in tools.tools),
                    "structured": result.structured_content,
                    "isError": result.is_error,
                    "logged": logged,
                    "run": run.structured_content,
                }
            )
        )


asyncio.run(main(sys.argv[1], sys.argv[2]))
