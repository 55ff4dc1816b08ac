/**
 * A real HTTP server on 127.0.0.1 and a random port, for egress tests. Records every request it
 * receives, so a test can prove that a denied request never reached it.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpFixture {
  readonly origin: string;
  readonly port: number;
  readonly received: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }>;
  close(): Promise<void>;
}

export async function startHttpFixture(): Promise<HttpFixture> {
  const received: HttpFixture['received'] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      const url = new URL(request.url ?? '/', 'http://fixture');
      if (url.pathname === '/redirect') {
        response.writeHead(302, { location: url.searchParams.get('to') ?? '/hello' }).end();
      } else if (url.pathname === '/big') {
        response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.alloc(2 * 1_048_576, 7));
      } else if (url.pathname === '/echo') {
        response
          .writeHead(200, { 'content-type': 'application/json', 'x-fixture': 'yes' })
          .end(JSON.stringify({ method: request.method, body, header: request.headers['x-test'] ?? null }));
      } else if (url.pathname === '/switch') {
        // A hostile server: switches protocols nobody asked for, then keeps the socket open.
        request.socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: nothing\r\n\r\n');
      } else if (url.pathname === '/slow') {
        setTimeout(() => response.writeHead(200).end('late'), 5_000).unref();
      } else {
        response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('hello from the fixture ✓');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
