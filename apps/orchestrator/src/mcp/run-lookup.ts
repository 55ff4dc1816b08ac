/**
 * @module run-lookup
 * Reading runs over MCP: the tools `get_run` and `list_runs`, and each run as the resource
 * `umca://runs/{runId}` (its record, its output and its events), each only as the caller's grant
 * allows: its own runs, or everyone's for a role with allRuns.
 */
import { type McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { languageSchema, type RunRecord, runStatusSchema } from '@umca/contracts';
import { requireTool } from '@umca/policy';
import { z } from 'zod';
import { ownerFilter, visibleRun } from '../auth/request-access.js';
import { resourceReadError } from './resource-read-error.js';
import { asText, grantOf, optional, refusalAsToolError, type ToolDeps } from './tool-support.js';

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

/** The tools to offer: a role without get_run or list_runs does not see them (resources follow list_runs and get_run too). */
export interface RunLookupTools {
  getRun: boolean;
  listRuns: boolean;
}

export function registerRunLookup(server: McpServer, deps: ToolDeps, offered: RunLookupTools = { getRun: true, listRuns: true }): void {
  const { runs, bus } = deps;
  if (offered.getRun) registerGetRun(server, deps);
  if (offered.listRuns) registerListRuns(server, deps);
  if (!offered.getRun) return;
  server.registerResource(
    'run',
    new ResourceTemplate('umca://runs/{runId}', {
      // Listing runs is list_runs; without it the template is there to read, with nothing listed.
      list: async (extra) => {
        const grant = grantOf(extra);
        if (!offered.listRuns || !(grant.unrestricted || grant.tools.has('list_runs'))) return { resources: [] };
        return {
          resources: (await runs.list({ limit: 50, ...ownerFilter(grant) })).map((run) => ({
            uri: `umca://runs/${run.id}`,
            name: run.id,
            title: `${run.kind === 'task' ? 'task' : run.language} run (${run.status})`,
            mimeType: 'application/json',
          })),
        };
      },
    }),
    { title: 'A run', description: "A run's request, result, output and events.", mimeType: 'application/json' },
    async (uri, variables, extra) => {
      const runId = String(variables.runId);
      let run: RunRecord;
      try {
        run = await runFor(runs, extra, runId);
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

/** The run, if the request's grant has get_run and may see it; otherwise the refusal or "not found". */
async function runFor(runs: ToolDeps['runs'], extra: Parameters<typeof grantOf>[0], runId: string): Promise<RunRecord> {
  const grant = grantOf(extra);
  requireTool(grant, 'get_run');
  return visibleRun(grant, await runs.get(runId));
}

function registerGetRun(server: McpServer, deps: ToolDeps): void {
  const { runs } = deps;
  server.registerTool(
    'get_run',
    {
      title: 'Get a run',
      description: 'Returns one run by its runId: status, language, timing, stdout, stderr and the reason it ended.',
      inputSchema: { runId: z.string().min(1).max(200).describe('The runId that run_code returned.') },
      outputSchema: runRecordOutput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ runId }, extra) => {
      let run: RunRecord;
      try {
        run = await runFor(runs, extra, runId);
      } catch (error) {
        return refusalAsToolError(deps, extra, error);
      }
      const described = describeRun(run);
      return { structuredContent: described, content: asText(described) };
    },
  );
}

function registerListRuns(server: McpServer, deps: ToolDeps): void {
  const { runs } = deps;
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
    async ({ limit, status }, extra) => {
      const grant = grantOf(extra);
      try {
        requireTool(grant, 'list_runs');
      } catch (error) {
        return refusalAsToolError(deps, extra, error);
      }
      const listed = await runs.list({ limit: limit ?? 20, ...(status ? { status } : {}), ...ownerFilter(grant) });
      const described = { runs: listed.map(describeRun) };
      return { structuredContent: described, content: asText(described) };
    },
  );
}
