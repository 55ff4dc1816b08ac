import { readFileSync } from 'node:fs';
import { ANONYMOUS_PRINCIPAL, type Principal } from '@umca/contracts';
import { describe, expect, it } from 'vitest';
import {
  acceptExecutionRequest,
  acceptTaskRequest,
  authorizeExecution,
  authorizeModels,
  authorizeTask,
  createRunQuota,
  DEFAULT_ACCESS_POLICY,
  grantFor,
  PolicyError,
  parseAllowedHostRule,
  readAccessPolicy,
  requireTool,
  ruleWithin,
  unrestrictedGrant,
} from '../src/index.js';

const POLICY = readAccessPolicy(`
version: umca.policy.v1
roles:
  viewer:
    tools: [get_run, list_runs]
    allRuns: true
  developer:
    tools: [run_code, run_task, get_run, list_runs, cancel_run]
    languages: [python]
    models: ["ollama:*", "local:/models/*"]
    allowedOutboundHosts: ["https://*.example.com", "http://10.1.0.0/16:8000..9000"]
    limits: { timeoutMs: 5000, memoryMb: 512 }
    concurrentRuns: 2
    runsPerMinute: 3
  ci:
    tools: [run_code]
    languages: [javascript]
    limits: { timeoutMs: 60000 }
`);

const principal = (...roles: string[]): Principal => ({ sub: 'u1', name: 'Ada', roles, issuer: 'https://idp', via: 'oidc' });
const python = (more: Record<string, unknown> = {}) => acceptExecutionRequest({ language: 'python', code: 'print(1)', ...more });

function denial(action: () => unknown): PolicyError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return error as PolicyError;
  }
  throw new Error('the policy allowed it');
}

describe('a policy file', () => {
  it('the example in ops/policy is valid', () => {
    const text = readFileSync(new URL('../../../ops/policy/example-policy.yaml', import.meta.url), 'utf8');
    expect(Object.keys(readAccessPolicy(text).roles)).toEqual(['viewer', 'developer', 'operator']);
  });

  it('is YAML or JSON, and the built-in default is a valid one', () => {
    expect(readAccessPolicy(JSON.stringify(DEFAULT_ACCESS_POLICY)).roles.operator?.tools).toEqual(['*']);
    expect(POLICY.roles.developer?.languages).toEqual(['python']);
  });

  it.each([
    ['version: umca.policy.v2\nroles: {a: {tools: []}}', 'version'],
    ['version: umca.policy.v1\nroles: {}', 'roles: must name at least one role'],
    ['version: umca.policy.v1\nroles: {dev: {tools: [run_everything]}}', 'roles.dev.tools.0'],
    ['version: umca.policy.v1\nroles: {dev: {tools: [], colour: blue}}', 'colour'],
    ['version: umca.policy.v1\nroles: {dev: {tools: [], limits: {timeoutMs: 0}}}', 'roles.dev.limits.timeoutMs'],
    [
      'version: umca.policy.v1\nroles: {dev: {tools: [], allowedOutboundHosts: ["https://a.com:90..80"]}}',
      'roles.dev.allowedOutboundHosts.0',
    ],
    ['version: umca.policy.v1\nroles: {dev: {tools: []}, dev: {tools: []}}', 'not valid YAML'],
    ['roles: [', 'not valid YAML'],
  ])('%j is refused, naming the place: %s', (text, place) => {
    const error = denial(() => readAccessPolicy(text, 'policy.yaml'));
    expect(error.code).toBe('invalid_policy');
    expect(error.message).toContain('policy.yaml');
    expect(error.message).toContain(place);
  });
});

describe('a grant', () => {
  it('is the most the principal’s known roles allow together', () => {
    const grant = grantFor(POLICY, principal('developer', 'ci', 'unknown-role'));
    expect(grant.roles).toEqual(['developer', 'ci']);
    expect([...grant.tools].sort()).toEqual(['cancel_run', 'get_run', 'list_runs', 'run_code', 'run_task']);
    expect(grant.languages).toEqual(new Set(['python', 'javascript']));
    expect(grant.limits).toEqual({ timeoutMs: 60_000, memoryMb: 4_096, outputBytes: 16_777_216 });
    expect(grant.concurrentRuns).toBeUndefined(); // ci sets no cap, so none applies
    expect(grantFor(POLICY, principal('developer')).concurrentRuns).toBe(2);
  });

  it('is nothing for roles the policy does not name, and says so', () => {
    const grant = grantFor(POLICY, principal('admin'));
    const error = denial(() => requireTool(grant, 'list_runs'));
    expect(error).toMatchObject({ code: 'policy_denied', details: { rule: 'tools', tool: 'list_runs' } });
    expect(error.message).toBe(
      "Ada has no role this server's policy names (the token carries admin) may not use list_runs; it may use nothing",
    );
  });

  it('is everything without authentication', () => {
    const grant = unrestrictedGrant(ANONYMOUS_PRINCIPAL);
    expect(authorizeExecution(grant, python({ allowedOutboundHosts: ['*://*:*'] })).request.allowedOutboundHosts).toEqual(['*://*:*']);
  });
});

