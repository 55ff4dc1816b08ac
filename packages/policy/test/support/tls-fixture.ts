/**
 * A real HTTPS server on 127.0.0.1 whose certificate, for `secure.test`, is signed by a throwaway
 * CA made with the system's openssl. The runner trusts the CA only when a test passes it in.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TlsFixture {
  readonly port: number;
  readonly ca: string;
  close(): Promise<void>;
}

export async function startTlsFixture(hostname = 'secure.test'): Promise<TlsFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'umca-tls-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=UMCA test CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
  );
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${hostname}`, '-keyout', 'server.key', '-out', 'server.csr');
  execFileSync('sh', ['-c', `printf 'subjectAltName=DNS:${hostname}' > ext.cnf`], { cwd: dir });
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    'ext.cnf',
    '-out',
    'server.pem',
  );
  const server: Server = createServer(
    { key: readFileSync(join(dir, 'server.key')), cert: readFileSync(join(dir, 'server.pem')) },
    (request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' }).end(`secure hello, you asked for ${request.headers.host}`);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
