/**
 * @module egress-attempt
 * One outbound request a run tried to make, and what the egress policy said about it.
 */
import { z } from 'zod';

export const egressVerdictSchema = z.enum(['allowed', 'denied']);

export const egressAttemptSchema = z.object({
  method: z.string(),
  url: z.string(),
  verdict: egressVerdictSchema,
  reason: z.string().describe('Why the verdict was reached, e.g. the rule that matched.'),
  rule: z.string().optional().describe('The allowedOutboundHosts entry that allowed the request.'),
  address: z.string().optional().describe('The IP address connected to, once DNS was checked.'),
  status: z.int().optional().describe('HTTP status of the response, when one arrived.'),
  durationMs: z.number().min(0),
});

export type EgressVerdict = z.infer<typeof egressVerdictSchema>;
export type EgressAttempt = z.infer<typeof egressAttemptSchema>;
