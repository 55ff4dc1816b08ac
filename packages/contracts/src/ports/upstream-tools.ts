/**
 * @module upstream-tools
 * `UpstreamToolsV1`: the tools of the MCP servers UMCA is a client of, kept current (a server's
 * `tools/list_changed` is followed, a lost one reconnected with back-off) and called by name
 * with a time limit. Agents and sandboxed programs reach upstream tools only through this, under
 * the caller's policy; credentials stay inside it.
 */
import type { UpstreamServerState, UpstreamTool } from '../mcp-servers.js';

export interface UpstreamCallResult {
  /** The tool's text content, joined. */
  readonly text: string;
  /** Its structured content, when the tool gives one. */
  readonly structured?: Readonly<Record<string, unknown>>;
  /** The tool said it failed (`isError`): the text says why. */
  readonly isError: boolean;
  readonly durationMs: number;
}

export interface UpstreamToolsV1 {
  readonly specificationVersion: 'v1';
  /** Each server and how it is now. */
  servers(): UpstreamServerState[];
  /** Every tool of every server that is up, by UMCA's name. */
  tools(): UpstreamTool[];
  /**
   * Calls a tool by UMCA's name. Rejects (with a code: `unknown_tool`, `server_down`, `timeout`,
   * `call_failed`, `cancelled`) when it could not be called or did not answer; a tool that ran and
   * failed resolves with `isError`.
   */
  call(name: string, args: Readonly<Record<string, unknown>>, options?: { readonly signal?: AbortSignal }): Promise<UpstreamCallResult>;
  close(): Promise<void>;
}
