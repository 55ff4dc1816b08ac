/**
 * The evidence folder as an auditor reads it, and its retention rule: drill results, gate and
 * evaluation reports (with their Markdown) and trace exports are recognized; the rule lets go of
 * old results but never of the newest of each kind, nor of files it does not know.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVIDENCE_RETENTION_VERSION, type EvalReport, METRICS, type MetricName } from '@umca/contracts';
import { describe, expect, it } from 'vitest';
import { readEvidence } from '../src/ops/evidence-catalog.js';
import { applyRetention, EvidenceError, loadRetentionRule, planRetention } from '../src/ops/evidence-retention.js';

const NOW = new Date('2026-12-04T12:00:00Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000).toISOString();

function folder(): string {
  return mkdtempSync(join(tmpdir(), 'umca-evidence-'));
}

function write(dir: string, rel: string, value: unknown): void {
  mkdirSync(join(dir, rel, '..'), { recursive: true });
  writeFileSync(join(dir, rel), typeof value === 'string' ? value : JSON.stringify(value));
}

function report(at: string, gate?: 'pass' | 'fail'): EvalReport {
  return {
    version: 'umca.eval.report.v1',
    id: `eval_${at}`,
    suite: { name: 'smoke', revision: 1, path: 'evals/smoke', sha256: 'ab'.repeat(32) },
    model: 'local:smollm2.gguf',
    startedAt: at,
    endedAt: at,
    tasks: [],
    metrics: Object.fromEntries(Object.keys(METRICS).map((name) => [name, null])) as Record<MetricName, number | null>,
    ...(gate ? { gate: { gate: { name: 'release', revision: 2 }, verdict: gate, thresholds: [] } } : {}),
  };
}

describe('the evidence catalog', () => {
  it('recognizes drills, gates, evaluations and traces, keeps a report with its Markdown, and lists the rest as unknown', () => {
    const dir = folder();
    write(dir, 'drills/backup-restore-1.json', { drill: 'backup-restore', at: daysAgo(1), ok: true, recoveryMs: 4262 });
    write(dir, 'drills/backup-restore-2.json', { drill: 'backup-restore', at: daysAgo(0), ok: false });
    write(dir, 'smoke/a.json', report(daysAgo(2), 'fail'));
    write(dir, 'smoke/a.md', '# Evaluation');
    write(dir, 'smoke/b.json', report(daysAgo(3)));
    write(dir, 'traces/run_1.json', {
      runId: 'run_1',
      traceId: `${'0'.repeat(31)}1`,
      spans: [],
    });
    write(dir, 'notes.txt', 'by hand');
    write(dir, 'drills/broken.json', '{ not json');
    write(dir, 'drills/half.json.partial', '{');
    write(dir, 'README.md', '# evidence');
    const catalog = readEvidence(dir);
    const byFile = [...catalog.items].sort((a, b) => (a.files[0] ?? '').localeCompare(b.files[0] ?? ''));
    expect(byFile.map((item) => [item.kind, item.ok, item.files])).toEqual([
      ['drill backup-restore', true, ['drills/backup-restore-1.json']],
      ['drill backup-restore', false, ['drills/backup-restore-2.json']],
      ['gate release', false, ['smoke/a.json', 'smoke/a.md']],
      ['eval smoke', null, ['smoke/b.json']],
      ['traces', null, ['traces/run_1.json']],
    ]);
    // Newest first.
    expect(catalog.items.map((item) => item.at.getTime())).toEqual(catalog.items.map((item) => item.at.getTime()).sort((a, b) => b - a));
    expect(catalog.unrecognized).toEqual(['drills/broken.json', 'notes.txt']);
  });

  it('holds nothing when the folder is not there', () => {
    expect(readEvidence(join(folder(), 'absent'))).toEqual({ items: [], unrecognized: [] });
  });
});

describe('the retention rule', () => {
  it('lets go of results older than keepDays unless they are among the newest keepLast of their kind', () => {
    const dir = folder();
    for (const days of [1, 50, 100, 200, 300]) write(dir, `drills/d-${days}.json`, { drill: 'disaster', at: daysAgo(days), ok: true });
    write(dir, 'drills/rotate-old.json', { drill: 'rotate-keys', at: daysAgo(900), ok: false });
    write(dir, 'notes.txt', 'by hand');
    const rule = { version: EVIDENCE_RETENTION_VERSION, keepDays: 90, keepLast: 2 } as const;
    const plan = planRetention(readEvidence(dir), rule, NOW);
    expect(plan.remove.map((item) => item.files[0]).sort()).toEqual(['drills/d-100.json', 'drills/d-200.json', 'drills/d-300.json']);
    // The only rotation drill is 900 days old: it stays, so the auditor sees it ran (and failed).
    expect(plan.keep.map((item) => item.files[0])).toContain('drills/rotate-old.json');
    applyRetention(dir, plan);
    expect(existsSync(join(dir, 'drills/d-100.json'))).toBe(false);
    expect(existsSync(join(dir, 'drills/d-50.json'))).toBe(true);
    expect(existsSync(join(dir, 'notes.txt'))).toBe(true);
  });

  it('removes a report together with its Markdown', () => {
    const dir = folder();
    write(dir, 'smoke/old.json', report(daysAgo(500), 'pass'));
    write(dir, 'smoke/old.md', '# old');
    write(dir, 'smoke/new.json', report(daysAgo(1), 'pass'));
    const plan = planRetention(readEvidence(dir), { version: EVIDENCE_RETENTION_VERSION, keepDays: 30, keepLast: 1 }, NOW);
    applyRetention(dir, plan);
    expect([
      existsSync(join(dir, 'smoke/old.json')),
      existsSync(join(dir, 'smoke/old.md')),
      existsSync(join(dir, 'smoke/new.json')),
    ]).toEqual([false, false, true]);
  });

  it('uses the defaults without a retention.json, and refuses a bad one by its field', () => {
    const dir = folder();
    expect(loadRetentionRule(dir)).toEqual({
      rule: { version: EVIDENCE_RETENTION_VERSION, keepDays: 400, keepLast: 10 },
      fromFile: undefined,
    });
    write(dir, 'retention.json', { version: EVIDENCE_RETENTION_VERSION, keepDays: -3 });
    expect(() => loadRetentionRule(dir)).toThrow(EvidenceError);
    expect(() => loadRetentionRule(dir)).toThrow(/keepDays: .*>=1/);
    write(dir, 'retention.json', '{ "version": ');
    expect(() => loadRetentionRule(dir)).toThrow(/retention.json is not JSON/);
    write(dir, 'retention.json', { version: EVIDENCE_RETENTION_VERSION, keepDays: 30, keepForever: true });
    expect(() => loadRetentionRule(dir)).toThrow(/keepForever/);
  });
});
