/**
 * @module eval-command
 * `umca eval run SUITE --model M` and `umca gate check --suite S --gate G --model M`: an
 * evaluation suite through the agent flow in this process, on the data directory (or shared
 * store) a `umca serve` reads, so its runs, traces and verdicts show on the server's pages. The
 * report goes under evidence/ (JSON and Markdown) and, with --phoenix, to Phoenix as an
 * experiment. `gate check` exits 1 when a threshold fails, naming each with its figure: CI uses it.
 */
import type { EvalReport, EvalTaskResult } from '@umca/contracts';
import { EvaluationError } from '@umca/evals';
import { ConfigError, type EvaluateSettings, evaluate, prepareEvaluation, resolveServerConfigWithSources } from '@umca/orchestrator';
import { RunnerError, stderrLogger } from '@umca/runner';
import type { Command } from 'commander';

interface EvalFlags {
  model?: string;
  judgeModel?: string;
  judge: boolean;
  evidence: string;
  phoenix?: string;
  dataDir?: string;
  store?: string;
  bus?: string;
  allowReducedIsolation?: boolean;
  otlpEndpoint?: string;
  traceContent?: boolean;
  traceProject?: string;
  tracing?: string;
  json?: boolean;
}

/** Refused before anything ran: exit 2, nothing recorded. */
class Refused extends Error {}

function settingsFrom(suite: string, flags: EvalFlags, gate?: string): EvaluateSettings {
  const model = flags.model ?? process.env.UMCA_MODEL;
  if (!model)
    throw new Refused(
      'name the model the suite runs on: --model provider:model (e.g. local:/path/model.gguf, qwen:qwen-max), or set UMCA_MODEL',
    );
  try {
    const { config } = resolveServerConfigWithSources({
      flags: {
        dataDir: flags.dataDir,
        store: flags.store,
        bus: flags.bus,
        allowReducedIsolation: flags.allowReducedIsolation,
        tracing: flags.tracing,
        traceContent: flags.traceContent,
        otlpEndpoint: flags.otlpEndpoint,
        traceProject: flags.traceProject,
      },
    });
    const phoenixUrl = flags.phoenix ?? process.env.UMCA_PHOENIX_URL;
    if (phoenixUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(phoenixUrl)) {
      throw new Refused(`--phoenix ${JSON.stringify(phoenixUrl)}: must be Phoenix's http(s) base URL, e.g. http://127.0.0.1:6006`);
    }
    return {
      dataDir: config.dataDir,
      store: config.store,
      bus: config.bus,
      ...(config.allowReducedIsolation ? { allowReducedIsolation: true } : {}),
      tracing: config.tracing,
      traceContent: config.traceContent,
      traceProject: config.traceProject,
      ...(config.otlpEndpoint ? { otlpEndpoint: config.otlpEndpoint } : {}),
      suite,
      model,
      judgeModel: flags.judge ? (flags.judgeModel ?? model) : null,
      ...(gate ? { gate } : {}),
      evidenceDir: flags.evidence,
      ...(phoenixUrl ? { phoenixUrl } : {}),
      ...(process.env.PHOENIX_API_KEY ? { phoenixApiKey: process.env.PHOENIX_API_KEY } : {}),
    };
  } catch (error) {
    if (error instanceof ConfigError) throw new Refused(error.message);
    throw error;
  }
}

function describeTask(result: EvalTaskResult, index: number, total: number): string {
  const passed = result.checks.filter((check) => check.passed).length;
  const judge = result.judge ? `, judge ${result.judge.label ?? 'no label'}` : '';
  const outcome = result.error
    ? `not scored: ${result.error}`
    : `${result.scores.task_success ? 'success' : 'failure'} (${passed}/${result.checks.length} checks)${judge}, ${(result.latencyMs / 1000).toFixed(1)} s`;
  return `umca: task ${index + 1}/${total} ${result.id}: ${outcome}\n`;
}

function summary(report: EvalReport, files: { json: string; markdown: string }): string {
  const lines = [
    `evaluation ${report.id}: suite ${report.suite.name} r${report.suite.revision} on ${report.model}, ${report.tasks.length} task(s)`,
  ];
  for (const [metric, value] of Object.entries(report.metrics))
    lines.push(`  ${metric.padEnd(20)} ${value === null ? '– (not measured)' : value}`);
  if (report.gate) {
    lines.push(`gate ${report.gate.gate.name} r${report.gate.gate.revision}: ${report.gate.verdict.toUpperCase()}`);
    for (const threshold of report.gate.thresholds)
      lines.push(`  ${threshold.skipped ? 'skip' : threshold.passed ? 'pass' : 'FAIL'}  ${threshold.message}`);
  }
  if (report.phoenix)
    lines.push(
      `phoenix: experiment ${report.phoenix.experimentId} at ${report.phoenix.url}/datasets/${report.phoenix.datasetId}/experiments`,
    );
  lines.push(`evidence: ${files.markdown}`, `          ${files.json}`);
  return `${lines.join('\n')}\n`;
}

