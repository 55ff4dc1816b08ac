/**
 * @module evidence-retention
 * The retention rule of an `evidence/` folder (`retention.json`, `umca.evidence.retention.v1`)
 * and what it lets go: a result older than `keepDays` that is not among the newest `keepLast` of
 * its kind. The newest results of every drill and gate stay however old they are, so an auditor
 * can always see that each one ran and how it ended; unrecognized files are never removed.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { EVIDENCE_RETENTION_VERSION, type EvidenceRetention, evidenceRetentionSchema, UmcaError } from '@umca/contracts';
import type { EvidenceCatalog, EvidenceItem } from './evidence-catalog.js';

export class EvidenceError extends UmcaError<'invalid_rule'> {
  override readonly name = 'UMCA_EvidenceError';
}

export const RETENTION_FILE = 'retention.json';

/** The rule in `<dir>/retention.json`, or the defaults when there is none (`fromFile` says which). */
export function loadRetentionRule(dir: string): { rule: EvidenceRetention; fromFile: string | undefined } {
  const path = join(dir, RETENTION_FILE);
  if (!existsSync(path)) return { rule: evidenceRetentionSchema.parse({ version: EVIDENCE_RETENTION_VERSION }), fromFile: undefined };
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new EvidenceError('invalid_rule', `${path} is not JSON: ${(error as Error).message}`);
  }
  const parsed = evidenceRetentionSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(the file)'}: ${issue.message}`).join('; ');
    throw new EvidenceError(
      'invalid_rule',
      `${path} is not a retention rule (${problems}); write {"version": "${EVIDENCE_RETENTION_VERSION}", "keepDays": 400, "keepLast": 10}`,
    );
  }
  return { rule: parsed.data, fromFile: path };
}

export interface RetentionPlan {
  readonly keep: readonly EvidenceItem[];
  readonly remove: readonly EvidenceItem[];
}

const DAY_MS = 86_400_000;

/** Which items the rule keeps and which it lets go, at `now`. */
export function planRetention(catalog: EvidenceCatalog, rule: EvidenceRetention, now: Date): RetentionPlan {
  const seen = new Map<string, number>();
  const keep: EvidenceItem[] = [];
  const remove: EvidenceItem[] = [];
  const newestFirst = [...catalog.items].sort((a, b) => b.at.getTime() - a.at.getTime());
  for (const item of newestFirst) {
    const rank = (seen.get(item.kind) ?? 0) + 1;
    seen.set(item.kind, rank);
    const young = now.getTime() - item.at.getTime() < rule.keepDays * DAY_MS;
    (young || rank <= rule.keepLast ? keep : remove).push(item);
  }
  return { keep, remove };
}

/** Removes the files of the items the plan lets go. */
export function applyRetention(dir: string, plan: RetentionPlan): void {
  for (const item of plan.remove) for (const file of item.files) rmSync(join(dir, file), { force: true });
}
