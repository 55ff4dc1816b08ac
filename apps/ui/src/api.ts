/**
 * @module api
 * The page's calls to UMCA's HTTP API v1. Errors come back as problem+json; their `detail` is
 * what the page shows.
 */
import type { ExecutionRequest, Run, RunSummary, TaskRequest } from '@umca/contracts';

export class ApiError extends Error {}

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(path, init);
  if (!response.ok) {
    let detail = `${response.status} ${response.statusText}`;
    try {
      const problem = (await response.json()) as { detail?: string };
      if (problem.detail) detail = problem.detail;
    } catch {
      // not JSON
    }
    throw new ApiError(detail);
  }
  return (await response.json()) as T;
}

export function submitExecution(request: ExecutionRequest): Promise<{ runId: string }> {
  return call('/v1/executions', {
    method: 'POST',
    headers: { 'content-type': 'application/json', prefer: 'respond-async' },
    body: JSON.stringify(request),
  });
}

export function submitTask(request: TaskRequest): Promise<{ runId: string }> {
  return call('/v1/tasks', {
    method: 'POST',
    headers: { 'content-type': 'application/json', prefer: 'respond-async' },
    body: JSON.stringify(request),
  });
}

export const listRuns = (limit = 50) => call<{ runs: RunSummary[] }>(`/v1/runs?limit=${limit}`);
export const getRun = (id: string) => call<Run>(`/v1/runs/${encodeURIComponent(id)}`);
export const cancelRun = (id: string) => call<{ status: string }>(`/v1/runs/${encodeURIComponent(id)}/cancel`, { method: 'POST' });
export const readiness = () => call<{ isolation: string; activeRuns: number }>('/readyz');
