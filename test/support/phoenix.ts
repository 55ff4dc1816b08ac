/**
 * @module phoenix
 * A real Arize Phoenix for the trace and evaluation export tests: `startPhoenix()` runs
 * `phoenix serve` on free loopback ports (HTTP, which also takes OTLP/HTTP at /v1/traces, and gRPC)
 * with a throwaway working folder (its SQLite database), and reads back through Phoenix's REST API
 * what UMCA sent: a project's spans, datasets, experiments, their runs and evaluations. Phoenix comes
 * from scripts/setup-test-tools.sh (a virtualenv in node_modules/.umca-phoenix).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { findFreePort, logTail, startWatchedProcess } from './watched-process.js';

const PHOENIX = resolve(import.meta.dirname, '../../node_modules/.umca-phoenix/bin/phoenix');
/** Measured: ready 15-20 s after the start (migrations of a new SQLite database, then the app), on 2 cores. */
const READY_TIMEOUT_MS = 120_000;
const POLL_INTERVAL_MS = 250;

type Attributes = Readonly<Record<string, unknown>>;
/** Phoenix's listings: a page, and the cursor of the next one. */
type Page<T> = { data: T[]; next_cursor: string | null };

export interface StartPhoenixOptions {
  /** HTTP port (UI, REST, OTLP/HTTP); default: a free one. */
  readonly port?: number;
  /** OTLP/gRPC port; default: a free one. */
  readonly grpcPort?: number;
}

/**
 * `GET /v1/projects/{name}/spans`: OTel ids in hex; attributes flat (`llm.model_name`, lists of objects as `.0.`)
 * but for `openinference.span.kind`, which is `span_kind`.
 */
export interface PhoenixSpan {
  readonly id: string;
  readonly name: string;
  readonly context: { readonly trace_id: string; readonly span_id: string };
  readonly span_kind: string;
  readonly parent_id: string | null;
  readonly start_time: string;
  readonly end_time: string;
  readonly status_code: string;
  readonly status_message: string;
  readonly attributes: Attributes;
  readonly events: ReadonlyArray<{ readonly name: string; readonly timestamp: string; readonly attributes: Attributes }>;
}

/** `id`: the GlobalID the web UI's /projects/{id} pages take too. */
export interface PhoenixProject {
  readonly id: string;
  readonly name: string;
}

export interface PhoenixDataset {
  readonly id: string;
  readonly name: string;
  readonly metadata: Attributes;
  readonly example_count: number;
}

export interface PhoenixExperiment {
  readonly id: string;
  readonly dataset_id: string;
  readonly name: string;
  readonly metadata: Attributes;
  readonly project_name: string | null;
  readonly example_count: number;
  readonly successful_run_count: number;
  readonly failed_run_count: number;
}

/** `GET /v1/experiments/{id}/runs`: no evaluations (see `experimentRecords`). */
export interface PhoenixExperimentRun {
  readonly id: string;
  readonly dataset_example_id: string;
  readonly repetition_number: number;
  readonly output: unknown;
  readonly start_time: string;
  readonly end_time: string;
  readonly trace_id: string | null;
  readonly error: string | null;
}

export interface PhoenixEvaluation {
  readonly name: string;
  readonly annotator_kind: 'LLM' | 'CODE' | 'HUMAN';
  readonly label: string | null;
  readonly score: number | null;
  readonly explanation: string | null;
  readonly metadata: Attributes;
  readonly error: string | null;
}

/** A run as `GET /v1/experiments/{id}/json` gives it: with its example, latency and evaluations. */
export interface PhoenixExperimentRecord {
  readonly example_id: string;
  readonly repetition_number: number;
  readonly input: unknown;
  readonly reference_output: unknown;
  readonly output: unknown;
  readonly error: string | null;
  readonly latency_ms: number;
  readonly trace_id: string | null;
  readonly annotations: readonly PhoenixEvaluation[];
}

export interface RunningPhoenix {
  /** `http://127.0.0.1:PORT`: the web UI, `/v1` REST and `/graphql`. */
  readonly url: string;
  /** `http://127.0.0.1:PORT/v1/traces`: OTLP/HTTP, protobuf only (JSON gets 415), gzip or deflate. */
  readonly otlpTracesUrl: string;
  /** `http://127.0.0.1:GRPC_PORT`: OTLP/gRPC. */
  readonly otlpGrpcUrl: string;
  /** The web UI's page of a trace, by its OTel id (a redirect to /projects/{projectId}/traces/{traceId}). */
  traceUrl(traceId: string): string;
  /** A project by name, or undefined: Phoenix makes a project with its first span. */
  project(name: string): Promise<PhoenixProject | undefined>;
  /** Every span of a project, oldest first; none when the project does not exist (yet). */
  spans(project: string): Promise<PhoenixSpan[]>;
  /** Polls (100 ms apart, `polls` times at most) until the project has at least `count` spans: Phoenix stores spans shortly after it accepts them. */
  waitForSpans(project: string, count?: number, polls?: number): Promise<PhoenixSpan[]>;
  datasets(): Promise<PhoenixDataset[]>;
  experiments(datasetId: string): Promise<PhoenixExperiment[]>;
  experimentRuns(experimentId: string): Promise<PhoenixExperimentRun[]>;
  experimentRecords(experimentId: string): Promise<PhoenixExperimentRecord[]>;
  /** The end of Phoenix's output, for error messages. */
  logTail(lines?: number): string;
  /** Stops Phoenix and removes its working folder. */
  stop(): Promise<void>;
}

