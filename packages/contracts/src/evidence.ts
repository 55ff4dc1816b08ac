/**
 * @module evidence
 * What an auditor reads under `evidence/`: `umca.drill.result.v1` (one run of a runbook's drill:
 * which, when, whether every promise held, and its figures) and `umca.evidence.retention.v1` (how
 * long results are kept). Gate and evaluation reports are `umca.eval.report.v1` (evaluation.ts).
 */
import { z } from 'zod';

export const drillResultSchema = z
  .object({
    drill: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,59}$/, 'lowercase letters, digits or "-", starting with a letter')
      .describe('Which runbook drill ran, e.g. `backup-restore`.'),
    at: z.iso.datetime().describe('When it ended (UTC).'),
    ok: z.boolean().describe('Whether every promise the runbook makes held.'),
  })
  .catchall(z.unknown())
  .describe("A drill's result: its figures (recovery times, counts) are further fields of its own.");

export type DrillResult = z.infer<typeof drillResultSchema>;

export const EVIDENCE_RETENTION_VERSION = 'umca.evidence.retention.v1';

export const evidenceRetentionSchema = z
  .object({
    version: z.literal(EVIDENCE_RETENTION_VERSION),
    keepDays: z
      .int()
      .min(1)
      .max(36_500)
      .default(400)
      .describe('Results younger than this many days are kept (default 400: a yearly audit and its margin).'),
    keepLast: z
      .int()
      .min(1)
      .max(10_000)
      .default(10)
      .describe('The newest this many results of each drill and gate are kept however old, so the last run of each is always there.'),
  })
  .strict()
  .describe('How long evidence is kept: a result goes when it is older than `keepDays` and not among the newest `keepLast` of its kind.');

export type EvidenceRetention = z.infer<typeof evidenceRetentionSchema>;
