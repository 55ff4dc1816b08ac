/**
 * @module @umca/client
 * The typed client of UMCA's HTTP API v1, for Node 20 and browsers: run code and agent tasks,
 * follow runs live with exact resume, typed errors. Any new export added here becomes public API.
 */
export type { Fetch, Problem, Readiness, RunAccepted, RunCancelling, RunListStatus, RunPage } from './api-types.js';
export { type ClientOptions, createClient } from './create-client.js';
export type { TokenSource } from './internal/create-http.js';
export { type ProblemIssue, UmcaApiError } from './umca-api-error.js';
export type {
  CallOptions,
  FollowOptions,
  IterateRunsOptions,
  ListGateVerdictsOptions,
  ListRunsOptions,
  RunCallbacks,
  RunCodeOptions,
  RunTaskOptions,
  StreamState,
  UmcaClient,
} from './umca-client.js';
export { UmcaClientError, type UmcaClientErrorCode } from './umca-client-error.js';
export type { UmcaSession } from './umca-session.js';
