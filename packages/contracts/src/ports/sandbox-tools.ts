/**
 * @module sandbox-tools
 * `SandboxToolsV1`: the upstream MCP tools one run's program may call from inside its sandbox
 * (`from umca_tools import ragflow`, `import { ragflow } from "umca:tools"`). The runner hands the
 * list to the sandbox, which generates its module from it, and relays each call the program makes
 * to `call`; whoever builds it for a run (the run service) enforces the caller's allow-list, the
 * run's call budget, and records each call. The sandbox sees names, descriptions and schemas only:
 * never a credential, never the network.
 */
import type { UpstreamTool } from '../mcp-servers.js';

/** A tool as the program's module shows it (UMCA's name, its server, its own name, how to call it). */
export type SandboxToolV1 = Pick<UpstreamTool, 'name' | 'server' | 'tool' | 'description' | 'inputSchema'>;

/**
 * Why a call was not made or not answered. `denied`: the caller's roles do not allow the tool;
 * `budget_exhausted`: the run made all the calls it may; `invalid_arguments`: the arguments were
 * not a JSON object; `unknown_tool`: allowed, but no server that is up offers a tool by that name;
 * `server_down`, `timeout`, `call_failed`, `cancelled`: the call was allowed but got no answer.
 */
export const SANDBOX_TOOL_ERROR_CODES = [
  'denied',
  'budget_exhausted',
  'invalid_arguments',
  'unknown_tool',
  'server_down',
  'timeout',
  'call_failed',
  'cancelled',
] as const;

export type SandboxToolErrorCodeV1 = (typeof SANDBOX_TOOL_ERROR_CODES)[number];

export type SandboxToolReplyV1 =
  /** The tool answered; `isError`: it ran and said it failed (`text` says why). */
  | {
      readonly ok: true;
      readonly text: string;
      readonly structured?: Readonly<Record<string, unknown>>;
      readonly isError: boolean;
    }
  | { readonly ok: false; readonly code: SandboxToolErrorCodeV1; readonly message: string };

export interface SandboxToolsV1 {
  /** The tools the program's module offers, by UMCA's name. */
  readonly tools: readonly SandboxToolV1[];
  /** Calls one for the program. Never rejects: every ending is a reply. `signal` aborts when the run ends. */
  call(name: string, args: Readonly<Record<string, unknown>>, signal: AbortSignal): Promise<SandboxToolReplyV1>;
}
