/**
 * @module egress-gateway
 * The only way out of a sandbox: it asks the host, the host checks the run's policy, resolves the
 * name itself, checks every address, connects only to an address it checked (so DNS rebinding
 * cannot swap it afterwards), and makes one hop. Redirects come back to the guest, whose next hop
 * is checked again. Every attempt is recorded, allowed or not.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { connect, type LookupFunction, type Socket } from 'node:net';
import type { EgressAttempt, EgressPolicyV1, EgressTargetV1 } from '@umca/contracts';

export interface EgressRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body?: Uint8Array;
}

export interface EgressResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Array<[string, string]>;
  readonly body: Uint8Array;
  readonly url: string;
}

export interface EgressOutcome {
  readonly response?: EgressResponse;
  readonly error?: string;
  readonly attempt: EgressAttempt;
}

export type ResolveHost = (hostname: string) => Promise<string[]>;

export interface EgressGatewayOptions {
  /** Resolves a host name to addresses. Default: the system resolver (`dns.lookup`, all families). */
  resolveHost?: ResolveHost;
  /** Largest response body passed back to a sandbox. Default 10 MiB. */
  maxResponseBytes?: number;
  /** Upper bound on one request, further capped by the run's remaining time. Default 30 s. */
  requestTimeoutMs?: number;
  /** Extra trusted CA certificates (PEM) for HTTPS, e.g. a corporate proxy's. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Clock, injectable for tests. */
  now?: () => number;
}

export interface TunnelOutcome {
  /** Connected to the checked address; the caller pipes it and ends it. */
  readonly socket?: Socket;
  readonly error?: string;
  readonly attempt: EgressAttempt;
}

export interface EgressGateway {
  send(policy: EgressPolicyV1, request: EgressRequest, options: { deadline: number }): Promise<EgressOutcome>;
  /**
   * A TCP tunnel for an HTTPS `CONNECT host:port` (the container lane's proxy, whose programs
   * speak TLS themselves): checked as `https://host:port` against the policy, the name resolved
   * here and every address checked, then connected to the checked address only.
   */
  tunnel(policy: EgressPolicyV1, target: { host: string; port: number }, options: { deadline: number }): Promise<TunnelOutcome>;
}

const DROPPED_REQUEST_HEADERS = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'accept-encoding',
]);

const METHOD = /^[A-Z]{1,16}$/;

/** One attempt's record, from the fields that differ between its outcomes. */
type RecordAttempt = (fields: Omit<EgressAttempt, 'method' | 'url' | 'durationMs'>) => EgressAttempt;

/**
 * Methods the gateway never sends, the Fetch standard's forbidden methods (undici refuses them
 * too): CONNECT would make the host a tunnel, and Node's client then waits for a 'connect'
 * listener forever; TRACE and TRACK echo the request back.
 */
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);

const systemResolve: ResolveHost = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

