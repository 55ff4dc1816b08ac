/**
 * `umca_runs_queued`, the queue depth the workers' HorizontalPodAutoscaler scales on
 * (infra/helm/umca, docs/helm.md): each scrape asks the store how many runs wait, and a store
 * that does not answer leaves the last count in place rather than failing /metrics.
 */
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../src/index.js';

async function queued(metrics: ReturnType<typeof createMetrics>): Promise<string | undefined> {
  const text = await metrics.registry.metrics();
  return text.split('\n').find((line) => line.startsWith('umca_runs_queued '));
}

describe('umca_runs_queued', () => {
  it('reports the runs waiting in the store at each scrape, and the last count while the store does not answer', async () => {
    let answer: () => Promise<number> = async () => 7;
    const metrics = createMetrics({ activeRuns: () => 0, queuedRuns: () => answer() });
    expect(await metrics.registry.metrics()).toContain('# TYPE umca_runs_queued gauge');
    expect(await queued(metrics)).toBe('umca_runs_queued 7');
    answer = async () => 2;
    expect(await queued(metrics)).toBe('umca_runs_queued 2');
    answer = () => Promise.reject(new Error('the PostgreSQL store did not answer'));
    expect(await queued(metrics)).toBe('umca_runs_queued 2');
  });

  it('is absent where nothing counts queued runs', async () => {
    expect(await queued(createMetrics({ activeRuns: () => 0 }))).toBeUndefined();
  });
});
