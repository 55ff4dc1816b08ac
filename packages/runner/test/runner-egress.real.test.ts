/**
 * Outbound HTTP from inside the sandbox, through every client a program is likely to use, and the
 * ways an attacker tries to get around the rules: IP literal spellings, redirects, DNS, userinfo,
 * other ports. A real HTTP server on 127.0.0.1 proves which requests arrived.
 */

import type { ExecutionResult } from '@umca/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpFixture, startHttpFixture } from '../../policy/test/support/http-fixture.js';
import { useRunner } from './support/use-runner.js';

let fixture: HttpFixture;
beforeAll(async () => {
  fixture = await startHttpFixture();
});
afterAll(() => fixture.close());

// Names ending in .test resolve through this table, so DNS can be tested without a DNS server.
const runner = useRunner({
  egress: {
    resolveHost: async (host) => {
      if (host === 'rebind.test' || host === 'allowed.test' || host === 'localhost') return ['127.0.0.1'];
      throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    },
  },
});

const loopbackRule = () => `http://127.0.0.1:${fixture.port}`;
const python = (code: string, allowedOutboundHosts: string[]) => runner().run({ language: 'python', code, allowedOutboundHosts });
const javascript = (code: string, allowedOutboundHosts: string[]) => runner().run({ language: 'javascript', code, allowedOutboundHosts });

function expectArrivedNothing(before: number) {
  expect(fixture.received.length).toBe(before);
}

describe('allowed requests, from every client', () => {
  it('Python urllib.request', async () => {
    const result = await python(
      `import urllib.request\nwith urllib.request.urlopen("${fixture.origin}/hello") as response:\n    print(response.status, response.read().decode())`,
      [loopbackRule()],
    );
    expect(result).toMatchObject({ status: 'ok', stdout: '200 hello from the fixture ✓\n' });
    expect(result.egress).toEqual([
      expect.objectContaining({ method: 'GET', verdict: 'allowed', status: 200, address: '127.0.0.1', rule: loopbackRule() }),
    ]);
  });

  it('Python http.client with a body and headers', async () => {
    const result = await python(
      `import http.client, json\nconnection = http.client.HTTPConnection("127.0.0.1", ${fixture.port})\nconnection.request("POST", "/echo", body="payload", headers={"X-Test": "yes"})\nresponse = connection.getresponse()\nprint(response.status, response.getheader("x-fixture"), json.loads(response.read()))`,
      [loopbackRule()],
    );
    expect(result.stdout).toBe("200 yes {'method': 'POST', 'body': 'payload', 'header': 'yes'}\n");
  });

  it('Python pyodide.http.pyfetch', async () => {
    const result = await python(
      `from pyodide.http import pyfetch\nresponse = await pyfetch("${fixture.origin}/echo", method="PUT", body="from pyfetch")\nprint(response.status, (await response.json())["body"])`,
      [loopbackRule()],
    );
    expect(result).toMatchObject({ status: 'ok', stdout: '200 from pyfetch\n' });
  });

  it('JavaScript fetch', async () => {
    const result = await javascript(
      `const response = await fetch("${fixture.origin}/echo", { method: "POST", body: "from js", headers: { "x-test": "js" } })\nconsole.log(response.status, response.ok, response.headers.get("x-fixture"), JSON.stringify(await response.json()))`,
      [loopbackRule()],
    );
    expect(result.stdout).toBe('200 true yes {"method":"POST","body":"from js","header":"js"}\n');
  });
});

