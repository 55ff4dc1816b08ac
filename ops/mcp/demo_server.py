"""A small MCP server to try UMCA's MCP client with (docs/mcp-client.md, "Try it").

Two tools over Streamable HTTP at http://127.0.0.1:8000/mcp: a lookup in a tiny price list and a
currency conversion. Needs the official MCP Python SDK 2.x (`pip install "mcp>=2,<3"`), where
FastMCP is called MCPServer. Run: python ops/mcp/demo_server.py [PORT]
The `dict[str, Any]` return types make the SDK send structured content, which a program calling
the tool through UMCA gets as a dict.
"""

import sys
from typing import Any

from mcp.server.mcpserver import MCPServer

PRICES = {"apple": 0.5, "bread": 2.25, "coffee": 7.9}
RATES = {"EUR": 1.0, "USD": 1.08, "GBP": 0.85}

server = MCPServer("umca-demo")


@server.tool(description="The price in EUR of an item of the shop (apple, bread, coffee).")
def price(item: str) -> dict[str, Any]:
    if item not in PRICES:
        raise ValueError(f"no item {item!r}; the shop has {', '.join(PRICES)}")
    return {"item": item, "eur": PRICES[item]}


@server.tool(description="Convert an amount in EUR to another currency (USD, GBP).")
def convert(eur: float, currency: str) -> dict[str, Any]:
    if currency not in RATES:
        raise ValueError(f"no rate for {currency!r}; known: {', '.join(RATES)}")
    return {"currency": currency, "amount": round(eur * RATES[currency], 2)}


if __name__ == "__main__":
    import uvicorn

    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    uvicorn.run(server.streamable_http_app(), host="127.0.0.1", port=port, log_level="warning")
