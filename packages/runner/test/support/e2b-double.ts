/**
 * A TEST DOUBLE of E2B's cloud. E2B is a paid cloud API and cannot run on this machine, so the E2B
 * lane's tests run against this instead: a local `node:http` server on 127.0.0.1 that answers the
 * subset of E2B's wire format the lane uses, as E2B's SDK sources describe it (e2b-dev/E2B
 * packages/js-sdk, spec/envd; e2b-dev/code-interpreter template/server). It is not E2B: there is no
 * microVM and no network switch (the internet flag is only recorded), and a "sandbox" is a temporary
 * folder standing in for its `/`. The code itself runs for real, with this machine's `python3` or
 * `node` as a child process, so outputs, exceptions and files are real.
 *
 * - control plane: `POST /sandboxes`, `DELETE /sandboxes/{id}`, checking `X-API-KEY`;
 * - a sandbox's ports are reached the way E2B's shared sandbox host routes them, by the
 *   `E2b-Sandbox-Id` and `E2b-Sandbox-Port` headers (`sandboxUrl` gives the URL);
 * - envd (49983): `POST`/`GET /files` (`path`, `username`; `X-Access-Token`), and the Connect RPCs
 *   `filesystem.Filesystem/MakeDir` and `/ListDir` in JSON;
 * - code interpreter (49999): `POST /contexts`, and `POST /execute` answering an NDJSON stream of
 *   `number_of_executions`, `stdout`, `stderr`, `error`, `keepalive` and `end_of_execution`.
 * Every request is recorded, for the tests' assertions.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative } from 'node:path';

const ENVD_PORT = 49983;
const JUPYTER_PORT = 49999;
const TEMPLATE = 'code-interpreter-v1';

export interface RecordedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  /** For a sandbox's port: which sandbox and port the headers named. */
  readonly sandboxId?: string;
  readonly port?: number;
}

export interface DoubleSandbox {
  readonly id: string;
  /** The body of `POST /sandboxes`, as sent. */
  readonly created: Record<string, unknown>;
  readonly envdAccessToken: string;
  /** Absolute sandbox paths written through envd's `POST /files`. */
  readonly uploads: string[];
  /** True once `DELETE /sandboxes/{id}` came; false while it runs; 'expired' when its timeout ended it. */
  ended: boolean | 'expired';
  /** Programs still running in it. */
  readonly running: Set<ChildProcess>;
  readonly root: string;
}

export interface E2bDouble {
  /** The control plane's URL (the lane's `apiUrl`). */
  readonly url: string;
  readonly apiKey: string;
  /** The lane's `sandboxUrl`: every port is this server, routed by headers. */
  sandboxUrl(port: number, sandboxId: string): string;
  readonly requests: RecordedRequest[];
  readonly sandboxes: DoubleSandbox[];
  /** The next request whose method and path (without query) match answers `status` instead. */
  failNext(method: string, path: string, status: number): void;
  close(): Promise<void>;
}

interface Context {
  readonly language: 'python' | 'javascript';
  /** Sandbox path. */
  readonly cwd: string;
}

// Runs the cell as a script and reports an uncaught exception on fd 3, as the kernel's `error` message.
const PYTHON_CELL = `
import json, os, sys, traceback
report = os.fdopen(3, "w")
source = sys.stdin.read()
sys.stdin = open(os.devnull)
try:
    exec(compile(source, "<cell>", "exec"), {"__name__": "__main__"})
except SystemExit as exit_request:
    report.write(json.dumps({"name": "SystemExit", "value": "" if exit_request.code is None else str(exit_request.code), "traceback": ""}))
except BaseException as error:
    report.write(json.dumps({"name": type(error).__name__, "value": str(error), "traceback": "".join(traceback.format_exception(error))}))
`;
const NODE_CELL = `
const fs = require('node:fs');
const vm = require('node:vm');
const source = fs.readFileSync(0, 'utf8');
let reported = false;
const report = (error) => {
  if (reported) return;
  reported = true;
  fs.writeSync(3, JSON.stringify({ name: error?.name ?? 'Error', value: error?.message ?? String(error), traceback: error?.stack ?? '' }));
};
process.on('uncaughtException', report);
process.on('unhandledRejection', report);
globalThis.require = require;
try { vm.runInThisContext(source, { filename: 'cell.js' }); } catch (error) { report(error); }
`;

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/** A Connect RPC error: HTTP status by code, body `{code, message}`. */
function sendConnectError(response: ServerResponse, status: number, code: string, message: string): void {
  sendJson(response, status, { code, message });
}