describe('denied requests never leave the sandbox', () => {
  it('with no rules, every client is refused and each attempt is recorded', async () => {
    const before = fixture.received.length;
    const results: ExecutionResult[] = [
      await python(`import urllib.request\nurllib.request.urlopen("${fixture.origin}/hello")`, []),
      await python(`from pyodide.http import pyfetch\nawait pyfetch("${fixture.origin}/hello")`, []),
      await javascript(`await fetch("${fixture.origin}/hello")`, []),
    ];
    for (const result of results) {
      expect(result.status).toBe('error');
      expect(result.egress).toEqual([
        expect.objectContaining({ verdict: 'denied', reason: expect.stringContaining('network access is off') }),
      ]);
    }
    expect(results[0]?.error?.type).toBe('URLError');
    expectArrivedNothing(before);
  });

  it('a wildcard rule does not open loopback, in any spelling of the address', async () => {
    const before = fixture.received.length;
    const port = fixture.port;
    const urls = [
      `http://127.0.0.1:${port}/`,
      `http://2130706433:${port}/`,
      `http://0x7f000001:${port}/`,
      `http://0177.0.0.1:${port}/`,
      `http://127.1:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
      `http://[::1]:${port}/`,
      `http://localhost:${port}/`,
      `http://0.0.0.0:${port}/`,
    ];
    const result = await python(
      `import urllib.request, urllib.error\nfor url in ${JSON.stringify(urls)}:\n    try:\n        urllib.request.urlopen(url, timeout=5)\n        print("REACHED", url)\n    except urllib.error.URLError as error:\n        print("refused", url)`,
      ['*://*:*'],
    );
    expect(result.stdout).not.toContain('REACHED');
    expect(result.egress).toHaveLength(urls.length);
    for (const attempt of result.egress) expect(attempt.verdict).toBe('denied');
    expectArrivedNothing(before);
  });

  it('checks every redirect hop: an allowed host cannot bounce the request to a forbidden one', async () => {
    const target = 'http://169.254.169.254/latest/meta-data/';
    const pythonResult = await python(
      `import urllib.request\nurllib.request.urlopen("${fixture.origin}/redirect?to=${encodeURIComponent(target)}")`,
      [loopbackRule()],
    );
    expect(pythonResult.egress.map((attempt) => attempt.verdict)).toEqual(['allowed', 'denied']);
    expect(pythonResult.egress[1]?.url).toBe(target);
    const jsResult = await javascript(`await fetch("${fixture.origin}/redirect?to=${encodeURIComponent(target)}")`, [loopbackRule()]);
    expect(jsResult.status).toBe('error');
    expect(jsResult.egress.map((attempt) => attempt.verdict)).toEqual(['allowed', 'denied']);
  });

  it('follows an allowed redirect hop by hop', async () => {
    const result = await javascript(
      `const r = await fetch("${fixture.origin}/redirect?to=/hello")\nconsole.log(r.status, r.redirected, await r.text())`,
      [loopbackRule()],
    );
    expect(result.stdout).toBe('200 true hello from the fixture ✓\n');
    expect(result.egress.map((attempt) => attempt.status)).toEqual([302, 200]);
  });

  it('checks the address a name resolves to (DNS rebinding to loopback is refused)', async () => {
    const before = fixture.received.length;
    const result = await python(`import urllib.request\nurllib.request.urlopen("http://rebind.test:${fixture.port}/hello")`, [
      `http://rebind.test:${fixture.port}`,
    ]);
    expect(result.egress).toEqual([expect.objectContaining({ verdict: 'denied', reason: expect.stringContaining('127.0.0.1') })]);
    expectArrivedNothing(before);
  });

  it('reads userinfo as userinfo, not as the host', async () => {
    const before = fixture.received.length;
    const result = await javascript(`await fetch("http://allowed.test:${fixture.port}@127.0.0.1:${fixture.port}/hello")`, [
      `http://allowed.test:${fixture.port}`,
    ]);
    expect(result.egress[0]).toMatchObject({ verdict: 'denied' });
    expectArrivedNothing(before);
  });

  it('holds the port: other ports of an allowed host are refused', async () => {
    const before = fixture.received.length;
    const result = await javascript(
      `for (const url of ["http://127.0.0.1:${fixture.port + 1}/", "http://127.0.0.1/", "https://127.0.0.1:${fixture.port}/"]) {\n  try { await fetch(url) } catch (error) { console.log("refused") }\n}`,
      [loopbackRule()],
    );
    expect(result.stdout).toBe('refused\nrefused\nrefused\n');
    expect(result.egress.every((attempt) => attempt.verdict === 'denied')).toBe(true);
    expectArrivedNothing(before);
  });

  it('rejects a run whose rules are malformed, before running anything', async () => {
    const result = await python('print("never")', ['api.example.com']);
    expect(result).toMatchObject({ status: 'rejected', stdout: '' });
    expect(result.reason).toContain('has no scheme');
  });
});

