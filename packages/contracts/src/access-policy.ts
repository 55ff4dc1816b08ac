/**
 * @module access-policy
 * `umca.policy.v1`: what each role may do. For each role: the tools it may use (one name for an
 * MCP tool and the HTTP operations that do the same), whose runs it sees, the languages, models
 * and lanes it may use, the ceiling of the hosts its code may reach (a request may narrow it,
 * never widen it), and ceilings for each run's limits, its runs at once and its runs a minute.
 * A principal with several roles gets the most each of them allows. What no role grants is
 * refused: deny by default.
 */
import { z } from 'zod';
import { allowedOutboundHostsSchema } from './allowed-outbound-hosts.js';
import { languageSchema } from './execution-request.js';
import { laneSchema } from './execution-result.js';
import { MAX_LIMITS, MIN_LIMITS } from './limits.js';

/**
 * What a role may use. Each is an MCP tool and the HTTP operations that do the same:
 * run_code (POST /v1/executions), run_task (POST /v1/tasks), get_run (GET /v1/runs/{id}, its
 * events, the MCP resource), list_runs (GET /v1/runs, GET /v1/events, the resource list),
 * cancel_run (POST /v1/runs/{id}/cancel), read_metrics (GET /metrics).
 */
export const TOOLS = ['run_code', 'run_task', 'get_run', 'list_runs', 'cancel_run', 'read_metrics'] as const;

export const toolSchema = z.enum(TOOLS);
export type Tool = z.infer<typeof toolSchema>;

/** `*` stands for any number of characters: "ollama:*", "local:/models/*". */
const modelPatternSchema = z.string().min(1).max(1_000).describe('provider:model, where `*` matches any run of characters.');

const ceiling = (limit: keyof typeof MAX_LIMITS, what: string) =>
  z
    .int()
    .min(MIN_LIMITS[limit])
    .max(MAX_LIMITS[limit])
    .optional()
    .describe(`The most ${what} a run may ask for; absent: ${MAX_LIMITS[limit]}.`);

export const rolePolicySchema = z
  .object({
    description: z.string().max(2_000).optional(),
    tools: z.array(z.union([toolSchema, z.literal('*')])).describe('What the role may use; "*" for everything.'),
    allRuns: z
      .boolean()
      .default(false)
      .describe("Whether the role sees (and, with cancel_run, cancels) everyone's runs; otherwise only its own."),
    languages: z
      .array(z.union([languageSchema, z.literal('*')]))
      .default(['*'])
      .describe('The languages its code may be in.'),
    models: z.array(modelPatternSchema).default([]).describe('The models its tasks may use; none unless listed.'),
    upstreamTools: z
      .array(
        z
          .string()
          .min(1)
          .max(200)
          .describe("An upstream tool's name in UMCA (`ragflow_retrieval`), where `*` matches any run of characters."),
      )
      .default([])
      .describe(
        'The tools of upstream MCP servers (docs/mcp-client.md) it sees and its agents and programs may call: `ragflow_*`, `*`; none unless listed.',
      ),
    lanes: z.array(laneSchema).default(['wasm']).describe('The lanes its code may run in.'),
    allowedOutboundHosts: allowedOutboundHostsSchema
      .default([])
      .describe('The most its code may reach, in Spin syntax: each entry of a request must lie within one of these. Absent: no network.'),
    limits: z
      .object({
        timeoutMs: ceiling('timeoutMs', 'wall time, in ms,'),
        memoryMb: ceiling('memoryMb', 'memory, in MiB,'),
        outputBytes: ceiling('outputBytes', 'output per stream, in bytes,'),
      })
      .strict()
      .default({}),
    concurrentRuns: z.int().min(1).max(10_000).optional().describe('Its runs in progress at once, per principal; absent: no cap.'),
    runsPerMinute: z.int().min(1).max(1_000_000).optional().describe('Its runs started in any minute, per principal; absent: no cap.'),
  })
  .strict();

export type RolePolicy = z.infer<typeof rolePolicySchema>;

export const accessPolicySchema = z
  .object({
    version: z.literal('umca.policy.v1'),
    roles: z
      .record(z.string().min(1).max(256), rolePolicySchema)
      .refine((roles) => Object.keys(roles).length > 0, { message: 'must name at least one role' })
      .describe('Each role a token may carry, by name.'),
  })
  .strict();

export type AccessPolicy = z.infer<typeof accessPolicySchema>;
export type AccessPolicyInput = z.input<typeof accessPolicySchema>;