async function runEvaluation(suite: string, flags: EvalFlags, gate?: string): Promise<EvalReport | undefined> {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  try {
    const settings = settingsFrom(suite, flags, gate);
    prepareEvaluation(settings); // every refusal before the data directory is opened
    const evaluation = await evaluate(settings, {
      logger: stderrLogger,
      signal: controller.signal,
      onTask: (result, index, total) => process.stderr.write(describeTask(result, index, total)),
    });
    if (evaluation.phoenixProblem) process.stderr.write(`umca: ${evaluation.phoenixProblem}\n`);
    process.stdout.write(flags.json ? `${JSON.stringify(evaluation.report)}\n` : summary(evaluation.report, evaluation.files));
    return evaluation.report;
  } catch (error) {
    if (error instanceof Refused || error instanceof EvaluationError || error instanceof ConfigError) {
      process.stderr.write(`umca: ${error.message}\n`);
      process.exitCode = 2;
      return undefined;
    }
    if (error instanceof RunnerError) {
      process.stderr.write(`umca: the sandbox could not start: ${error.message}\n`);
      process.exitCode = 3;
      return undefined;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
  }
}

function sharedOptions(command: Command): Command {
  return command
    .option('-m, --model <provider:model>', 'the model the tasks run on (default UMCA_MODEL), e.g. local:/path/model.gguf or qwen:qwen-max')
    .option('--judge-model <provider:model>', 'the model that grades the answers (default: --model itself)')
    .option('--no-judge', 'no LLM judge: judge_quality is not measured')
    .option('--evidence <dir>', 'where the report goes, as JSON and Markdown', 'evidence')
    .option('--phoenix <url>', 'also log the evaluation to Arize Phoenix as an experiment (default UMCA_PHOENIX_URL; key: PHOENIX_API_KEY)')
    .option('--data-dir <dir>', 'where runs, events and traces are kept: the one `umca serve` reads shows them (default .umca)')
    .option('--store <url>', 'embedded (default) or the servers’ postgres://... store')
    .option('--bus <url>', 'embedded (default) or the servers’ rocketmq://... bus')
    .option('--allow-reduced-isolation', 'run even without bubblewrap')
    .option('--tracing <on|off>', 'spans of every task (default on)')
    .option('--trace-content', 'record prompts, completions, code and output on spans')
    .option('--otlp-endpoint <url>', "also send spans to this OTLP/HTTP collector, e.g. Phoenix's http://127.0.0.1:6006")
    .option('--trace-project <name>', 'the Phoenix project spans are filed under (default umca)')
    .option('--json', 'print exactly one JSON object: the report');
}

export function registerEvalCommands(program: Command): void {
  const evalCommand = program.command('eval').description('Evaluation suites (G1/G2): run tasks through the agent flow and score them');
  sharedOptions(
    evalCommand
      .command('run')
      .description('Run every task of a suite on a model and score it; the report goes under --evidence')
      .argument('<suite>', 'a suite file (umca.eval.suite.v1), or a folder holding suite.json, e.g. evals/smoke'),
  )
    .addHelpText(
      'after',
      '\nExit status: 0 the suite ran (whatever it scored); 2 refused before anything ran (a bad flag, suite or model); 3 the sandbox could not start.',
    )
    .action(async (suite: string, flags: EvalFlags) => {
      await runEvaluation(suite, flags);
    });

  const gateCommand = program.command('gate').description('Gates (G1/G2): thresholds on an evaluation that block a release');
  sharedOptions(
    gateCommand
      .command('check')
      .description("Run a suite and hold its metrics to a gate's thresholds; exits 1 when one fails")
      .requiredOption('--suite <suite>', 'the suite file, or a folder holding suite.json')
      .requiredOption('--gate <file>', 'the gate file (umca.gate.v1): thresholds per metric'),
  )
    .addHelpText(
      'after',
      '\nExit status: 0 every threshold passed; 1 one failed (each is printed with its figure); 2 refused before anything ran; 3 the sandbox could not start.',
    )
    .action(async (flags: EvalFlags & { suite: string; gate: string }) => {
      const report = await runEvaluation(flags.suite, flags, flags.gate);
      if (report?.gate?.verdict === 'fail') process.exitCode = 1;
    });
}
