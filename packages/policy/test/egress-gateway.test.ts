import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEgressGateway } from '../src/egress/egress-gateway.js';
import { createEgressPolicy } from '../src/egress/egress-policy.js';
import { type HttpFixture, startHttpFixture } from './support/http-fixture.js';

let fixture: HttpFixture;
beforeAll(async () => {
  fixture = await startHttpFixture();
});
afterAll(() => fixture.close());

const deadline = () => performance.now() + 10_000;
const get = (url: string) => ({ method: 'GET', url, headers: [] as Array<[string, string]> });

describe('createEgressGateway against a real HTTP server', () => {
  it('performs an allowed request and records the attempt', async () => {
    const gateway = createEgressGateway();
    const outcome = await gateway.send(createEgressPolicy([`http://127.0.0.1:${fixture.port}`]), get(`${fixture.origin}/hello`), {
      deadline: deadline(),
    });
    expect(outcome.response?.status).toBe(200);
    expect(Buffer.from(outcome.response?.body ?? []).toString('utf8')).toBe('hello from the fixture ✓');
    expect(outcome.attempt).toMatchObject({
      verdict: 'allowed',
      rule: `http://127.0.0.1:${fixture.port}`,
      address: '127.0.0.1',
      status: 200,
    });
  });

  it('never connects when the policy denies, and says why', async () => {
    const before = fixture.received.length;
    const gateway = createEgressGateway();
    for (const rules of [[], ['*://*:*'], [`http://localhost:${fixture.port}`]]) {
      const url = rules[0]?.includes('localhost') ? `http://localhost:${fixture.port}/hello` : `${fixture.origin}/hello`;
      const outcome = await gateway.send(createEgressPolicy(rules), get(url), { deadline: deadline() });
      expect(outcome.response, JSON.stringify(rules)).toBeUndefined();
      expect(outcome.attempt.verdict).toBe('denied');
      expect(outcome.error).toMatch(/egress denied/);
    }
    expect(fixture.received.length).toBe(before);
  });

  it('checks the address the name resolves to, and connects only to that address (no rebinding)', async () => {
    let lookups = 0;
    const gateway = createEgressGateway({
      resolveHost: async () => {
        lookups++;
        return ['127.0.0.1'];
      },
    });
    const denied = await gateway.send(
      createEgressPolicy([`http://rebind.test:${fixture.port}`]),
      get(`http://rebind.test:${fixture.port}/hello`),
      { deadline: deadline() },
    );
    expect(denied.attempt).toMatchObject({ verdict: 'denied' });
    expect(denied.attempt.reason).toContain('127.0.0.1');
    const named = await gateway.send(
      createEgressPolicy([`http://rebind.test:${fixture.port}`, `http://127.0.0.1:${fixture.port}`]),
      get(`http://rebind.test:${fixture.port}/echo`),
      { deadline: deadline() },
    );
    expect(named.response?.status).toBe(200);
    expect(fixture.received.at(-1)?.headers.host).toBe(`rebind.test:${fixture.port}`);
    expect(lookups).toBe(2);
  });

  it("does not follow redirects itself: the next hop is the guest's, and is checked again", async () => {
    const gateway = createEgressGateway();
    const outcome = await gateway.send(
      createEgressPolicy([`http://127.0.0.1:${fixture.port}`]),
      get(`${fixture.origin}/redirect?to=http://169.254.169.254/latest/meta-data/`),
      { deadline: deadline() },
    );
    expect(outcome.response?.status).toBe(302);
    expect(outcome.response?.headers).toContainEqual(['location', 'http://169.254.169.254/latest/meta-data/']);
  });

  it('caps the response body and the time a request may take', async () => {
    const small = createEgressGateway({ maxResponseBytes: 1_000 });
    const policy = createEgressPolicy([`http://127.0.0.1:${fixture.port}`]);
    const big = await small.send(policy, get(`${fixture.origin}/big`), { deadline: deadline() });
    expect(big.response).toBeUndefined();
    expect(big.error).toContain('larger than 1000 bytes');
    const slow = await createEgressGateway().send(policy, get(`${fixture.origin}/slow`), { deadline: performance.now() + 300 });
    expect(slow.error).toContain('timed out');
  });

  it('refuses CONNECT, TRACE and TRACK at once, whatever the rules, and never connects', async () => {
    const before = fixture.received.length;
    const gateway = createEgressGateway();
    const policy = createEgressPolicy(['*://*:*', `http://127.0.0.1:${fixture.port}`]);
    for (const method of ['CONNECT', 'connect', 'TRACE', 'TRACK']) {
      const outcome = await gateway.send(policy, { method, url: `${fixture.origin}/hello`, headers: [] }, { deadline: deadline() });
      expect(outcome.response, method).toBeUndefined();
      expect(outcome.error).toContain(`method ${method.toUpperCase()} is not allowed`);
      expect(outcome.attempt).toMatchObject({ verdict: 'denied', method: method.toUpperCase() });
    }
    expect(fixture.received.length).toBe(before);
  });

  it('ends a request whose server switches protocols (101) at once instead of waiting forever', async () => {
    const outcome = await createEgressGateway().send(
      createEgressPolicy([`http://127.0.0.1:${fixture.port}`]),
      get(`${fixture.origin}/switch`),
      {
        deadline: performance.now() + 60_000,
      },
    );
    expect(outcome.response).toBeUndefined();
    expect(outcome.error).toContain('switched protocols (101)');
    expect(outcome.attempt).toMatchObject({ verdict: 'allowed', address: '127.0.0.1' });
  });

  it('passes method, headers and body, and refuses a malformed method', async () => {
    const gateway = createEgressGateway();
    const policy = createEgressPolicy([`http://127.0.0.1:${fixture.port}`]);
    const outcome = await gateway.send(
      policy,
      { method: 'POST', url: `${fixture.origin}/echo`, headers: [['x-test', 'yes']], body: Buffer.from('payload') },
      { deadline: deadline() },
    );
    expect(JSON.parse(Buffer.from(outcome.response?.body ?? []).toString())).toEqual({ method: 'POST', body: 'payload', header: 'yes' });
    const bad = await gateway.send(
      policy,
      { method: 'GET /x HTTP/1.1\r\nHost: a', url: `${fixture.origin}/`, headers: [] },
      { deadline: deadline() },
    );
    expect(bad.attempt.verdict).toBe('denied');
  });
});

