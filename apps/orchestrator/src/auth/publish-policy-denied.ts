/**
 * @module publish-policy-denied
 * Every refusal by the policy is a `policy.denied` event: who asked, for what, and the rule that
 * said no, from HTTP and MCP alike. It is published beside the refusal, never instead of it, and
 * a failure to publish is logged, not the caller's problem.
 */
import type { EventBusV1, Logger, Principal } from '@umca/contracts';
import { PolicyError } from '@umca/policy';

export function publishPolicyDenied(
  bus: EventBusV1,
  logger: Logger,
  refusal: { requestId: string; principal: Principal | undefined; error: PolicyError },
): void {
  const { requestId, principal, error } = refusal;
  const details = (error.details ?? {}) as { rule?: string; tool?: string };
  void bus
    .publish(
      'dev.umca.policy.denied.v1',
      requestId,
      {
        requestId,
        sub: principal?.sub ?? 'anonymous',
        roles: [...(principal?.roles ?? [])],
        tool: details.tool ?? 'unknown',
        rule: details.rule ?? error.code,
        message: error.message,
      },
      principal ? { principal: principal.sub } : {},
    )
    .catch((publishError: unknown) => logger.error({ err: publishError }, 'publishing policy.denied failed'));
}

/** Whether an error is the policy's refusal (403 or 429), which is an event. */
export function isPolicyRefusal(error: unknown): error is PolicyError {
  return error instanceof PolicyError && (error.code === 'policy_denied' || error.code === 'quota_exceeded');
}
