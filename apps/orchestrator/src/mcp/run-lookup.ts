/**
 * @module run-lookup
 * Reading runs over MCP: the tools `get_run` and `list_runs`, and each run as the resource
 * `umca://runs/{runId}` (its record, its output and its events).
 */
import { type McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { languageSchema, type RunRecord, runStatusSchema, UmcaError } from '@umca/contracts';
import { z } from 'zod';
import { resourceReadError } from './resource-read-error.js';
import { asText, optional, type ToolDeps, toolError } from './tool-support.js';

const runRecordOutput = {
  id: z.string(),
  kind: z.enum(['execution', 'task']),
  verdict: z.enum(['pass', 'fail']).optional(),
  code: z.string().optional(),
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
    kind: run.kind,
    status: run.status,
    language: run.language,
    createdAt: run.createdAt,
    ...(run.durationMs === undefined ? {} : { durationMs: run.durationMs }),
    ...(run.result ? { stdout: run.result.stdout } : {}),
    ...(run.kind === 'execution' && run.result ? { stderr: run.result.stderr } : {}),
    ...(run.kind === 'task' && run.result ? { verdict: run.result.verdict, code: run.result.code } : {}),
    ...(run.result?.reason ? { reason: run.result.reason } : {}),
  };
}

export function registerRunLookup(server: McpServer, { runs, bus }: ToolDeps): void {
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
      let run: RunRecord;
      try {
        run = await runs.get(runId);
      } catch (error) {
        if (error instanceof UmcaError) return toolError(error);
        throw error;
      }
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
          title: `${run.kind === 'task' ? 'task' : run.language} run (${run.status})`,
          mimeType: 'application/json',
        })),
      }),
    }),
    { title: 'A run', description: "A run's request, result, output and events.", mimeType: 'application/json' },
    async (uri, variables) => {
      const runId = String(variables.runId);
      let run: RunRecord;
      try {
        run = await runs.get(runId);
      } catch (error) {
        throw resourceReadError(error, uri);
      }
      const events = await bus.read({ after: 0, limit: 10_000, subject: runId });
      return {
        contents: [
          { uri: uri.href, mimeType: 'application/json', text: JSON.stringify(run, null, 2) },
          {
            uri: `${uri.href}/output`,
            mimeType: 'text/plain',
            text: `${run.result?.stdout ?? ''}${run.kind === 'execution' ? (run.result?.stderr ?? '') : ''}`,
          },
          {
            uri: `${uri.href}/events`,
            mimeType: 'application/json',
            text: JSON.stringify(events.map((stored) => ({ offset: stored.offset, ...stored.event }))),
          },
        ],
      };
    },
  );
}