describe('methods that are never sent: CONNECT, TRACE, TRACK', () => {
  it('JavaScript fetch throws at once, as undici does, and nothing reaches the host', async () => {
    const result = await javascript(
      `for (const method of ["CONNECT", "trace", "TRACK"]) {\n  try { await fetch("${fixture.origin}/hello", { method }); console.log("REACHED") } catch (error) { console.log(error.name, error.message) }\n}`,
      [loopbackRule()],
    );
    expect(result).toMatchObject({ status: 'ok', egress: [] });
    expect(result.stdout).toBe(
      "TypeError 'CONNECT' HTTP method is unsupported.\nTypeError 'TRACE' HTTP method is unsupported.\nTypeError 'TRACK' HTTP method is unsupported.\n",
    );
  });

  it('Python http.client, urllib, pyfetch and the raw channel are refused at once, by the host where they reach it', async () => {
    const before = fixture.received.length;
    const result = await python(
      [
        'import http.client, json, urllib.request, urllib.error, umca_host',
        'from pyodide.http import pyfetch',
        'for method in ["CONNECT", "TRACE", "TRACK"]:',
        `    connection = http.client.HTTPConnection("127.0.0.1", ${fixture.port})`,
        '    try:',
        '        connection.request(method, "/hello")',
        '        print("REACHED", connection.getresponse().status)',
        '    except ConnectionRefusedError as error:',
        '        print("http.client", error)',
        'try:',
        `    urllib.request.urlopen(urllib.request.Request("${fixture.origin}/hello", method="TRACE"))`,
        'except urllib.error.URLError as error:',
        '    print("urllib", error.reason)',
        'try:',
        `    await pyfetch("${fixture.origin}/hello", method="CONNECT")`,
        'except Exception as error:',
        '    print("pyfetch", error)',
        `reply = json.loads(umca_host.http_request(json.dumps({"method": "CONNECT", "url": "${fixture.origin}/", "headers": [], "body": ""})))`,
        'print("channel", reply["error"])',
      ].join('\n'),
      [loopbackRule()],
    );
    expect(result.status).toBe('ok');
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(6);
    const refusal = (method: string) => `method ${method} is not allowed`;
    expect(lines[0]).toContain(`http.client ${refusal('CONNECT')}`);
    expect(lines[1]).toContain(`http.client ${refusal('TRACE')}`);
    expect(lines[2]).toContain(`http.client ${refusal('TRACK')}`);
    expect(lines[3]).toContain(`urllib ${refusal('TRACE')}`);
    expect(lines[4]).toContain("pyfetch TypeError: 'CONNECT' HTTP method is unsupported.");
    expect(lines[5]).toContain(`channel ${refusal('CONNECT')}`);
    expect(result.egress.map((attempt) => [attempt.method, attempt.verdict])).toEqual([
      ['CONNECT', 'denied'],
      ['TRACE', 'denied'],
      ['TRACK', 'denied'],
      ['TRACE', 'denied'],
      ['CONNECT', 'denied'],
    ]);
    expectArrivedNothing(before);
  });
});

describe('special IPv6 ranges, end to end', () => {
  // A runner whose requests may never take any time: had the policy let one of these through, it
  // would be recorded as allowed ("no time left") without a packet leaving the machine.
  const sealed = useRunner({
    concurrency: 1,
    warmChildren: 1,
    egress: { requestTimeoutMs: 0, resolveHost: async () => ['::127.0.0.1'] },
  });

  it('refuses IPv4-compatible, translated, NAT64, documentation, site-local and discard addresses under *://*:*', async () => {
    const urls: Array<[url: string, range: string]> = [
      ['http://[::7f00:1]/', 'ipv4Compatible(loopback)'],
      ['http://[::127.0.0.1]/', 'ipv4Compatible(loopback)'],
      ['http://[::a9fe:a9fe]/', 'ipv4Compatible(linkLocal)'],
      ['http://compatible.test/', 'ipv4Compatible(loopback)'],
      ['http://[::ffff:0:7f00:1]/', 'rfc6145(loopback)'],
      ['http://[64:ff9b:1::7f00:1]/', 'rfc6052'],
      ['http://[100::1]/', 'discard'],
      ['http://[2001:db8::1]/', 'reserved'],
      ['http://[fec0::1]/', 'deprecatedSiteLocal'],
    ];
    const result = await sealed().run({
      language: 'javascript',
      code: `for (const url of ${JSON.stringify(urls.map(([url]) => url))}) {\n  try { await fetch(url); console.log("REACHED", url) } catch { console.log("refused") }\n}`,
      allowedOutboundHosts: ['*://*:*'],
    });
    expect(result.stdout).toBe('refused\n'.repeat(urls.length));
    expect(result.egress).toHaveLength(urls.length);
    result.egress.forEach((attempt, index) => {
      expect(attempt, urls[index]?.[0]).toMatchObject({ verdict: 'denied', reason: expect.stringContaining(`(${urls[index]?.[1]})`) });
    });
  });
});
