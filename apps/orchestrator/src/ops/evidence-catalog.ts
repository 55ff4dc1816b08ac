/**
 * @module evidence-catalog
 * What an `evidence/` folder holds, as an auditor asks it: which drills and gates ran, when, and
 * whether they held. It reads the files gates and runbooks write (docs/operations.md#evidence):
 * drill results (`umca.drill.result.v1`), evaluation and gate reports (`umca.eval.report.v1`, with
 * their Markdown twin) and run trace exports (`umca.run.trace.v1`). Anything else is listed as
 * unrecognized and never touched by retention.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { drillResultSchema, evalReportSchema, runTraceSchema } from '@umca/contracts';

/** One result: a drill's run, an evaluation (with its gate's verdict), or a trace export. */
export interface EvidenceItem {
  /** `drill backup-restore`, `gate release`, `eval smoke` (no gate), or `traces`. */
  readonly kind: string;
  readonly at: Date;
  /** Whether it held: a drill's `ok`, a gate's verdict; null for an evaluation without a gate and a trace. */
  readonly ok: boolean | null;
  /** Its files, relative to the evidence folder (a report's JSON and Markdown go together). */
  readonly files: readonly string[];
}

export interface EvidenceCatalog {
  readonly items: readonly EvidenceItem[];
  /** Files that are none of the above, relative to the folder. */
  readonly unrecognized: readonly string[];
}

/** The folder's own files: what it is, and its retention rule. */
const OWN_FILES = new Set(['README.md', 'retention.json', '.gitignore']);

function filesUnder(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return filesUnder(path);
    return entry.isFile() ? [path] : [];
  });
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

const lastSpanEnd = (spans: ReadonlyArray<{ endTimeUnixNano: string }>) =>
  spans.reduce<bigint>((latest, span) => (BigInt(span.endTimeUnixNano) > latest ? BigInt(span.endTimeUnixNano) : latest), 0n);

/** What one JSON file is, or undefined when it is none of the kinds evidence holds. */
function itemOf(path: string, rel: string): EvidenceItem | undefined {
  const value = readJson(path);
  const drill = drillResultSchema.safeParse(value);
  if (drill.success) return { kind: `drill ${drill.data.drill}`, at: new Date(drill.data.at), ok: drill.data.ok, files: [rel] };
  const report = evalReportSchema.safeParse(value);
  if (report.success) {
    const { gate, suite, endedAt } = report.data;
    const markdown = rel.replace(/\.json$/, '.md');
    const files = existsSync(path.replace(/\.json$/, '.md')) ? [rel, markdown] : [rel];
    return gate
      ? { kind: `gate ${gate.gate.name}`, at: new Date(endedAt), ok: gate.verdict === 'pass', files }
      : { kind: `eval ${suite.name}`, at: new Date(endedAt), ok: null, files };
  }
  const trace = runTraceSchema.safeParse(value);
  if (trace.success) {
    const end = lastSpanEnd(trace.data.spans);
    return { kind: 'traces', at: end > 0n ? new Date(Number(end / 1_000_000n)) : statSync(path).mtime, ok: null, files: [rel] };
  }
  return undefined;
}

/** Reads an evidence folder; a folder that is not there holds nothing. Items come newest first. */
export function readEvidence(dir: string): EvidenceCatalog {
  if (!existsSync(dir)) return { items: [], unrecognized: [] };
  const files = filesUnder(dir).map((path) => ({ path, rel: relative(dir, path) }));
  const items: EvidenceItem[] = [];
  const claimed = new Set<string>();
  for (const { path, rel } of files) {
    if (!rel.endsWith('.json') || OWN_FILES.has(rel)) continue;
    const item = itemOf(path, rel);
    if (!item) continue;
    items.push(item);
    for (const file of item.files) claimed.add(file);
  }
  const unrecognized = files
    .map(({ rel }) => rel)
    .filter((rel) => !claimed.has(rel) && !OWN_FILES.has(rel) && !rel.endsWith('.partial'))
    .sort();
  items.sort((a, b) => b.at.getTime() - a.at.getTime());
  return { items, unrecognized };
}