/** Creates the host-side gateway that performs a sandbox's HTTP requests. */
export function createEgressGateway(options: EgressGatewayOptions = {}): EgressGateway {
  const resolveHost = options.resolveHost ?? systemResolve;
  const maxResponseBytes = options.maxResponseBytes ?? 10 * 1_048_576;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const now = options.now ?? (() => performance.now());

  /** Builds the attempts of one request, timed from now. */
  const recorder = (method: string, url: string): RecordAttempt => {
    const started = now();
    return (fields) => ({ method, url: url.slice(0, 2048), durationMs: Math.max(0, now() - started), ...fields });
  };

  /**
   * What `send` and `tunnel` share: the URL against the rules, the name resolved here, every
   * address checked; the address to connect to, or the attempt's refusal.
   */
  async function checkDestination(
    policy: EgressPolicyV1,
    url: string,
    record: RecordAttempt,
  ): Promise<{ target: EgressTargetV1; address: string } | { denial: { error: string; attempt: EgressAttempt } }> {
    const verdict = policy.checkUrl(url);
    if (!verdict.allowed)
      return { denial: { error: `egress denied: ${verdict.reason}`, attempt: record({ verdict: 'denied', reason: verdict.reason }) } };
    const { target } = verdict;
    let addresses: string[];
    try {
      addresses = target.isIpLiteral ? [target.host] : await resolveHost(target.host);
    } catch (error) {
      const reason = `allowed by "${target.rule}", but ${target.host} could not be resolved (${(error as NodeJS.ErrnoException).code ?? 'lookup failed'})`;
      return { denial: { error: reason, attempt: record({ verdict: 'allowed', rule: target.rule, reason }) } };
    }
    const addressVerdict = policy.checkAddresses(target, addresses);
    if (!addressVerdict.allowed) {
      return {
        denial: {
          error: `egress denied: ${addressVerdict.reason}`,
          attempt: record({ verdict: 'denied', rule: target.rule, reason: addressVerdict.reason }),
        },
      };
    }
    return { target, address: addressVerdict.address };
  }

  return {
    async send(policy, request, { deadline }) {
      const method = request.method.toUpperCase();
      const record = recorder(method, request.url);
      if (!METHOD.test(method)) {
        const reason = `method ${JSON.stringify(request.method.slice(0, 20))} is not an HTTP method`;
        return { error: reason, attempt: record({ verdict: 'denied', reason }) };
      }
      if (FORBIDDEN_METHODS.has(method)) {
        const reason = `method ${method} is not allowed: the sandbox makes ordinary requests, not tunnels (CONNECT) or echoes (TRACE, TRACK); use GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS`;
        return { error: reason, attempt: record({ verdict: 'denied', reason }) };
      }
      const checked = await checkDestination(policy, request.url, record);
      if ('denial' in checked) return checked.denial;
      const { target, address } = checked;
      const remaining = Math.min(requestTimeoutMs, deadline - now());
      if (remaining <= 0) {
        const reason = `allowed by "${target.rule}", but the run had no time left`;
        return { error: reason, attempt: record({ verdict: 'allowed', rule: target.rule, address, reason }) };
      }
      try {
        const response = await exchange(target.url, method, request, address, {
          timeoutMs: remaining,
          maxResponseBytes,
          ca: options.ca,
        });
        const reason = `allowed by "${target.rule}"`;
        return { response, attempt: record({ verdict: 'allowed', rule: target.rule, address, reason, status: response.status }) };
      } catch (error) {
        const reason = `allowed by "${target.rule}", but the request failed: ${(error as Error).message}`;
        return { error: reason, attempt: record({ verdict: 'allowed', rule: target.rule, address, reason }) };
      }
    },
    async tunnel(policy, { host, port }, { deadline }) {
      const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
      const url = `https://${hostPart}:${port}`;
      const record = recorder('CONNECT', url);
      if (!Number.isInteger(port) || port < 1 || port > 65_535) {
        const reason = `CONNECT needs a port from 1 to 65535, not ${JSON.stringify(String(port).slice(0, 20))}`;
        return { error: reason, attempt: record({ verdict: 'denied', reason }) };
      }
      const checked = await checkDestination(policy, `${url}/`, record);
      if ('denial' in checked) return checked.denial;
      const { target, address } = checked;
      const remaining = Math.min(requestTimeoutMs, deadline - now());
      try {
        const socket = await new Promise<Socket>((resolve, reject) => {
          const connection = connect({ host: address, port: target.port, timeout: Math.max(1, remaining) });
          connection.once('connect', () => {
            connection.setTimeout(0);
            resolve(connection);
          });
          connection.once('timeout', () => connection.destroy(new Error('the connection timed out')));
          connection.once('error', reject);
        });
        return { socket, attempt: record({ verdict: 'allowed', rule: target.rule, address, reason: `allowed by "${target.rule}"` }) };
      } catch (error) {
        const reason = `allowed by "${target.rule}", but the connection failed: ${(error as Error).message}`;
        return { error: reason, attempt: record({ verdict: 'allowed', rule: target.rule, address, reason }) };
      }
    },
  };
}

interface ExchangeOptions {
  timeoutMs: number;
  maxResponseBytes: number;
  ca: EgressGatewayOptions['ca'];
}

function exchange(url: URL, method: string, request: EgressRequest, address: string, options: ExchangeOptions): Promise<EgressResponse> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of request.headers) {
    const key = name.toLowerCase();
    if (DROPPED_REQUEST_HEADERS.has(key)) continue;
    const previous = headers[key];
    headers[key] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  headers['accept-encoding'] = 'identity';
  if (request.body && request.body.byteLength > 0) headers['content-length'] = String(request.body.byteLength);
  const family = address.includes(':') ? 6 : 4;
  // The connection goes to the checked address whatever the name resolves to by then.
  const pinnedLookup = ((_hostname: string, lookupOptions: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (lookupOptions?.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as unknown as LookupFunction;
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const outgoing = transport.request(
      url,
      {
        method,
        headers,
        lookup: pinnedLookup,
        signal: AbortSignal.timeout(Math.max(1, Math.ceil(options.timeoutMs))),
        agent: false,
        ...(options.ca ? { ca: options.ca } : {}),
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        let size = 0;
        incoming.on('data', (chunk: Buffer) => {
          size += chunk.byteLength;
          if (size > options.maxResponseBytes) {
            incoming.destroy(new Error(`the response body is larger than ${options.maxResponseBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        incoming.on('error', reject);
        incoming.on('end', () => {
          const responseHeaders: Array<[string, string]> = [];
          const raw = incoming.rawHeaders;
          for (let index = 0; index + 1 < raw.length; index += 2) {
            responseHeaders.push([raw[index] as string, raw[index + 1] as string]);
          }
          resolve({
            status: incoming.statusCode ?? 0,
            statusText: incoming.statusMessage ?? '',
            headers: responseHeaders,
            body: Buffer.concat(chunks),
            url: url.href,
          });
        });
      },
    );
    // A 101 answer hands the socket to 'upgrade' listeners and Node's client goes silent (no
    // response, no error, not even at its timeout), so a hostile server could hold the run.
    outgoing.on('upgrade', (_incoming, socket) => {
      socket.destroy();
      reject(new Error('the server switched protocols (101), which the sandbox cannot use'));
    });
    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      reject(new Error(error.name === 'AbortError' ? 'it timed out' : (error.code ?? error.message)));
    });
    outgoing.end(request.body && request.body.byteLength > 0 ? request.body : undefined);
  });
}
