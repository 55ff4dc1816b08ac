/**
 * @module create-metrics
 * Prometheus metrics for the service, on a registry of its own (so tests and embedders can run
 * several services in one process).
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface ServiceMetrics {
  readonly registry: Registry;
  /** A run ended; `lane` and `runtime` when it ran in one (a code run), for the share per lane. */
  runEnded(labels: { status: string; language: string; lane?: string; runtime?: string }, seconds: number): void;
  sseClients(delta: 1 | -1): void;
  httpRequest(labels: { method: string; route: string; status: number }): void;
  /** An event that could not be published (the run's warnings say which). */
  eventPublishFailed(type: string): void;
}

/** Spans exported and dropped so far, by destination (`store`, `otlp`). */
export type SpanCountsByDestination = Readonly<
  Record<string, { readonly exported: number; readonly dropped: Readonly<Record<string, number>> }>
>;

export function createMetrics(options: {
  activeRuns: () => number;
  /** Runs waiting for a worker, from the store: what the workers' autoscaler reads (infra/helm/umca). */
  queuedRuns?: () => Promise<number>;
  spanCounts?: () => SpanCountsByDestination;
}): ServiceMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'umca_' });
  const runs = new Counter({
    name: 'umca_runs_total',
    help: 'Runs that ended, by status and language.',
    labelNames: ['status', 'language'] as const,
    registers: [registry],
  });
  const lanes = new Counter({
    name: 'umca_lane_runs_total',
    help: 'Code runs that ended, by the lane and runtime the router chose: the share of runs per lane.',
    labelNames: ['lane', 'runtime'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'umca_run_duration_seconds',
    help: 'Run duration from submission to result.',
    labelNames: ['language'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  new Gauge({
    name: 'umca_runs_active',
    help: 'Runs executing or waiting for a sandbox.',
    registers: [registry],
    collect() {
      this.set(options.activeRuns());
    },
  });
  const queuedRuns = options.queuedRuns;
  if (queuedRuns) {
    let lastQueued = 0;
    new Gauge({
      name: 'umca_runs_queued',
      help: 'Runs waiting for a worker (status queued in the store; the same on every server sharing it).',
      registers: [registry],
      // A store that does not answer keeps the last count, so /metrics still answers.
      async collect() {
        lastQueued = await queuedRuns().catch(() => lastQueued);
        this.set(lastQueued);
      },
    });
  }
  const sse = new Gauge({ name: 'umca_sse_clients', help: 'Open Server-Sent Events streams.', registers: [registry] });
  const requests = new Counter({
    name: 'umca_http_requests_total',
    help: 'HTTP requests, by method, route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const publishFailures = new Counter({
    name: 'umca_event_publish_failures_total',
    help: 'Events that could not be published, by type; each run concerned lists them in its warnings.',
    labelNames: ['type'] as const,
    registers: [registry],
  });
  const spanCounts: () => SpanCountsByDestination = options.spanCounts ?? (() => ({}));
  new Counter({
    name: 'umca_trace_spans_exported_total',
    help: 'Spans sent to where traces go, by destination: store (the run page) or otlp (a collector such as Phoenix).',
    labelNames: ['destination'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [destination, counts] of Object.entries(spanCounts())) this.inc({ destination }, counts.exported);
    },
  });
  new Counter({
    name: 'umca_trace_spans_dropped_total',
    help: 'Spans lost without harm to any run, by destination and reason: export_failed (it refused or did not answer) or queue_full.',
    labelNames: ['destination', 'reason'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [destination, counts] of Object.entries(spanCounts())) {
        for (const [reason, count] of Object.entries(counts.dropped)) this.inc({ destination, reason }, count);
      }
    },
  });
  return {
    registry,
    eventPublishFailed: (type) => publishFailures.inc({ type }),
    runEnded({ lane, runtime, ...labels }, seconds) {
      runs.inc(labels);
      if (lane && runtime) lanes.inc({ lane, runtime });
      duration.observe({ language: labels.language }, seconds);
    },
    sseClients: (delta) => sse.inc(delta),
    httpRequest: (labels) => requests.inc({ ...labels, status: String(labels.status) }),
  };
}
