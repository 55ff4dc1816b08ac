/**
 * @module create-mcp-server
 * UMCA as an MCP server (official TypeScript SDK): the tools `run_code`, `get_run` and
 * `list_runs`, and each run as the resource `umca://runs/{runId}`. The same server serves
 * Streamable HTTP at /mcp and stdio (`umca mcp`). While code runs, its output reaches the client
 * as logging messages and progress notifications, read from the same event log that feeds SSE.
 */
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { languageSchema, MAX_LIMITS, runResultSchema, runStatusSchema, type StoredEvent } from '@umca/contracts';
import type { EventBus } from '@umca/events';
import type { RunRecord } from '@umca/store';
import { z } from 'zod';
import { API_VERSION } from '../app/app-version.js';
import type { RunService } from '../runs/run-service.js';
import { RunServiceError } from '../runs/run-service-error.js';

/** Optional arguments as some clients send them: absent, null, "" or []. All mean "not given". */
const optional = <Schema extends z.ZodType>(schema: Schema) =>
  z.preprocess(
    (value) => (value === null || value === '' || (Array.isArray(value) && value.length === 0) ? undefined : value),
    schema.optional(),
  );

const runCodeInput = {
  language: languageSchema
    .exclude(['wasi'])
    .describe('python (Pyodide, CPython 3.14 standard library) or javascript (QuickJS, no Node APIs)'),
  code: z.string().min(1).max(1_048_576).describe('The program. Python may use top-level await; JavaScript runs as an ES module.'),
  allowedOutboundHosts: optional(
    z
      .array(z.string())
      .max(100)
      .describe('Hosts the code may reach over HTTP(S), Spin syntax, e.g. ["https://api.example.com"]. Absent: no network.'),
  ),
  timeoutMs: optional(z.coerce.number().int().min(1).max(MAX_LIMITS.timeoutMs).describe('Wall-clock limit in ms (default 10000).')),
  memoryMb: optional(z.coerce.number().int().min(16).max(MAX_LIMITS.memoryMb).describe('Memory limit in MiB (default 256).')),
};

const runRecordOutput = {
  id: z.string(),
  status: runStatusSchema,
  language: languageSchema,
  createdAt: z.string(),
  durationMs: z.number().optional(),
  stdout: z.string().optional(),
  stderr: z.string().optional(),
  reason: z.string().optional(),
};

function describeRun(run: RunRecord) {
  return {
    id: run.id,
    status: run.status,
    language: run.language,
    createdAt: run.createdAt,
    ...(run.durationMs === undefined ? {} : { durationMs: run.durationMs }),
    ...(run.result ? { stdout: run.result.stdout, stderr: run.result.stderr } : {}),
    ...(run.result?.reason ? { reason: run.result.reason } : {}),
  };
}

function asText(value: unknown) {
  return [{ type: 'text' as const, text: JSON.stringify(value, null, 2) }];
}

export interface McpServerOptions {
  runs: RunService;
  bus: EventBus;
}

