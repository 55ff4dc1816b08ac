/**
 * @module log-phoenix-experiment
 * An evaluation as an experiment in Arize Phoenix, through its official client: the suite is a
 * dataset (one example per task, by the task's id, updated in place when the suite changes), the
 * evaluation an experiment on it, each task a run (its output, its start and end, its trace id,
 * so Phoenix links the run to its spans) with our evaluators' scores as its evaluations. We log
 * what we measured rather than let the client's `runExperiment` re-run and re-time the tasks (it
 * would also install a tracer provider of its own).
 */
import { createClient } from '@arizeai/phoenix-client';
import { createDataset, getDatasetExamples } from '@arizeai/phoenix-client/datasets';
import { createExperiment } from '@arizeai/phoenix-client/experiments';
import type { EvalReport, EvalSuite } from '@umca/contracts';
import { EvaluationError } from './evaluation-error.js';
import { JUDGE_VERSION } from './judge-quality.js';

export interface PhoenixTarget {
  /** Phoenix's base URL, e.g. http://127.0.0.1:6006. */
  readonly url: string;
  /** Sent as `Authorization: Bearer` when Phoenix requires a key (PHOENIX_API_KEY). */
  readonly apiKey?: string;
}

export interface LoggedExperiment {
  readonly url: string;
  readonly datasetId: string;
  readonly experimentId: string;
}

/** The dataset a suite is kept as: one per suite name. */
export const datasetName = (suite: Pick<EvalSuite, 'name'>) => `umca-eval-${suite.name}`;

export async function logPhoenixExperiment(target: PhoenixTarget, suite: EvalSuite, report: EvalReport): Promise<LoggedExperiment> {
  const baseUrl = target.url.replace(/\/+$/, '');
  // Only what we pass: the client would otherwise read PHOENIX_HOST and friends from the environment.
  const client = createClient({
    options: { baseUrl, ...(target.apiKey ? { headers: { Authorization: `Bearer ${target.apiKey}` } } : {}) },
    getEnvironmentOptions: () => ({}),
  });
  try {
    const { datasetId } = await createDataset({
      client,
      name: datasetName(suite),
      description: suite.description ?? `UMCA evaluation suite ${suite.name}`,
      examples: suite.tasks.map((task) => ({
        id: task.id,
        input: { task: task.task, language: task.language ?? suite.language },
        output: { checks: task.checks, ...(task.reference ? { reference: task.reference } : {}) },
        metadata: { suite: suite.name, revision: suite.revision },
      })),
    });
    const { examples } = await getDatasetExamples({ client, dataset: { datasetId } });
    const nodeIds = new Map(examples.map((example) => [example.id, example.nodeId]));
    const experiment = await createExperiment({
      client,
      datasetId,
      experimentName: `${suite.name} r${suite.revision} · ${report.model}`,
      experimentDescription: `umca eval run ${report.suite.path} --model ${report.model}`,
      experimentMetadata: {
        evaluationId: report.id,
        model: report.model,
        ...(report.judgeModel ? { judgeModel: report.judgeModel, judge: JUDGE_VERSION } : {}),
        suiteRevision: suite.revision,
        suiteSha256: report.suite.sha256,
        metrics: report.metrics,
      },
    });
    for (const task of report.tasks) {
      const exampleId = nodeIds.get(task.id);
      if (!exampleId) continue;
      const started = new Date(task.startedAt);
      const ended = new Date(started.getTime() + task.latencyMs);
      const { data } = await client.POST('/v1/experiments/{experiment_id}/runs', {
        params: { path: { experiment_id: experiment.id } },
        body: {
          dataset_example_id: exampleId,
          output: { code: task.code, status: task.status, verdict: task.verdict ?? null, checks: task.checks },
          repetition_number: 1,
          start_time: started.toISOString(),
          end_time: ended.toISOString(),
          ...(task.traceId ? { trace_id: task.traceId } : {}),
          error: task.error ?? null,
        },
      });
      const runId = data?.data.id;
      if (!runId) continue;
      const evaluations: Array<{ name: string; kind: 'CODE' | 'LLM'; score: number | null; label?: string; explanation?: string }> = [
        {
          name: 'task_success',
          kind: 'CODE',
          score: task.scores.task_success,
          label: task.scores.task_success ? 'pass' : 'fail',
          explanation: `${task.checks.filter((check) => check.passed).length}/${task.checks.length} checks passed`,
        },
        { name: 'code_executed', kind: 'CODE', score: task.scores.code_executed, label: task.scores.code_executed ? 'ran' : 'failed' },
        ...(task.judge
          ? [
              {
                name: 'judge_quality',
                kind: 'LLM' as const,
                score: task.scores.judge_quality,
                ...(task.judge.label ? { label: task.judge.label } : {}),
                explanation: task.judge.explanation,
              },
            ]
          : []),
      ];
      for (const evaluation of evaluations) {
        await client.POST('/v1/experiment_evaluations', {
          body: {
            experiment_run_id: runId,
            name: evaluation.name,
            annotator_kind: evaluation.kind,
            start_time: ended.toISOString(),
            end_time: ended.toISOString(),
            result: {
              ...(evaluation.score === null ? {} : { score: evaluation.score }),
              ...(evaluation.label ? { label: evaluation.label } : {}),
              ...(evaluation.explanation ? { explanation: evaluation.explanation } : {}),
            },
          },
        });
      }
    }
    return { url: baseUrl, datasetId, experimentId: experiment.id };
  } catch (error) {
    throw new EvaluationError(
      'phoenix_failed',
      `logging the evaluation to Phoenix at ${baseUrl} failed: ${(error as Error).message}; the report under evidence/ has everything`,
      { cause: error },
    );
  }
}