/** Starts Phoenix and waits until `/readyz` answers (its database is up); `stop()` it after. */
export async function startPhoenix(options: StartPhoenixOptions = {}): Promise<RunningPhoenix> {
  if (!existsSync(PHOENIX)) throw new Error(`Phoenix is not installed (${PHOENIX}): run \`sh scripts/setup-test-tools.sh\``);
  const port = options.port ?? (await findFreePort());
  const grpcPort = options.grpcPort ?? (await findFreePort());
  const url = `http://127.0.0.1:${port}`;
  const folder = mkdtempSync(join(tmpdir(), 'umca-phoenix-'));
  const logFile = join(folder, 'phoenix.log');
  const server = startWatchedProcess({
    command: PHOENIX,
    args: ['serve'],
    cwd: folder,
    // Only what Phoenix needs: a PHOENIX_* or OTEL_* variable of the caller's would change it.
    env: {
      PATH: process.env.PATH,
      HOME: folder,
      PYTHONUNBUFFERED: '1',
      PYTHONIOENCODING: 'utf-8',
      PHOENIX_HOST: '127.0.0.1',
      PHOENIX_PORT: String(port),
      PHOENIX_GRPC_PORT: String(grpcPort),
      PHOENIX_WORKING_DIR: folder,
      PHOENIX_TELEMETRY_ENABLED: 'false',
      PHOENIX_ALLOW_EXTERNAL_RESOURCES: 'false',
      PHOENIX_DISABLE_AGENT_ASSISTANT: 'true',
      PHOENIX_LOG_MIGRATIONS: 'false',
    },
    logFile,
    stopSignal: 'TERM',
    stopGraceMs: 15_000,
  });
  const stop = async () => {
    await server.stop();
    rmSync(folder, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const code = server.exitCode();
      if (code !== undefined) throw new Error(`Phoenix exited (${code}) before it was ready`);
      const ready = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
      if (ready?.ok) break;
      if (Date.now() > deadline) throw new Error(`Phoenix did not answer ${url}/readyz within ${READY_TIMEOUT_MS} ms`);
      await delay(POLL_INTERVAL_MS);
    }
  } catch (error) {
    const tail = logTail(logFile);
    await stop();
    throw new Error(`${(error as Error).message}; the end of Phoenix's output:\n${tail}`);
  }

  /** GETs a REST path; undefined for a 404 when `missingOk`. */
  async function get<T>(path: string, missingOk = false): Promise<T | undefined> {
    const response = await fetch(`${url}${path}`);
    if (missingOk && response.status === 404) return undefined;
    if (!response.ok) throw new Error(`Phoenix answered GET ${path} with ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  }
  /** Every page of a `{ data, next_cursor }` listing. */
  async function all<T>(path: string, missingOk = false): Promise<T[]> {
    const items: T[] = [];
    const separator = path.includes('?') ? '&' : '?';
    for (let cursor: string | null = null; ; ) {
      const after: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const page: Page<T> | undefined = await get<Page<T>>(`${path}${separator}limit=100${after}`, missingOk);
      if (page === undefined) return items;
      items.push(...page.data);
      if (page.next_cursor === null) return items;
      cursor = page.next_cursor;
    }
  }
  const spans = (project: string) => all<PhoenixSpan>(`/v1/projects/${encodeURIComponent(project)}/spans?sort=start_time&order=asc`, true);

  return {
    url,
    otlpTracesUrl: `${url}/v1/traces`,
    otlpGrpcUrl: `http://127.0.0.1:${grpcPort}`,
    traceUrl: (traceId) => `${url}/redirects/traces/${encodeURIComponent(traceId)}`,
    project: async (name) => (await get<{ data: PhoenixProject }>(`/v1/projects/${encodeURIComponent(name)}`, true))?.data,
    spans,
    async waitForSpans(project, count = 1, polls = 600) {
      // Bounded by polls, not by the clock: a busy machine takes longer, not a different path.
      for (let poll = 0; ; poll++) {
        const found = await spans(project);
        if (found.length >= count) return found;
        if (poll >= polls) throw new Error(`Phoenix: ${found.length} of ${count} spans in ${project} after ${polls} polls`);
        await delay(100);
      }
    },
    datasets: () => all<PhoenixDataset>('/v1/datasets'),
    experiments: (datasetId) => all<PhoenixExperiment>(`/v1/datasets/${encodeURIComponent(datasetId)}/experiments`),
    experimentRuns: (experimentId) => all<PhoenixExperimentRun>(`/v1/experiments/${encodeURIComponent(experimentId)}/runs`),
    experimentRecords: async (experimentId) =>
      (await get<PhoenixExperimentRecord[]>(`/v1/experiments/${encodeURIComponent(experimentId)}/json`)) ?? [],
    logTail: (lines) => logTail(logFile, lines),
    stop,
  };
}
