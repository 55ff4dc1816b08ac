/**
 * @module submit-as
 * Starting a run on someone's behalf, the same from HTTP and MCP: the policy first (the tool,
 * the language, the hosts, the limits; a task's models once they are known), then the quota,
 * then the run, recorded with its principal. Nothing is created for a refused request, and the
 * quota's place is given back when the run ends however it ends.
 */
import type { AcceptedExecutionV1, TaskResult } from '@umca/contracts';
import {
  type AcceptedTask,
  type AccessGrant,
  allowsUpstreamTool,
  authorizeExecution,
  authorizeModels,
  authorizeTask,
  type RunQuota,
} from '@umca/policy';
import type { RunService, SessionService, SubmittedRun, TaskContext, ToolAccess } from '@umca/runs';
import { recordedPrincipal } from './request-access.js';

async function withinQuota<Result>(
  quota: RunQuota,
  grant: AccessGrant,
  start: () => Promise<SubmittedRun<Result>>,
): Promise<SubmittedRun<Result>> {
  if (grant.unrestricted) return start();
  const place = quota.admit(grant);
  try {
    const submitted = await start();
    submitted.done.then(place.release, place.release);
    return submitted;
  } catch (error) {
    place.release();
    throw error;
  }
}

/** The upstream MCP tools the run's program and agent may call: those the grant's `upstreamTools` allow. */
const toolAccessOf = (grant: AccessGrant): ToolAccess => ({ allows: (name) => allowsUpstreamTool(grant, name) });

export function submitExecutionAs(
  deps: { runs: RunService; quota: RunQuota },
  grant: AccessGrant,
  execution: AcceptedExecutionV1,
): Promise<SubmittedRun> {
  const allowed = authorizeExecution(grant, execution);
  const principal = recordedPrincipal(grant);
  return withinQuota(deps.quota, grant, () =>
    deps.runs.submit(allowed, { toolAccess: toolAccessOf(grant), ...(principal ? { principal } : {}) }),
  );
}

/** A run in the caller's session: checked as any execution, within the quota, in the session's sandbox. */
export function submitSessionRunAs(
  deps: { sessions: SessionService; quota: RunQuota },
  grant: AccessGrant,
  sessionId: string,
  execution: AcceptedExecutionV1,
): Promise<SubmittedRun> {
  const allowed = authorizeExecution(grant, execution);
  const principal = recordedPrincipal(grant);
  return withinQuota(deps.quota, grant, () =>
    deps.sessions.submit(sessionId, allowed, { toolAccess: toolAccessOf(grant), ...(principal ? { principal } : {}) }),
  );
}

export function submitTaskAs(
  deps: { runs: RunService; quota: RunQuota },
  grant: AccessGrant,
  task: AcceptedTask,
  context: TaskContext = {},
): Promise<SubmittedRun<TaskResult>> {
  const allowed = authorizeTask(grant, task);
  const principal = recordedPrincipal(grant);
  return withinQuota(deps.quota, grant, () =>
    deps.runs.submitTask(allowed, {
      ...context,
      ...(principal ? { principal } : {}),
      toolAccess: toolAccessOf(grant),
      authorizeModels: (models) => authorizeModels(grant, models),
    }),
  );
}