describe('an execution under the policy', () => {
  const developer = grantFor(POLICY, principal('developer'));

  it('is refused for a role without the tool, naming the rule', () => {
    const error = denial(() => authorizeExecution(grantFor(POLICY, principal('viewer')), python()));
    expect(error.details).toEqual({ rule: 'tools', tool: 'run_code' });
    expect(error.message).toBe('Ada (role viewer) may not use run_code; it may use get_run, list_runs');
  });

  it('is refused in a language the role may not run', () => {
    const error = denial(() => authorizeExecution(developer, acceptExecutionRequest({ language: 'javascript', code: '1' })));
    expect(error.details).toEqual({ rule: 'languages', tool: 'run_code' });
    expect(error.message).toContain('may not run javascript; it may run python');
  });

  it('may narrow the role’s outbound hosts, never widen them', () => {
    for (const narrower of [
      ['https://api.example.com'],
      ['https://*.eu.example.com:443'],
      ['http://10.1.2.3:8080', 'http://10.1.4.0/24:8000..8100'],
    ]) {
      expect(() => authorizeExecution(developer, python({ allowedOutboundHosts: narrower })), narrower.join()).not.toThrow();
    }
    for (const wider of [
      'https://example.com',
      'https://*.com',
      '*://api.example.com:443',
      'http://api.example.com',
      'https://api.example.com:*',
      'http://10.0.0.0/8:8080',
      'http://10.1.2.3:9000',
    ]) {
      const error = denial(() => authorizeExecution(developer, python({ allowedOutboundHosts: [wider] })));
      expect(error.details, wider).toEqual({ rule: 'allowedOutboundHosts', tool: 'run_code' });
      expect(error.message).toContain(`may not reach ${JSON.stringify(wider)}; its code may reach at most "https://*.example.com"`);
    }
  });

  it('may ask for limits up to the role’s ceilings; those left out are lowered to them', () => {
    const error = denial(() => authorizeExecution(developer, python({ limits: { timeoutMs: 5_001 } })));
    expect(error.details).toEqual({ rule: 'limits.timeoutMs', tool: 'run_code' });
    expect(error.message).toContain('may ask for at most timeoutMs 5000, not 5001');
    expect(authorizeExecution(developer, python({ limits: { memoryMb: 300 } })).request.limits).toEqual({
      timeoutMs: 5_000,
      memoryMb: 300,
    });
  });
});

describe('a task under the policy', () => {
  const developer = grantFor(POLICY, principal('developer'));

  it('is checked like code, then its models against the role’s patterns', () => {
    expect(() => authorizeTask(developer, acceptTaskRequest({ task: 't', language: 'javascript' }))).toThrow(/may not run javascript/);
    expect(() => authorizeModels(developer, ['ollama:qwen2.5-coder:7b', 'local:/models/a.gguf'])).not.toThrow();
    const error = denial(() => authorizeModels(developer, ['ollama:qwen', 'openai:gpt-5']));
    expect(error.details).toEqual({ rule: 'models', tool: 'run_task' });
    expect(error.message).toContain('may not use the model "openai:gpt-5"; it may use "ollama:*", "local:/models/*"');
    expect(() => authorizeModels(developer, ['local:/models/../etc/x'])).not.toThrow(); // a path pattern is text; the gateway opens files
  });
});

describe('how much a principal runs', () => {
  it('is capped at its runs in progress and its runs a minute', () => {
    let clock = 0;
    const quota = createRunQuota({ now: () => clock });
    const developer = grantFor(POLICY, principal('developer'));
    const first = quota.admit(developer);
    quota.admit(developer);
    expect(denial(() => quota.admit(developer)).details).toEqual({ rule: 'concurrentRuns', retryAfterSeconds: 1 });
    first.release();
    first.release(); // twice is once
    quota.admit(developer);
    clock = 20_000;
    const perMinute = denial(() => quota.admit(developer));
    expect(perMinute.code).toBe('quota_exceeded');
    expect(perMinute.details).toMatchObject({ rule: 'concurrentRuns' });
    const other = grantFor(POLICY, { ...principal('developer'), sub: 'u2' });
    quota.admit(other); // per principal
  });

  it('counts runs a minute on their own', () => {
    let clock = 0;
    const quota = createRunQuota({ now: () => clock });
    const grant = { ...grantFor(POLICY, principal('developer')), concurrentRuns: undefined };
    for (let run = 0; run < 3; run++) quota.admit(grant).release();
    clock = 45_000;
    expect(denial(() => quota.admit(grant)).details).toEqual({ rule: 'runsPerMinute', retryAfterSeconds: 15 });
    clock = 60_001;
    expect(() => quota.admit(grant)).not.toThrow();
  });
});

describe('one outbound rule within another', () => {
  it.each([
    ['https://a.example.com', 'https://*.example.com', true],
    ['https://*.a.example.com', 'https://*.example.com', true],
    ['https://example.com', 'https://*.example.com', false],
    ['http://a.com:8080', 'http://a.com:8000..9000', true],
    ['http://a.com:8000..9001', 'http://a.com:8000..9000', false],
    ['*://a.com:80', 'http://a.com:80', false],
    ['http://a.com', '*://*:*', true],
    ['http://[fd00::1]:80', 'http://[fd00::]/8:80', true],
    ['http://[fd00::]/16:80', 'http://[fd00::]/8:80', true],
    ['http://[fd00::]/4:80', 'http://[fd00::]/8:80', false],
    ['http://10.0.0.1:80', 'http://[fd00::]/8:80', false],
  ])('%s within %s: %s', (rule, ceiling, within) => {
    expect(ruleWithin(parseAllowedHostRule(rule), parseAllowedHostRule(ceiling))).toBe(within);
  });
});