/** Starts the double on a free port of 127.0.0.1. */
export async function startE2bDouble(options: { apiKey?: string; keepaliveMs?: number } = {}): Promise<E2bDouble> {
  const apiKey = options.apiKey ?? `e2b_${randomBytes(20).toString('hex')}`;
  const keepaliveMs = options.keepaliveMs ?? 5_000;
  const requests: RecordedRequest[] = [];
  const sandboxes: DoubleSandbox[] = [];
  /** By `<sandbox id>/<context id>`. */
  const contexts = new Map<string, Context>();
  const failures: Array<{ method: string; path: string; status: number }> = [];
  const expiries = new Set<NodeJS.Timeout>();
  let executions = 0;

  /** A sandbox path inside the sandbox's folder; relative paths are from /home/user, as envd resolves them. */
  const hostPath = (sandbox: DoubleSandbox, path: string) => join(sandbox.root, posix.resolve('/home/user', path).replace(/^\/+/, ''));
  const sandboxPath = (sandbox: DoubleSandbox, host: string) => `/${relative(sandbox.root, host).split('\\').join('/')}`;

  /** Ends a sandbox once its programs are dead, as E2B answers a kill once the microVM is gone. */
  async function end(sandbox: DoubleSandbox, how: true | 'expired'): Promise<void> {
    sandbox.ended = how;
    const exits = [...sandbox.running].map((child) => new Promise((resolve) => child.once('close', resolve)));
    for (const child of sandbox.running) child.kill('SIGKILL');
    await Promise.all(exits);
  }

  async function controlPlane(request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
    // Says which key it refused, so the tests see that the lane keeps a key out of its reasons even then.
    if (request.headers['x-api-key'] !== apiKey) {
      return sendJson(response, 401, { code: 401, message: `Invalid API key: ${String(request.headers['x-api-key'] ?? '')}` });
    }
    if (request.method === 'POST' && path === '/sandboxes') {
      const created = JSON.parse((await readBody(request)).toString('utf8')) as Record<string, unknown>;
      if (typeof created.templateID !== 'string') return sendJson(response, 400, { code: 400, message: 'templateID is required' });
      if (created.templateID !== TEMPLATE)
        return sendJson(response, 404, { code: 404, message: `template '${created.templateID}' not found` });
      const timeout = typeof created.timeout === 'number' ? created.timeout : 15;
      const sandbox: DoubleSandbox = {
        id: `i${randomBytes(10).toString('hex')}`,
        created,
        envdAccessToken: randomBytes(16).toString('hex'),
        uploads: [],
        ended: false,
        running: new Set(),
        root: await mkdtemp(join(tmpdir(), 'e2b-double-')),
      };
      await mkdir(join(sandbox.root, 'home/user'), { recursive: true });
      sandboxes.push(sandbox);
      const expiry = setTimeout(() => void end(sandbox, 'expired'), timeout * 1000);
      expiry.unref();
      expiries.add(expiry);
      return sendJson(response, 201, {
        alias: TEMPLATE,
        clientID: '6532622b',
        envdVersion: '0.5.7',
        envdAccessToken: sandbox.envdAccessToken,
        sandboxID: sandbox.id,
        templateID: TEMPLATE,
        domain: null,
        trafficAccessToken: null,
      });
    }
    const killed = request.method === 'DELETE' ? /^\/sandboxes\/([^/]+)$/.exec(path) : null;
    if (killed) {
      const sandbox = sandboxes.find((candidate) => candidate.id === decodeURIComponent(killed[1] ?? '') && candidate.ended !== true);
      if (!sandbox) return sendJson(response, 404, { code: 404, message: `sandbox "${killed[1]}" not found` });
      await end(sandbox, true);
      response.writeHead(204).end();
      return;
    }
    sendJson(response, 404, { code: 404, message: `no route ${request.method} ${path}` });
  }

  async function envd(sandbox: DoubleSandbox, request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    if (request.headers['x-access-token'] !== sandbox.envdAccessToken) {
      return sendJson(response, 401, { code: 401, message: 'unauthorized access, please provide a valid access token' });
    }
    if (url.pathname === '/files') {
      const username = url.searchParams.get('username');
      if (username !== null && username !== 'user' && username !== 'root')
        return sendJson(response, 401, { code: 401, message: `error looking up user '${username}'` });
      const path = url.searchParams.get('path');
      if (request.method === 'GET') {
        if (!path) return sendJson(response, 400, { code: 400, message: 'path is required' });
        const file = hostPath(sandbox, path);
        const info = await stat(file).catch(() => undefined);
        if (!info) return sendJson(response, 404, { code: 404, message: `path '${path}' does not exist` });
        if (info.isDirectory()) return sendJson(response, 400, { code: 400, message: `path '${path}' is a directory` });
        const content = await readFile(file);
        response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': content.byteLength });
        response.end(content);
        return;
      }
      if (request.method === 'POST') {
        const body = await readBody(request);
        const type = String(request.headers['content-type'] ?? '');
        const written: Array<{ path: string; content: Buffer }> = [];
        if (type.startsWith('multipart/form-data')) {
          const form = await new Response(new Uint8Array(body), { headers: { 'content-type': type } }).formData();
          for (const entry of form.getAll('file')) {
            if (typeof entry === 'string') continue;
            written.push({ path: path ?? entry.name, content: Buffer.from(await entry.arrayBuffer()) });
          }
        } else if (type.startsWith('application/octet-stream') && path) {
          written.push({ path, content: body });
        } else {
          return sendJson(response, 400, { code: 400, message: 'expected multipart/form-data, or application/octet-stream with a path' });
        }
        const entries = [];
        for (const file of written) {
          const absolute = posix.resolve('/home/user', file.path);
          await mkdir(dirname(hostPath(sandbox, absolute)), { recursive: true });
          await writeFile(hostPath(sandbox, absolute), file.content);
          sandbox.uploads.push(absolute);
          entries.push({ path: absolute, name: posix.basename(absolute), type: 'file' });
        }
        return sendJson(response, 200, entries);
      }
    }
    if (request.method === 'POST' && url.pathname.startsWith('/filesystem.Filesystem/')) {
      // The RPCs name their user in HTTP Basic auth, `<user>:` (e2b-dev/E2B packages/js-sdk/src/envd/rpc.ts).
      const user = Buffer.from(String(request.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString('utf8');
      if (user !== 'user:' && user !== 'root:') return sendConnectError(response, 401, 'unauthenticated', 'invalid user');
      const message = JSON.parse((await readBody(request)).toString('utf8') || '{}') as { path?: string; depth?: number };
      const path = posix.resolve('/home/user', message.path ?? '');
      const folder = hostPath(sandbox, path);
      if (url.pathname.endsWith('/MakeDir')) {
        if (await stat(folder).catch(() => undefined))
          return sendConnectError(response, 409, 'already_exists', `directory already exists: ${path}`);
        await mkdir(folder, { recursive: true });
        return sendJson(response, 200, { entry: { name: posix.basename(path), type: 'FILE_TYPE_DIRECTORY', path } });
      }
      if (url.pathname.endsWith('/ListDir')) {
        if (!(await stat(folder).catch(() => undefined))?.isDirectory())
          return sendConnectError(response, 404, 'not_found', `directory not found: ${path}`);
        return sendJson(response, 200, { entries: await listDir(sandbox, folder, message.depth || 1) });
      }
    }
    sendJson(response, 404, { code: 404, message: `no route ${request.method} ${url.pathname}` });
  }

  /** envd's ListDir in proto3 JSON: enum names, int64 as a string, default values left out; links not followed. */
  async function listDir(sandbox: DoubleSandbox, folder: string, depth: number, level = 1): Promise<object[]> {
    const entries: object[] = [];
    for (const name of (await readdir(folder)).sort()) {
      const host = join(folder, name);
      const info = await lstat(host);
      const type = info.isSymbolicLink()
        ? 'FILE_TYPE_SYMLINK'
        : info.isDirectory()
          ? 'FILE_TYPE_DIRECTORY'
          : info.isFile()
            ? 'FILE_TYPE_FILE'
            : undefined;
      entries.push({
        name,
        ...(type ? { type } : {}),
        path: sandboxPath(sandbox, host),
        ...(info.size > 0 ? { size: String(info.size) } : {}),
        mode: info.mode & 0o777,
        permissions: '-rw-r--r--',
        owner: 'user',
        group: 'user',
        modifiedTime: info.mtime.toISOString(),
        ...(info.isSymbolicLink() ? { symlinkTarget: await readlink(host) } : {}),
      });
      if (type === 'FILE_TYPE_DIRECTORY' && level < depth) entries.push(...(await listDir(sandbox, host, depth, level + 1)));
    }
    return entries;
  }

  async function codeInterpreter(sandbox: DoubleSandbox, request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    if (request.method === 'POST' && url.pathname === '/contexts') {
      const body = JSON.parse((await readBody(request)).toString('utf8') || '{}') as { language?: string; cwd?: string };
      const language = body.language ?? 'python';
      if (language !== 'python' && language !== 'javascript') return void response.writeHead(500).end(`no kernel for ${language}`);
      const cwd = body.cwd ?? '/home/user';
      if (!(await stat(hostPath(sandbox, cwd)).catch(() => undefined))?.isDirectory()) {
        return void response.writeHead(500).end('Failed to set working directory');
      }
      const id = randomUUID();
      contexts.set(`${sandbox.id}/${id}`, { language, cwd });
      return sendJson(response, 200, { id, language, cwd });
    }
    if (request.method === 'POST' && url.pathname === '/execute') {
      const body = JSON.parse((await readBody(request)).toString('utf8')) as { code?: unknown; context_id?: string; language?: string };
      if (body.context_id && body.language) return void response.writeHead(400).end('Only one of context_id or language can be provided');
      const context = body.context_id
        ? contexts.get(`${sandbox.id}/${body.context_id}`)
        : { language: 'python' as const, cwd: '/home/user' };
      if (!context) return void response.writeHead(404).end(`Context ${body.context_id} not found`);
      if (typeof body.code !== 'string') return sendJson(response, 422, { detail: 'code must be a string' });
      return execute(sandbox, context, body.code, response);
    }
    response.writeHead(404).end('Not Found');
  }

  function execute(sandbox: DoubleSandbox, context: Context, code: string, response: ServerResponse): void {
    const child = spawn(
      context.language === 'python' ? 'python3' : 'node',
      context.language === 'python' ? ['-u', '-c', PYTHON_CELL] : ['-e', NODE_CELL],
      {
        cwd: hostPath(sandbox, context.cwd),
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: join(sandbox.root, 'home/user'), LANG: 'C.UTF-8' },
        stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      },
    );
    sandbox.running.add(child);
    const line = (message: object) => response.write(`${JSON.stringify(message)}\n`);
    response.writeHead(200);
    line({ type: 'number_of_executions', execution_count: ++executions });
    for (const stream of ['stdout', 'stderr'] as const) {
      const decoder = new TextDecoder();
      child[stream].on('data', (chunk: Buffer) => {
        const text = decoder.decode(chunk, { stream: true });
        if (text) line({ type: stream, text, timestamp: new Date().toISOString() });
      });
    }
    const report: Buffer[] = [];
    child.stdio[3]?.on('data', (chunk: Buffer) => report.push(chunk));
    child.stdin.end(code);
    const keepalive = setInterval(() => line({ type: 'keepalive' }), keepaliveMs);
    // The client went away mid-run: the real server interrupts the kernel.
    response.on('close', () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    child.on('close', () => {
      clearInterval(keepalive);
      sandbox.running.delete(child);
      if (response.destroyed) return;
      const error = Buffer.concat(report).toString('utf8');
      if (error) line({ type: 'error', ...(JSON.parse(error) as object) });
      else if (child.signalCode) line({ type: 'error', name: 'ContextRestarting', value: 'Context was restarted', traceback: '' });
      response.end('{"type": "end_of_execution"}\n');
    });
  }

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const sandboxId = request.headers['e2b-sandbox-id'];
    const port = Number(request.headers['e2b-sandbox-port']);
    requests.push({
      method: request.method ?? 'GET',
      url: request.url ?? '/',
      ...(typeof sandboxId === 'string' ? { sandboxId, port } : {}),
    });
    const failure = failures.findIndex((candidate) => candidate.method === request.method && candidate.path === url.pathname);
    if (failure !== -1) {
      const [{ status } = { status: 500 }] = failures.splice(failure, 1);
      request.resume();
      return sendJson(response, status, { code: status, message: 'failure injected by the test double' });
    }
    const handle = async () => {
      if (typeof sandboxId !== 'string') return controlPlane(request, response, url.pathname);
      const sandbox = sandboxes.find((candidate) => candidate.id === sandboxId);
      // E2B's proxy answers 502 for a sandbox that is not running.
      if (!sandbox || sandbox.ended) return sendJson(response, 502, { code: 502, message: `The sandbox ${sandboxId} was not found` });
      if (port === ENVD_PORT) return envd(sandbox, request, response, url);
      if (port === JUPYTER_PORT) return codeInterpreter(sandbox, request, response, url);
      return sendJson(response, 502, { code: 502, message: `The sandbox is running but port ${port} is not open` });
    };
    handle().catch((error: Error) => {
      if (!response.headersSent) sendJson(response, 500, { code: 500, message: error.message });
      else response.destroy(error);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    apiKey,
    sandboxUrl: () => url,
    requests,
    sandboxes,
    failNext(method, path, status) {
      failures.push({ method, path, status });
    },
    async close() {
      for (const expiry of expiries) clearTimeout(expiry);
      for (const sandbox of sandboxes) for (const child of sandbox.running) child.kill('SIGKILL');
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all(sandboxes.map((sandbox) => rm(sandbox.root, { recursive: true, force: true })));
    },
  };
}