export function createMcpServer({ runs, bus }: McpServerOptions): McpServer {
  const server = new McpServer(
    { name: 'umca', title: 'UMCA', version: API_VERSION },
    {
      capabilities: { logging: {} },
      instructions:
        'Run Python or JavaScript in an isolated WebAssembly sandbox with run_code. The code has no network unless allowedOutboundHosts names hosts. Results include stdout, stderr, exit status and a runId; get_run and the resource umca://runs/{runId} show a run later.',
    },
  );
  const ignored = (level: 'info' | 'warning', sessionId?: string) =>
    (server.server as unknown as { isMessageIgnored?: (level: string, sessionId?: string) => boolean }).isMessageIgnored?.(
      level,
      sessionId,
    ) ?? false;

  server.registerTool(
    'run_code',
    {
      title: 'Run code in the sandbox',
      description:
        'Runs a Python or JavaScript program in a fresh, isolated WebAssembly sandbox and returns its result: status (ok, error, timeout, memory_limit, output_limit, ...), exitCode, stdout, stderr, error with traceback, and the runId. Output is streamed as logging messages while it runs. The program can reach the network only for hosts in allowedOutboundHosts.',
      inputSchema: runCodeInput,
      outputSchema: runResultSchema,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    async (args, extra) => {
      let submitted: Awaited<ReturnType<RunService['submit']>>;
      try {
        submitted = await runs.submit({
          language: args.language,
          code: args.code,
          ...(args.allowedOutboundHosts ? { allowedOutboundHosts: args.allowedOutboundHosts } : {}),
          ...(args.timeoutMs || args.memoryMb
            ? {
                limits: { ...(args.timeoutMs ? { timeoutMs: args.timeoutMs } : {}), ...(args.memoryMb ? { memoryMb: args.memoryMb } : {}) },
              }
            : {}),
        });
      } catch (error) {
        if (error instanceof RunServiceError) return { isError: true, content: [{ type: 'text', text: error.message }] };
        throw error;
      }
      const { runId } = submitted;
      const onCancel = () => void runs.cancel(runId).catch(() => {});
      extra.signal.addEventListener('abort', onCancel, { once: true });
      const progressToken = extra._meta?.progressToken;
      const streaming = new AbortController();
      let chunks = 0;
      const relay = (async () => {
        for await (const stored of bus.subscribe({ after: 0, subject: runId, signal: streaming.signal }) as AsyncIterable<StoredEvent>) {
          const { event } = stored;
          if (event.type === 'dev.umca.output.appended.v1') {
            const level = event.data.stream === 'stderr' ? 'warning' : 'info';
            if (!ignored(level, extra.sessionId)) {
              await extra.sendNotification({
                method: 'notifications/message',
                params: { level, logger: `umca.${event.data.stream}`, data: event.data.text },
              });
            }
            if (progressToken !== undefined) {
              await extra.sendNotification({
                method: 'notifications/progress',
                params: { progressToken, progress: ++chunks, message: event.data.text.trimEnd().split('\n').at(-1)?.slice(0, 200) ?? '' },
              });
            }
          }
          if (event.type === 'dev.umca.run.ended.v1') break;
        }
      })().catch(() => {});
      try {
        const result = await submitted.done;
        await Promise.race([relay, new Promise((resolve) => setTimeout(resolve, 1_000))]);
        return { structuredContent: result, content: asText(result) };
      } finally {
        streaming.abort();
        extra.signal.removeEventListener('abort', onCancel);
      }
    },
  );

  server.registerTool(
    'get_run',
    {
      title: 'Get a run',
      description: 'Returns one run by its runId: status, language, timing, stdout, stderr and the reason it ended.',
      inputSchema: { runId: z.string().min(1).max(200).describe('The runId that run_code returned.') },
      outputSchema: runRecordOutput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ runId }) => {
      const run = await runs.get(runId);
      if (!run) return { isError: true, content: [{ type: 'text', text: `there is no run ${runId}` }] };
      const described = describeRun(run);
      return { structuredContent: described, content: asText(described) };
    },
  );

  server.registerTool(
    'list_runs',
    {
      title: 'List runs',
      description: 'Lists recent runs, newest first.',
      inputSchema: {
        limit: optional(z.coerce.number().int().min(1).max(200).describe('How many (default 20).')),
        status: optional(runStatusSchema.describe('Only runs with this status.')),
      },
      outputSchema: { runs: z.array(z.object(runRecordOutput)) },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ limit, status }) => {
      const listed = await runs.list({ limit: limit ?? 20, ...(status ? { status } : {}) });
      const described = { runs: listed.map(describeRun) };
      return { structuredContent: described, content: asText(described) };
    },
  );

  server.registerResource(
    'run',
    new ResourceTemplate('umca://runs/{runId}', {
      list: async () => ({
        resources: (await runs.list({ limit: 50 })).map((run) => ({
          uri: `umca://runs/${run.id}`,
          name: run.id,
          title: `${run.language} run (${run.status})`,
          mimeType: 'application/json',
        })),
      }),
    }),
    { title: 'A run', description: "A run's request, result, output and events.", mimeType: 'application/json' },
    async (uri, variables) => {
      const runId = String(variables.runId);
      const run = await runs.get(runId);
      if (!run) throw new RunServiceError('not_found', `there is no run ${runId}`);
      const events = await bus.read({ after: 0, limit: 10_000, subject: runId });
      return {
        contents: [
          { uri: uri.href, mimeType: 'application/json', text: JSON.stringify(run, null, 2) },
          { uri: `${uri.href}/output`, mimeType: 'text/plain', text: `${run.result?.stdout ?? ''}${run.result?.stderr ?? ''}` },
          {
            uri: `${uri.href}/events`,
            mimeType: 'application/json',
            text: JSON.stringify(events.map((stored) => ({ offset: stored.offset, ...stored.event }))),
          },
        ],
      };
    },
  );
  return server;
}
