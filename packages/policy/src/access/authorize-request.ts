/**
 * @module authorize-request
 * The policy's verdict on one request, before anything runs: the tool, the language, the lane,
 * each outbound host against the role's ceiling, each limit against its ceiling, and a task's
 * models. A refusal names the rule and says what the role allows instead. A limit the request
 * leaves out is lowered to the role's ceiling, never refused.
 */
import {
  type AcceptedExecutionV1,
  type AcceptedSessionV1,
  DEFAULT_LIMITS,
  type ExecutionLimits,
  type Lane,
  type Language,
  type Tool,
} from '@umca/contracts';
import type { AcceptedTask } from '../accept-task-request.js';
import { parseAllowedHostRule } from '../egress/allowed-host-rule.js';
import { ruleWithin } from '../egress/rule-within.js';
import { PolicyError } from '../policy-error.js';
import type { AccessGrant } from './access-grant.js';

function who(grant: AccessGrant): string {
  const name = grant.principal.name ?? grant.principal.sub;
  return grant.roles.length === 0
    ? `${name} has no role this server's policy names (the token carries ${grant.principal.roles.length ? grant.principal.roles.join(', ') : 'none'})`
    : `${name} (${grant.roles.length === 1 ? 'role' : 'roles'} ${grant.roles.join(', ')})`;
}

/** A refusal by the policy: 403, with the rule and the tool in its details. */
export function policyDenied(grant: AccessGrant, tool: Tool, rule: string, message: string): PolicyError {
  return new PolicyError('policy_denied', `${who(grant)} ${message}`, { details: { rule, tool } });
}

/** Throws unless the grant includes `tool`. */
export function requireTool(grant: AccessGrant, tool: Tool): void {
  if (grant.unrestricted || grant.tools.has(tool)) return;
  const may = [...grant.tools];
  throw policyDenied(grant, tool, 'tools', `may not use ${tool}; ${may.length ? `it may use ${may.join(', ')}` : 'it may use nothing'}`);
}

function requireLanguage(grant: AccessGrant, tool: Tool, language: Language): void {
  if (grant.languages === 'any' || grant.languages.has(language)) return;
  throw policyDenied(grant, tool, 'languages', `may not run ${language}; it may run ${[...grant.languages].join(', ') || 'nothing'}`);
}

function requireLane(grant: AccessGrant, tool: Tool, lane: Lane): void {
  if (grant.lanes.has(lane)) return;
  throw policyDenied(grant, tool, 'lanes', `may not use the ${lane} lane; it may use ${[...grant.lanes].join(', ') || 'none'}`);
}

function requireEgressWithin(grant: AccessGrant, tool: Tool, entries: readonly string[] | undefined): void {
  for (const entry of entries ?? []) {
    const rule = parseAllowedHostRule(entry);
    if (grant.egressCeiling.some((ceiling) => ruleWithin(rule, ceiling))) continue;
    const ceiling = grant.egressCeiling.map((ceiling) => ceiling.source);
    throw policyDenied(
      grant,
      tool,
      'allowedOutboundHosts',
      `may not reach ${JSON.stringify(entry)}; ${ceiling.length ? `its code may reach at most ${ceiling.map((source) => JSON.stringify(source)).join(', ')}` : 'its code may reach no host'}`,
    );
  }
}

/** The limits a run gets: those asked for, each checked against its ceiling; those left out, the default lowered to the ceiling. */
function limitsWithin(grant: AccessGrant, tool: Tool, asked: Partial<ExecutionLimits> | undefined): Partial<ExecutionLimits> {
  const limits: Partial<ExecutionLimits> = { ...asked };
  for (const name of ['timeoutMs', 'memoryMb', 'outputBytes'] as const) {
    const ceiling = grant.limits[name];
    const value = asked?.[name];
    if (value !== undefined && value > ceiling) {
      throw policyDenied(grant, tool, `limits.${name}`, `may ask for at most ${name} ${ceiling}, not ${value}`);
    }
    if (value === undefined && DEFAULT_LIMITS[name] > ceiling) limits[name] = ceiling;
  }
  return limits;
}

/** What code and tasks share: the tool, the language, the lane, the hosts; the limits as they will be. */
function authorizeRun(
  grant: AccessGrant,
  tool: 'run_code' | 'run_task',
  request: {
    language: Language;
    lane?: Lane | undefined;
    allowedOutboundHosts?: readonly string[] | undefined;
    limits?: Partial<ExecutionLimits> | undefined;
  },
): Partial<ExecutionLimits> {
  requireTool(grant, tool);
  requireLanguage(grant, tool, request.language);
  requireLane(grant, tool, request.lane ?? 'wasm');
  requireEgressWithin(grant, tool, request.allowedOutboundHosts);
  return limitsWithin(grant, tool, request.limits);
}

/** The execution as the policy allows it (limits lowered to the ceilings), or a refusal. */
export function authorizeExecution(grant: AccessGrant, execution: AcceptedExecutionV1): AcceptedExecutionV1 {
  if (grant.unrestricted) return execution;
  const limits = authorizeRun(grant, 'run_code', execution.request);
  return { ...execution, request: { ...execution.request, limits }, lanes: [...grant.lanes] };
}

/**
 * A session as the policy allows it: the tool (`run_code`), its language, the wasm lane, its
 * hosts, and its memory within the caller's memory ceiling (a session's memory is one run's
 * memory, kept). Each of its runs is checked again as an execution (authorizeExecution).
 */
export function authorizeSession(grant: AccessGrant, session: AcceptedSessionV1): AcceptedSessionV1 {
  if (grant.unrestricted) return session;
  const { request } = session;
  authorizeRun(grant, 'run_code', {
    language: request.language,
    allowedOutboundHosts: request.allowedOutboundHosts,
    limits: { memoryMb: request.limits.memoryMb },
  });
  return session;
}

/** The task as the policy allows it (its models are checked once known: authorizeModels). */
export function authorizeTask(grant: AccessGrant, task: AcceptedTask): AcceptedTask {
  if (grant.unrestricted) return task;
  const limits = authorizeRun(grant, 'run_task', task.request);
  return { ...task, request: { ...task.request, limits } };
}

function globToRegExp(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    's',
  );
}

/** Whether the grant lets its holder see and call an upstream MCP tool (by UMCA's name). */
export function allowsUpstreamTool(grant: AccessGrant, name: string): boolean {
  return grant.unrestricted || grant.upstreamTools.some((pattern) => globToRegExp(pattern).test(name));
}

/** Throws unless every model a task would call (its model, then its fallbacks) matches one of the grant's patterns. */
export function authorizeModels(grant: AccessGrant, models: readonly string[]): void {
  if (grant.unrestricted) return;
  const patterns = grant.models.map(globToRegExp);
  for (const model of models) {
    if (patterns.some((pattern) => pattern.test(model.trim()))) continue;
    throw policyDenied(
      grant,
      'run_task',
      'models',
      `may not use the model ${JSON.stringify(model)}; ${grant.models.length ? `it may use ${grant.models.map((pattern) => JSON.stringify(pattern)).join(', ')}` : 'it may use no model'}`,
    );
  }
}
