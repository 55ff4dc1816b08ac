"""A real MCP server (the official Python SDK) standing in for RAGFlow and a Dify app in UMCA's tests.

It has their tools' shapes: RAGFlow's retrieval over a small corpus shipped here, a Dify-style
workflow, plus one slow tool, one that fails, and one that adds a tool and says its list changed.
Run: python stand_in_server.py http PORT [TOKEN]  (Streamable HTTP at /mcp; with TOKEN, requests
must carry `Authorization: Bearer TOKEN`), or python stand_in_server.py stdio.
"""

import asyncio
import sys
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

CORPUS = [
    {"id": "doc-1", "title": "Refunds", "content": "Refunds are paid within 14 days of a returned order."},
    {"id": "doc-2", "title": "Shipping", "content": "Orders ship within 2 working days; express takes 1 day."},
    {"id": "doc-3", "title": "Warranty", "content": "Every device has a 2 year warranty against defects."},
]

server = MCPServer("umca-stand-in", instructions="Stands in for RAGFlow and a Dify app in UMCA's tests.")


@server.tool(description="Retrieve the chunks of the knowledge base most relevant to a question (RAGFlow's retrieval).")
def ragflow_retrieval(question: str, top_k: int = 2) -> dict[str, Any]:
    words = {word.strip("?.,").lower() for word in question.split()}
    scored = sorted(CORPUS, key=lambda doc: -len(words & {word.strip(".,;").lower() for word in doc["content"].split()}))
    return {"chunks": [{"document_id": doc["id"], "title": doc["title"], "content": doc["content"]} for doc in scored[:top_k]]}


@server.tool(description="Run the order-status workflow of a Dify app with its inputs.")
def workflow_run(order_id: str) -> dict[str, Any]:
    return {"status": "succeeded", "outputs": {"order_id": order_id, "state": "shipped", "eta_days": 1}}


@server.tool(description="Answer after a while.")
async def slow(seconds: float) -> str:
    await asyncio.sleep(seconds)
    return f"slept {seconds} s"


@server.tool(description="Always fails.")
def failing() -> str:
    raise ToolError("the upstream tool broke")


@server.tool(description="The names of the variables in this server's environment (for checking what a client passed down).")
def environment_names() -> list[str]:
    import os

    return sorted(os.environ)


@server.tool(description="Add a tool named NAME, and tell clients the list changed.")
async def add_tool(name: str, ctx: Context) -> str:
    server.add_tool(lambda: f"{name} works", name=name, description=f"Added at run time: {name}.")
    await ctx.request_context.session.send_tool_list_changed()
    return f"added {name}"


def main() -> None:
    if sys.argv[1:2] == ["stdio"]:
        server.run("stdio")
        return
    import uvicorn
    from starlette.responses import JSONResponse

    port = int(sys.argv[2])
    token = sys.argv[3] if len(sys.argv) > 3 else None
    app = server.streamable_http_app()

    async def guarded(scope: Any, receive: Any, send: Any) -> None:
        if token and scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            if headers.get(b"authorization", b"").decode() != f"Bearer {token}":
                await JSONResponse({"error": "unauthorized"}, status_code=401)(scope, receive, send)
                return
        await app(scope, receive, send)

    uvicorn.run(guarded, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
