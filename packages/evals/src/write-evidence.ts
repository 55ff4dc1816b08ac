/**
 * @module write-evidence
 * An evaluation's evidence under `evidence/`: the report as JSON (`umca.eval.report.v1`) and as
 * Markdown a reviewer reads, side by side, named by suite, model and time so that runs never
 * overwrite each other. Each file is written to a temporary name and renamed, so a reader never
 * sees half of one.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type EvalReport, METRICS, type MetricName } from '@umca/contracts';

export interface EvidenceFiles {
  readonly json: string;
  readonly markdown: string;
}

const slug = (text: string) =>
  text
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60) || 'model';

/** `local:/models/smollm2.gguf` → `local-smollm2.gguf`: a model file by its name, not its folders. */
function modelSlug(model: string): string {
  const colon = model.indexOf(':');
  const rest = model.slice(colon + 1);
  return slug(rest.includes('/') ? `${model.slice(0, colon)}-${rest.slice(rest.lastIndexOf('/') + 1)}` : model);
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
const show = (value: number | null) => (value === null ? '–' : String(value));

export function reportMarkdown(report: EvalReport): string {
  const lines = [
    `# Evaluation ${report.id}`,
    '',
    `- Suite: **${report.suite.name}** revision ${report.suite.revision} (\`${report.suite.path}\`, sha256 \`${report.suite.sha256.slice(0, 16)}…\`)`,
    `- Model: \`${report.model}\`${report.judgeModel ? `; judge: \`${report.judgeModel}\`` : '; no judge'}`,
    `- From ${report.startedAt} to ${report.endedAt}`,
    ...(report.phoenix
      ? [`- Phoenix: experiment \`${report.phoenix.experimentId}\` on dataset \`${report.phoenix.datasetId}\` at ${report.phoenix.url}`]
      : []),
    '',
  ];
  if (report.gate) {
    lines.push(
      `## Gate ${report.gate.gate.name} (revision ${report.gate.gate.revision}): ${report.gate.verdict === 'pass' ? 'PASS' : 'FAIL'}`,
      '',
    );
    lines.push('| | threshold | measured |', '|---|---|---|');
    for (const threshold of report.gate.thresholds) {
      const mark = threshold.skipped ? 'skipped' : threshold.passed ? 'pass' : '**FAIL**';
      lines.push(`| ${mark} | ${cell(threshold.message)} | ${show(threshold.value)} |`);
    }
    lines.push('');
  }
  lines.push('## Metrics', '', '| metric | value | what it is |', '|---|---|---|');
  for (const [metric, value] of Object.entries(report.metrics) as Array<[MetricName, number | null]>) {
    lines.push(`| ${metric} | ${show(value)} | ${METRICS[metric]} |`);
  }
  lines.push(
    '',
    '## Tasks',
    '',
    '| task | success | ran cleanly | judge | latency | tokens | G3 | run |',
    '|---|---|---|---|---|---|---|---|',
  );
  for (const task of report.tasks) {
    const passed = task.checks.filter((check) => check.passed).length;
    const g3 = task.g3.egressDenied + task.g3.limitStops + task.g3.sandboxFailures;
    lines.push(
      `| ${task.id} | ${task.scores.task_success ? 'yes' : 'no'} (${passed}/${task.checks.length}) | ${task.scores.code_executed ? 'yes' : 'no'} | ${task.judge?.label ?? '–'} | ${(task.latencyMs / 1000).toFixed(1)} s | ${task.tokens.prompt + task.tokens.completion} | ${g3} | ${task.runId ?? '–'} |`,
    );
  }
  for (const task of report.tasks) {
    const failed = task.checks.filter((check) => !check.passed);
    if (!failed.length && !task.error && !task.judge) continue;
    lines.push('', `### ${task.id}`, '');
    if (task.error) lines.push(`- ${cell(task.error)}`);
    for (const check of failed) lines.push(`- failed ${cell(check.name)}${check.detail ? `: ${cell(check.detail)}` : ''}`);
    if (task.judge) lines.push(`- judge: ${task.judge.label ?? 'no label'}: ${cell(task.judge.explanation)}`);
    if (task.traceId) lines.push(`- trace \`${task.traceId}\``);
  }
  return `${lines.join('\n')}\n`;
}

function writeWhole(path: string, text: string): void {
  const partial = `${path}.partial`;
  writeFileSync(partial, text);
  renameSync(partial, path);
}

/** Writes `<dir>/<suite>/<time>-<model>.{json,md}`; returns their paths. */
export function writeEvidence(dir: string, report: EvalReport): EvidenceFiles {
  const folder = join(dir, slug(report.suite.name));
  mkdirSync(folder, { recursive: true });
  const base = join(folder, `${report.startedAt.replace(/[:.]/g, '-')}-${modelSlug(report.model)}-${report.id.slice(-8)}`);
  const files = { json: `${base}.json`, markdown: `${base}.md` };
  writeWhole(files.json, `${JSON.stringify(report, null, 2)}\n`);
  writeWhole(files.markdown, reportMarkdown(report));
  return files;
}
