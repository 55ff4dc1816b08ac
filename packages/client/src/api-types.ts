/**
 * @module api-types
 * Shapes of the HTTP API's answers that the contracts give as zod schemas only, as plain types.
 * They are read from the schemas' types, so the client cannot drift from the server.
 */
import type {
  cancelAcceptedSchema,
  problemSchema,
  RunSummary,
  readinessSchema,
  runAcceptedSchema,
  runListQuerySchema,
} from '@umca/contracts';

/** The 202 answer to a submission: the run's id and where to follow it. */
export type RunAccepted = ReturnType<typeof runAcceptedSchema.parse>;

/** RFC 9457 problem details; `detail` says what to fix, extension fields ride along. */
export type Problem = ReturnType<typeof problemSchema.parse>;

/** The statuses `listRuns` can filter on. */
export type RunListStatus = NonNullable<ReturnType<typeof runListQuerySchema.parse>['status']>;

/** One page of runs, newest first; `next` is the `before` of the next, older page. */
export interface RunPage {
  readonly runs: RunSummary[];
  readonly next?: string;
}

/** The answer to `cancelRun`: the run is ending, and will end `cancelled`. */
export type RunCancelling = ReturnType<typeof cancelAcceptedSchema.parse>;

/** `GET /readyz`: the sandbox and the store are usable; `lastEventOffset` is where `events({ after })` resumes. */
export type Readiness = ReturnType<typeof readinessSchema.parse>;

/** A `fetch` as the client calls it: any standard one fits. */
export type Fetch = (input: string, init: RequestInit) => Promise<Response>;
