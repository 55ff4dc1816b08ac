/**
 * @module egress-proxy
 * The container lane's way out: an HTTP proxy on a Unix socket in the run's folder, the only
 * thing the sandbox (which has no network but loopback) can reach. Programs use it through
 * HTTP_PROXY/HTTPS_PROXY (python's urllib, requests, pip do): a plain `http://` request is made
 * by the egress gateway under the run's policy, as for every lane; an HTTPS `CONNECT host:port`
 * becomes a tunnel to an address the gateway checked. Every attempt is recorded.
 */
import { chmodSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { EgressAttempt, EgressPolicyV1 } from '@umca/contracts';
import type { EgressGateway } from '@umca/policy';

const MAX_ATTEMPTS = 100;
const MAX_REQUEST_BODY_BYTES = 10 * 1_048_576;

export interface EgressProxy {
  close(): Promise<void>;
}

export interface EgressProxyOptions {
  socketPath: string;
  gateway: EgressGateway;
  policy: EgressPolicyV1;
  deadline: () => number;
  onAttempt: (attempt: EgressAttempt) => void;
}

function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > MAX_REQUEST_BODY_BYTES) {
        request.destroy();
        resolve(undefined);
      } else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', () => resolve(undefined));
  });
}

/** `host:port` of a CONNECT line, IPv6 in brackets; undefined when it is not one. */
function connectTarget(authority: string | undefined): { host: string; port: number } | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]/]+):(\d{1,5})$/.exec(authority ?? '');
  if (!match?.[1] || !match[2]) return undefined;
  return { host: match[1].replace(/^\[|\]$/g, ''), port: Number(match[2]) };
}

export async function startEgressProxy(options: EgressProxyOptions): Promise<EgressProxy> {
  const { gateway, policy } = options;
  let attempts = 0;
  const sockets = new Set<Socket>();
  const counted = (attempt: EgressAttempt) => {
    attempts++;
    options.onAttempt(attempt);
  };
  const server: Server = createServer(async (request, response) => {
    if (attempts >= MAX_ATTEMPTS) {
      response.writeHead(429, { 'content-type': 'text/plain' }).end(`a run may make at most ${MAX_ATTEMPTS} outbound requests\n`);
      return;
    }
    const body = await readBody(request);
    if (!body) {
      response.writeHead(413, { 'content-type': 'text/plain' }).end(`a request body may be at most ${MAX_REQUEST_BODY_BYTES} bytes\n`);
      return;
    }
    const headers: Array<[string, string]> = [];
    for (let index = 0; index + 1 < request.rawHeaders.length; index += 2) {
      headers.push([request.rawHeaders[index] as string, request.rawHeaders[index + 1] as string]);
    }
    const outcome = await gateway.send(
      policy,
      { method: request.method ?? 'GET', url: request.url ?? '', headers, body },
      { deadline: options.deadline() },
    );
    counted(outcome.attempt);
    if (!outcome.response) {
      response.writeHead(403, { 'content-type': 'text/plain' }).end(`${outcome.error ?? 'the request failed'}\n`);
      return;
    }
    const { status, headers: replyHeaders, body: replyBody } = outcome.response;
    const kept = replyHeaders.filter(([name]) => !/^(transfer-encoding|content-length|connection|keep-alive)$/i.test(name));
    response.writeHead(status, [...kept.flat(), 'content-length', String(replyBody.byteLength)]).end(replyBody);
  });
  server.on('connect', async (request: IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    const target = connectTarget(request.url);
    if (attempts >= MAX_ATTEMPTS || !target) {
      client.end(`HTTP/1.1 ${target ? '429 Too Many Requests' : '400 Bad Request'}\r\nconnection: close\r\n\r\n`);
      return;
    }
    const outcome = await gateway.tunnel(policy, target, { deadline: options.deadline() });
    counted(outcome.attempt);
    if (!outcome.socket) {
      client.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${outcome.error ?? 'refused'}\n`);
      return;
    }
    const upstream = outcome.socket;
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.byteLength > 0) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.socketPath, () => resolve());
  });
  // The run's own uid connects to it (as root, not the server's).
  chmodSync(options.socketPath, 0o777);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
