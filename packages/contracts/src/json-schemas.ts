/**
 * @module json-schemas
 * The contracts as JSON Schema, named with their version. A change that is not an addition gets a
 * new version name rather than changing one of these.
 */
import { z } from 'zod';
import { accessPolicySchema } from './access-policy.js';
import { egressAttemptSchema } from './egress-attempt.js';
import { evalReportSchema, evalSuiteSchema, gateSchema } from './evaluation.js';
import { drillResultSchema, evidenceRetentionSchema } from './evidence.js';
import { executionRequestSchema } from './execution-request.js';
import { executionResultSchema } from './execution-result.js';
import { mcpServersConfigSchema } from './mcp-servers.js';
import { taskRequestSchema, taskResultSchema } from './task.js';
import { runTraceSchema, traceSpanSchema } from './trace-span.js';
import { type UmcaEventType, umcaEventDataSchemas, umcaEventSchema } from './umca-event.js';

const contracts = {
  'umca.policy.v1': { schema: accessPolicySchema, io: 'input' },
  'umca.execution.request.v1': { schema: executionRequestSchema, io: 'input' },
  'umca.execution.result.v1': { schema: executionResultSchema, io: 'output' },
  'umca.egress.attempt.v1': { schema: egressAttemptSchema, io: 'output' },
  'umca.event.v1': { schema: umcaEventSchema, io: 'output' },
  'umca.task.request.v1': { schema: taskRequestSchema, io: 'input' },
  'umca.task.result.v1': { schema: taskResultSchema, io: 'output' },
  'umca.trace.span.v1': { schema: traceSpanSchema, io: 'output' },
  'umca.eval.suite.v1': { schema: evalSuiteSchema, io: 'input' },
  'umca.gate.v1': { schema: gateSchema, io: 'input' },
  'umca.mcp-servers.v1': { schema: mcpServersConfigSchema, io: 'input' },
  'umca.eval.report.v1': { schema: evalReportSchema, io: 'output' },
  'umca.run.trace.v1': { schema: runTraceSchema, io: 'output' },
  'umca.drill.result.v1': { schema: drillResultSchema, io: 'output' },
  'umca.evidence.retention.v1': { schema: evidenceRetentionSchema, io: 'input' },
  ...(Object.fromEntries(
    Object.entries(umcaEventDataSchemas).map(([type, schema]) => [type, { schema, io: 'output' }]),
  ) as unknown as Record<UmcaEventType, { schema: z.ZodType; io: 'output' }>),
} as const;

export type ContractName = keyof typeof contracts;

/** JSON Schema (draft 2020-12) for every versioned contract and event data type, by name. */
export function toJsonSchemas(): Record<ContractName, Record<string, unknown>> {
  const entries = Object.entries(contracts).map(([name, { schema, io }]) => [
    name,
    { $id: `https://umca.dev/schemas/${name}.json`, ...z.toJSONSchema(schema, { io }) },
  ]);
  return Object.fromEntries(entries) as Record<ContractName, Record<string, unknown>>;
}
