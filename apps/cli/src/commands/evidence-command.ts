/**
 * @module evidence-command
 * `umca evidence list` and `umca evidence prune`: what an `evidence/` folder says ran (each drill
 * and gate: how many results, the last one and how it ended) and its retention rule applied
 * (docs/operations.md#evidence).
 */
import { resolve } from 'node:path';
import {
  applyRetention,
  EvidenceError,
  type EvidenceItem,
  loadRetentionRule,
  planRetention,
  RETENTION_FILE,
  readEvidence,
} from '@umca/orchestrator';
import type { Command } from 'commander';

const EXIT = `\nExit status: 0 done; 2 the rule in ${RETENTION_FILE} is not valid (nothing was removed: the message says why).`;

const dirOf = (flag: string | undefined) => resolve(flag ?? process.env.UMCA_EVIDENCE_DIR ?? 'evidence');
const stamp = (at: Date) => at.toISOString().replace(/\.\d{3}Z$/, 'Z');
const verdict = (ok: boolean | null) => (ok === null ? '-' : ok ? 'ok' : 'FAILED');

function loadRule(dir: string) {
  try {
    return loadRetentionRule(dir);
  } catch (error) {
    process.stderr.write(`umca: ${(error as Error).message}\n`);
    process.exitCode = error instanceof EvidenceError ? 2 : 3;
    return undefined;
  }
}

/** Each kind's count and last result, newest kind first. */
function summary(items: readonly EvidenceItem[]) {
  const kinds = new Map<string, { kind: string; results: number; failed: number; last: EvidenceItem }>();
  for (const item of items) {
    const entry = kinds.get(item.kind) ?? { kind: item.kind, results: 0, failed: 0, last: item };
    entry.results++;
    if (item.ok === false) entry.failed++;
    if (item.at > entry.last.at) entry.last = item;
    kinds.set(item.kind, entry);
  }
  return [...kinds.values()].sort((a, b) => b.last.at.getTime() - a.last.at.getTime());
}

export function registerEvidenceCommands(program: Command): void {
  const evidence = program
    .command('evidence')
    .description('What the evidence folder says ran (drills, gates, evaluations, trace exports), and its retention rule');
  evidence
    .command('list')
    .description('Each drill and gate that left evidence: how many results, the last one and how it ended')
    .option('--dir <dir>', 'the evidence folder (default evidence; env UMCA_EVIDENCE_DIR)')
    .option('--json', 'print JSON instead of a table')
    .addHelpText('after', EXIT)
    .action((flags: { dir?: string; json?: boolean }) => {
      const dir = dirOf(flags.dir);
      const loaded = loadRule(dir);
      if (!loaded) return;
      const catalog = readEvidence(dir);
      const kinds = summary(catalog.items);
      if (flags.json) {
        const out = {
          dir,
          rule: loaded.rule,
          kinds: kinds.map(({ kind, results, failed, last }) => ({
            kind,
            results,
            failed,
            lastAt: stamp(last.at),
            lastOk: last.ok,
            lastFile: last.files[0],
          })),
          unrecognized: catalog.unrecognized,
        };
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        return;
      }
      const { rule, fromFile } = loaded;
      const lines = [
        `${dir}: ${catalog.items.length} results; kept ${rule.keepDays} days, and the newest ${rule.keepLast} of each kind always (${fromFile ? RETENTION_FILE : 'the default rule: no retention.json'})`,
      ];
      if (kinds.length) {
        const width = Math.max(4, ...kinds.map((entry) => entry.kind.length));
        lines.push(`${'kind'.padEnd(width)}  results  failed  last                  last result  file`);
        for (const { kind, results, failed, last } of kinds) {
          lines.push(
            `${kind.padEnd(width)}  ${String(results).padStart(7)}  ${String(failed).padStart(6)}  ${stamp(last.at)}  ${verdict(last.ok).padEnd(11)}  ${last.files[0]}`,
          );
        }
      }
      if (catalog.unrecognized.length) {
        lines.push(`not evidence UMCA knows (kept, never pruned): ${catalog.unrecognized.join(', ')}`);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
  evidence
    .command('prune')
    .description(
      `Remove the results the retention rule (${RETENTION_FILE}) lets go: older than keepDays and not among the newest keepLast of their kind`,
    )
    .option('--dir <dir>', 'the evidence folder (default evidence; env UMCA_EVIDENCE_DIR)')
    .option('--dry-run', 'say what would go, remove nothing')
    .addHelpText('after', EXIT)
    .action((flags: { dir?: string; dryRun?: boolean }) => {
      const dir = dirOf(flags.dir);
      const loaded = loadRule(dir);
      if (!loaded) return;
      const plan = planRetention(readEvidence(dir), loaded.rule, new Date());
      if (!flags.dryRun) applyRetention(dir, plan);
      const verb = flags.dryRun ? 'would remove' : 'removed';
      const lines = plan.remove.map((item) => `${verb} ${item.kind} of ${stamp(item.at)}: ${item.files.join(', ')}`);
      lines.push(`${dir}: ${verb} ${plan.remove.length} results, kept ${plan.keep.length}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
