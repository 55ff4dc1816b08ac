/**
 * @module evaluate
 * `umca eval run` and `umca gate check` in this process, on the same data directory (or shared
 * store) as `umca serve`: the suite and gate are read and the models checked before anything is
 * opened (a refusal leaves nothing behind); the tasks run through the run service, so each is a
 * run with its events and its trace, seen on the server's pages; the gate's verdict is a
 * `gate.evaluated` event; the evidence is written under `evidence/`; Phoenix gets the experiment
 * when it is configured.
 */

import type { EvalSuite, EvalTaskResult, Gate } from '@umca/contracts';
import { type EvalReport, GATE_VERDICTS_SUBJECT, type Logger, type TaskResult } from '@umca/contracts';
import {
  checkGate,
  type Definition,
  type EvidenceFiles,
  logPhoenixExperiment,
  readGate,
  readSuite,
  runSuite,
  writeEvidence,
} from '@umca/evals';
import { createModelGateway } from '@umca/models';
import { acceptExecutionRequest, acceptTaskRequest } from '@umca/policy';
import { checkModelSettings } from '../config/check-model-settings.js';
import { openService, type ServiceSettings } from '../server/open-service.js';

export interface EvaluateSettings extends ServiceSettings {
  /** The suite file, or a folder holding suite.json. */
  readonly suite: string;
  readonly model: string;
  /** The judge; null: no judge (judge_quality is then not measured). Default: the model itself. */
  readonly judgeModel?: string | null;
  /** A gate file: its thresholds decide pass or fail, and the verdict is published. */
  readonly gate?: string;
  /** Where the evidence goes (default `evidence`). */
  readonly evidenceDir: string;
  /** Phoenix's base URL: the evaluation is logged there as an experiment. */
  readonly phoenixUrl?: string;
  readonly phoenixApiKey?: string;
}

export interface Evaluation {
  readonly report: EvalReport;
  readonly files: EvidenceFiles;
  /** Why the Phoenix experiment is missing, when logging it failed. */
  readonly phoenixProblem?: string;
}

export interface EvaluateOptions {
  readonly logger: Logger;
  /** Where model providers' addresses and keys are read (default process.env). */
  readonly modelEnv?: NodeJS.ProcessEnv;
  readonly onTask?: (result: EvalTaskResult, index: number, total: number) => void;
  readonly signal?: AbortSignal;
}

/** Reads and checks everything an evaluation needs; throws (EvaluationError, ConfigError) before anything is opened. */
export function prepareEvaluation(
  settings: EvaluateSettings,
  env?: NodeJS.ProcessEnv,
): { suite: Definition<EvalSuite>; gate?: Definition<Gate> } {
  const suite = readSuite(settings.suite);
  const gate = settings.gate ? readGate(settings.gate) : undefined;
  checkModelSettings({ model: settings.model, ...(settings.judgeModel ? { fallbackModels: [settings.judgeModel] } : {}) }, env, {
    model: '--model',
    fallbackModels: '--judge-model',
  });
  return { suite, ...(gate ? { gate } : {}) };
}

export async function evaluate(settings: EvaluateSettings, options: EvaluateOptions): Promise<Evaluation> {
  const { suite, gate } = prepareEvaluation(settings, options.modelEnv);
  // A `umca serve` may be running on the same data directory: its runs in progress are its own.
  const service = await openService(settings, {
    logger: options.logger,
    recoverInterrupted: false,
    ...(options.modelEnv ? { modelEnv: options.modelEnv } : {}),
  });
  try {
    const judgeModel = settings.judgeModel === null ? undefined : (settings.judgeModel ?? settings.model);
    let report = await runSuite({
      suite,
      model: settings.model,
      target: {
        async runTask(request) {
          const { runId, done } = await service.runs.submitTask(acceptTaskRequest(request));
          const result: TaskResult = await done;
          const { traceId } = await service.runs.get(runId);
          return { result, ...(traceId ? { traceId } : {}) };
        },
        async runCode(request) {
          const { done } = await service.runs.submit(acceptExecutionRequest(request));
          return done;
        },
      },
      ...(judgeModel
        ? { judge: { gateway: createModelGateway(options.modelEnv ? { env: options.modelEnv } : {}), model: judgeModel } }
        : {}),
      ...(options.onTask ? { onTask: options.onTask } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (gate) {
      const verdict = checkGate(gate.value, report.metrics);
      report = { ...report, gate: verdict };
      await service.bus.publish('dev.umca.gate.evaluated.v1', GATE_VERDICTS_SUBJECT, {
        evaluationId: report.id,
        gate: verdict.gate,
        suite: { name: report.suite.name, revision: report.suite.revision },
        model: report.model,
        verdict: verdict.verdict,
        thresholds: verdict.thresholds,
        runs: report.tasks.filter((task) => task.runId).length,
      });
    }
    let phoenixProblem: string | undefined;
    if (settings.phoenixUrl) {
      try {
        const phoenix = await logPhoenixExperiment(
          { url: settings.phoenixUrl, ...(settings.phoenixApiKey ? { apiKey: settings.phoenixApiKey } : {}) },
          suite.value,
          report,
        );
        report = { ...report, phoenix };
      } catch (error) {
        phoenixProblem = (error as Error).message;
        options.logger.warn({ err: error }, phoenixProblem);
      }
    }
    // Spans of the last task land in the store (and Phoenix) before the process goes.
    await service.tracing.flush();
    const files = writeEvidence(settings.evidenceDir, report);
    return { report, files, ...(phoenixProblem ? { phoenixProblem } : {}) };
  } finally {
    await service.close();
  }
}