describe('tunnel (the container lane’s CONNECT)', () => {
  it('connects to an address it checked, for an allowed https host and port only', async () => {
    const gateway = createEgressGateway({ resolveHost: async () => ['127.0.0.1'] });
    const allowed = await gateway.tunnel(
      createEgressPolicy([`https://127.0.0.1:${fixture.port}`]),
      { host: '127.0.0.1', port: fixture.port },
      { deadline: deadline() },
    );
    expect(allowed.attempt).toMatchObject({ method: 'CONNECT', verdict: 'allowed', address: '127.0.0.1' });
    expect(allowed.socket).toBeDefined();
    allowed.socket?.destroy();
    // The port is part of the rule: another port on the same host is refused, unconnected.
    const otherPort = await gateway.tunnel(
      createEgressPolicy([`https://127.0.0.1:${fixture.port}`]),
      { host: '127.0.0.1', port: 22 },
      { deadline: deadline() },
    );
    expect(otherPort.socket).toBeUndefined();
    expect(otherPort.attempt.verdict).toBe('denied');
    // A name allowed by a wildcard that resolves to a private address is refused after the lookup.
    const rebound = await gateway.tunnel(
      createEgressPolicy(['https://*.example.com']),
      { host: 'api.example.com', port: 443 },
      { deadline: deadline() },
    );
    expect(rebound.socket).toBeUndefined();
    expect(rebound.attempt).toMatchObject({ verdict: 'denied', url: 'https://api.example.com:443' });
    // Nothing without a rule, and no port outside 1-65535.
    expect(
      (await gateway.tunnel(createEgressPolicy([]), { host: 'example.com', port: 443 }, { deadline: deadline() })).attempt.verdict,
    ).toBe('denied');
    expect(
      (await gateway.tunnel(createEgressPolicy(['*://*:*']), { host: 'example.com', port: 70_000 }, { deadline: deadline() })).error,
    ).toMatch(/port from 1 to 65535/);
  });
});
