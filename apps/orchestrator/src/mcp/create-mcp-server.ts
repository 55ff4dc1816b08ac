/**
 * @module create-mcp-server
 * UMCA as an MCP server (official TypeScript SDK): the tools `run_code`, `run_task`, `get_run`
 * and `list_runs` (and `create_session` and `end_session` where the server holds sessions), each
 * run as the resource `umca://runs/{runId}`, and prompts that drive the
 * tools (`analyse_data_file`, `write_and_test_function`, `hand_over_task`). The same server serves
 * Streamable HTTP at /mcp and stdio (`umca mcp`). While code runs, its output and steps reach the
 * client as logging messages and progress notifications, read from the same event log that
 * feeds SSE.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { EventBusV1, Logger, Tool } from '@umca/contracts';
import type { AccessGrant, RunQuota } from '@umca/policy';
import type { RunService, SessionService } from '@umca/runs';
import { API_VERSION } from '../app/app-version.js';
import { registerPrompts } from './prompts.js';
import { registerRunCodeTool } from './run-code-tool.js';
import { registerRunLookup } from './run-lookup.js';
import { registerRunTaskTool } from './run-task-tool.js';
import { registerSessionTools } from './session-tools.js';
import { openToolDeps } from './tool-support.js';

export interface McpServerOptions {
  runs: RunService;
  bus: EventBusV1;
  /** How much each principal may run (shared with the HTTP API); default a quota of this server's own. */
  quota?: RunQuota;
  /** Sessions (create_session, end_session, run_code's sessionId); absent: the server holds none. */
  sessions?: SessionService;
  logger?: Logger;
  /**
   * What the session's principal may do: the tools it lists are those the grant includes (each
   * call is checked again with the grant of its own request). Absent: every tool.
   */
  grant?: AccessGrant;
  /** Whether run_task may use the MCP client's own model (sampling). Default true. */
  allowSampling?: boolean;
  /** The server's default model, if any (run_task falls back to sampling without one). */
  defaultModel?: string;
}

export function createMcpServer(options: McpServerOptions): McpServer {
  const { allowSampling = true, defaultModel, grant } = options;
  const deps = openToolDeps(options);
  const offers = (tool: Tool) => !grant || grant.unrestricted || grant.tools.has(tool);
  const server = new McpServer(
    { name: 'umca', title: 'UMCA', version: API_VERSION },
    {
      capabilities: { logging: {} },
      instructions: `Run Python or JavaScript in an isolated WebAssembly sandbox with run_code, or have UMCA plan, write, run and check a program for a task with run_task. Code has no network unless allowedOutboundHosts names hosts. Results include stdout, stderr, exit status and a runId; get_run and the resource umca://runs/{runId} show a run later. The prompts analyse_data_file, write_and_test_function and hand_over_task start common jobs with these tools.${
        options.sessions
          ? ' To keep variables, DataFrames and files across calls (load data once, then explore it step by step), open a session with create_session and pass its sessionId to run_code.'
          : ''
      }`,
    },
  );
  if (offers('run_code')) registerRunCodeTool(server, deps);
  if (offers('run_code') && deps.sessions) registerSessionTools(server, { ...deps, sessions: deps.sessions });
  if (offers('run_task')) registerRunTaskTool(server, { ...deps, allowSampling, ...(defaultModel ? { defaultModel } : {}) });
  registerRunLookup(server, deps, { getRun: offers('get_run'), listRuns: offers('list_runs') });
  registerPrompts(server);
  return server;
}
