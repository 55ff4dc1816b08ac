"""UMCA's `run_code` as a tool of an AgentScope ReAct agent (spike, not part of the suite).

flow.py calls `run_code` from its tester step; here the model calls it: the agent's toolkit takes
UMCA's MCP server, the tool schemas go to UMCA's chat completions endpoint, the model's tool call
comes back (streamed), AgentScope calls UMCA over MCP, and the tool's answer goes back to the model
as a `tool` message. AgentScope asks the user before any MCP tool that is not read-only, so an
unattended agent needs an allow rule for it.

    python tool_agent.py --server http://127.0.0.1:8787 --model scripted:coder
"""
import argparse
import asyncio

from agentscope.agent import Agent, InjectionConfig, ReActConfig
from agentscope.credential import OpenAICredential
from agentscope.mcp import HttpMCPConfig, MCPClient
from agentscope.message import UserMsg
from agentscope.model import OpenAIChatModel
from agentscope.permission import PermissionBehavior, PermissionRule
from agentscope.tool import Toolkit


async def main(server, model, allow):
    umca = MCPClient(name="umca", is_stateful=True, enable_tools=["run_code"], mcp_config=HttpMCPConfig(url=f"{server}/mcp"))
    await umca.connect()
    try:
        agent = Agent(
            name="runner",
            system_prompt="You answer by running Python with the run_code tool.",
            model=OpenAIChatModel(credential=OpenAICredential(api_key="umca", base_url=f"{server}/v1"), model=model),
            toolkit=Toolkit(mcps=[umca]),
            react_config=ReActConfig(max_iters=3),
            injection_config=InjectionConfig(inject_runtime_state=False),
        )
        if allow:
            rule = PermissionRule(tool_name="mcp__umca__run_code", rule_content=None, behavior=PermissionBehavior.ALLOW, source="spike")
            agent.state.permission_context.allow_rules["mcp__umca__run_code"] = [rule]
        reply = await agent.reply(UserMsg(name="user", content="What is the sum of the numbers 0 to 9? Run code to find out."))
        print(f"reply: {reply.get_text_content()!r}")
        for message in agent.state.context:
            kinds = [block.type for block in message.content] if isinstance(message.content, list) else ["text"]
            print(f"  {message.role}: {kinds}")
    finally:
        await umca.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="An AgentScope agent that calls UMCA's run_code over MCP.")
    parser.add_argument("--server", default="http://127.0.0.1:8787")
    parser.add_argument("--model", required=True)
    parser.add_argument("--no-allow-rule", action="store_true", help="leave AgentScope's default: ask the user first")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.server, arguments.model, not arguments.no_allow_rule))
