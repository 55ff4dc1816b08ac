/**
 * @module run-quota
 * A role's ceilings on how much one principal runs: runs in progress at once, and runs started
 * in any sixty seconds. Counted per `sub` in this process; a run holds its place until it ends.
 */
import { PolicyError } from '../policy-error.js';
import type { AccessGrant } from './access-grant.js';

const MINUTE_MS = 60_000;

export interface RunQuota {
  /** Takes a place for one run of the grant's principal, or throws PolicyError('quota_exceeded'). Call `release` when the run ends. */
  admit(grant: AccessGrant): { release(): void };
}

export function createRunQuota(options: { now?: () => number } = {}): RunQuota {
  const now = options.now ?? Date.now;
  const running = new Map<string, number>();
  const started = new Map<string, number[]>();
  return {
    admit(grant) {
      const { sub } = grant.principal;
      const inProgress = running.get(sub) ?? 0;
      if (grant.concurrentRuns !== undefined && inProgress >= grant.concurrentRuns) {
        throw new PolicyError(
          'quota_exceeded',
          `${sub} already has ${inProgress} runs in progress, the most its role allows (concurrentRuns ${grant.concurrentRuns}); wait for one to end or cancel one`,
          { details: { rule: 'concurrentRuns', retryAfterSeconds: 1 } },
        );
      }
      const recent = (started.get(sub) ?? []).filter((at) => now() - at < MINUTE_MS);
      if (grant.runsPerMinute !== undefined && recent.length >= grant.runsPerMinute) {
        const retryAfterSeconds = Math.max(1, Math.ceil((MINUTE_MS - (now() - (recent[0] as number))) / 1_000));
        throw new PolicyError(
          'quota_exceeded',
          `${sub} started ${recent.length} runs in the last minute, the most its role allows (runsPerMinute ${grant.runsPerMinute}); try again in ${retryAfterSeconds} s`,
          { details: { rule: 'runsPerMinute', retryAfterSeconds } },
        );
      }
      recent.push(now());
      started.set(sub, recent);
      running.set(sub, inProgress + 1);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          const left = (running.get(sub) ?? 1) - 1;
          if (left > 0) running.set(sub, left);
          else running.delete(sub);
        },
      };
    },
  };
}
