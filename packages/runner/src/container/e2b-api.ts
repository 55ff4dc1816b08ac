/**
 * @module e2b-api
 * E2B's wire protocol, as the E2B lane uses it: the control-plane API (create and kill a sandbox),
 * envd's filesystem RPCs and `/files`, and the code-interpreter server's `/contexts` and NDJSON
 * `/execute`. Every failure (network, timeout, HTTP status, an answer not as described) is an E2bFailure.
 *
 * The wire format is read from E2B's SDK sources (none of their code is copied); each function
 * names the file it follows. `e2b-dev/E2B` is the base SDK, `e2b-dev/code-interpreter` the template
 * and its SDK.
 */
import { z } from 'zod';

export interface E2bApiOptions {
  /** E2B API key; a composition root reads it from UMCA_E2B_API_KEY. It never appears in a result. */
  readonly apiKey: string;
  /** E2B's control-plane API. Default `https://api.e2b.app` (UMCA_E2B_API_URL). */
  readonly apiUrl?: string;
  /** Domain the sandboxes are served under when E2B's answer names none. Default `e2b.app`. */
  readonly domain?: string;
  /** Sandbox template. Default `code-interpreter-v1`, the code-interpreter SDK's. */
  readonly template?: string;
  readonly fetch?: typeof fetch;
  /** Base URL of one port of a sandbox. Default `https://<port>-<sandboxId>.<domain>`; tests point it at a double. */
  readonly sandboxUrl?: (port: number, sandboxId: string) => string;
}

// e2b-dev/E2B packages/js-sdk/src/connectionConfig.ts: `https://api.${domain}`, domain `e2b.app`,
// REQUEST_TIMEOUT_MS; code-interpreter js/src/sandbox.ts: defaultTemplate.
const DEFAULT_DOMAIN = 'e2b.app';
const DEFAULT_TEMPLATE = 'code-interpreter-v1';
const REQUEST_TIMEOUT_MS = 60_000;
/**
 * Who envd acts as. The template's Jupyter server, so the program, runs as root
 * (code-interpreter template/systemd/jupyter.service has no User=): as root, envd can read back
 * whatever the program wrote, whatever its mode.
 */
const SANDBOX_USER = 'root';
// e2b-dev/E2B packages/js-sdk/src/sandbox/index.ts (envdPort); code-interpreter js/src/consts.ts (JUPYTER_PORT).
const ENVD_PORT = 49983;
const JUPYTER_PORT = 49999;
/** E2B kills the sandbox itself this long after the run's limit, should our kill never arrive. */
const SANDBOX_GRACE_MS = 60_000;
/** Deep enough for any path of 255 characters. */
const LIST_DEPTH = 128;
const MAX_LISTING_BYTES = 8 * 1_048_576;
/** Names the code-interpreter server gives its own failures (template/server/messaging.py), not the program's. */
export const INTERPRETER_FAILURES = new Set(['ContextRestarting', 'UnexpectedEndOfExecution', 'WebSocketError', 'ExecutionAborted']);

/** A failure of E2B's API or of its answer: the run ends `crashed` with this reason. */
export class E2bFailure extends Error {}

export interface E2bSandbox {
  readonly id: string;
  readonly envdUrl: string;
  readonly jupyterUrl: string;
  /** Headers of every request to a port (e2b-dev/E2B packages/js-sdk/src/sandbox/index.ts, code-interpreter js/src/sandbox.ts). */
  headers(port: number): Record<string, string>;
  readonly secrets: readonly string[];
}

// e2b-dev/E2B packages/js-sdk/src/api/schema.gen.ts: `Sandbox` (clientID is deprecated and unused here).
const createdSandboxSchema = z.object({
  sandboxID: z.string().min(1),
  envdVersion: z.string(),
  envdAccessToken: z.string().optional(),
  trafficAccessToken: z.string().nullish(),
  domain: z.string().nullish(),
});
// code-interpreter template/server/api/models/context.py.
const contextSchema = z.object({ id: z.string().min(1) });
// e2b-dev/E2B spec/envd/filesystem/filesystem.proto, in proto3 JSON: enum names, int64 as a string,
// fields at their default value left out.
const listingSchema = z.object({
  entries: z
    .array(
      z.object({
        path: z.string(),
        type: z.string().default('FILE_TYPE_UNSPECIFIED'),
        size: z.union([z.string(), z.number()]).default(0),
        symlinkTarget: z.string().optional(),
      }),
    )
    .default([]),
});
export type ListingEntry = z.infer<typeof listingSchema>['entries'][number];
// code-interpreter template/server/api/models/{logs,error,output}.py, as js/src/messaging.ts parseOutput reads them.
const executionLineSchema = z.object({
  type: z.string(),
  text: z.string().nullish(),
  name: z.string().nullish(),
  value: z.string().nullish(),
  traceback: z.string().nullish(),
});
export type ExecutionLine = z.infer<typeof executionLineSchema>;

/** The calls the E2B lane makes; `stop` aborts a call as the run is stopped. */
export interface E2bApi {
  /** Creates a sandbox that E2B ends itself SANDBOX_GRACE_MS after `timeoutMs`, should it not be killed. */
  createSandbox(timeoutMs: number): Promise<E2bSandbox>;
  /** Kills a sandbox; one gone already is fine. Never throws. */
  killSandbox(id: string): Promise<void>;
  /** Makes a folder; one that is there already is fine. */
  makeDir(sandbox: E2bSandbox, path: string, stop: AbortSignal): Promise<void>;
  /** Everything under `path`, at any depth; undefined when the listing is larger than MAX_LISTING_BYTES. */
  listDir(sandbox: E2bSandbox, path: string, stop: AbortSignal): Promise<ListingEntry[] | undefined>;
  upload(sandbox: E2bSandbox, path: string, content: Buffer<ArrayBuffer>, stop: AbortSignal): Promise<void>;
  /** A file's content; undefined when it holds more than `maxBytes`, null when it is gone. */
  readFile(sandbox: E2bSandbox, path: string, maxBytes: number, stop: AbortSignal): Promise<Buffer | undefined | null>;
  /** Creates a kernel of `language` working in `cwd`; returns its context id. */
  createContext(sandbox: E2bSandbox, language: 'python' | 'javascript', cwd: string, stop: AbortSignal): Promise<string>;
  /** Runs the code, passing on its output as it comes; returns the program's `error` message, if any. */
  runCode(
    sandbox: E2bSandbox,
    contextId: string,
    code: string,
    onOutput: (stream: 'stdout' | 'stderr', text: string) => void,
    stop: AbortSignal,
  ): Promise<ExecutionLine | undefined>;
}

/** Reads at most `maxBytes` of a body; undefined when it holds more. */
async function readBounded(response: Response, maxBytes: number): Promise<Buffer | undefined> {
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (let part = await reader.read(); !part.done; part = await reader.read()) {
    total += part.value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(part.value);
  }
  return Buffer.concat(chunks);
}

/** What went wrong with a request, in a few words. */
export function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? `${error.message} (${code})` : error.message;
}

const HINTS: Record<number, string> = {
  401: '; check the E2B API key (UMCA_E2B_API_KEY)',
  403: '; check the E2B API key (UMCA_E2B_API_KEY) and what its team may do',
  429: '; E2B is limiting the rate or the number of sandboxes: try again later, or raise the plan’s concurrency',
  502: '; the sandbox is no longer running',
  507: '; the sandbox’s disk is full',
};

function parseJson<Schema extends z.ZodType>(what: string, status: number, body: Buffer, schema: Schema): z.infer<Schema> {
  let parsed: z.ZodSafeParseResult<z.infer<Schema>> | undefined;
  try {
    parsed = schema.safeParse(JSON.parse(body.toString('utf8')));
  } catch {}
  if (!parsed?.success) throw new E2bFailure(`E2B answered ${what} (HTTP ${status}) with a body that is not what its API describes`);
  return parsed.data;
}

async function readJson<Schema extends z.ZodType>(what: string, response: Response, schema: Schema): Promise<z.infer<Schema>> {
  const body = await readBounded(response, 1_048_576);
  if (!body) throw new E2bFailure(`E2B answered ${what} with more than 1 MiB`);
  return parseJson(what, response.status, body, schema);
}

/**
 * E2B's API for one key.
 *
 * @example
 * const api = createE2bApi({ apiKey: process.env.UMCA_E2B_API_KEY ?? '' });
 * const sandbox = await api.createSandbox(10_000);
 */
export function createE2bApi(options: E2bApiOptions): E2bApi {
  const apiUrl = (options.apiUrl ?? `https://api.${DEFAULT_DOMAIN}`).replace(/\/+$/, '');
  const template = options.template ?? DEFAULT_TEMPLATE;
  const fetchImpl = options.fetch ?? fetch;

  /** One request to E2B; every failure (network, timeout, HTTP status) becomes an E2bFailure naming it. */
  async function send(
    what: string,
    url: string,
    init: RequestInit & { stop?: AbortSignal; streaming?: boolean; tolerate?: number },
  ): Promise<Response> {
    const { stop, streaming, tolerate, ...request } = init;
    // A streamed answer is bounded by the run's time limit, not by a request timeout.
    const signals = [...(streaming ? [] : [AbortSignal.timeout(REQUEST_TIMEOUT_MS)]), ...(stop ? [stop] : [])];
    let response: Response;
    try {
      response = await fetchImpl(url, { ...request, signal: AbortSignal.any(signals) });
    } catch (error) {
      if (stop?.aborted) throw error;
      throw new E2bFailure(`E2B could not be reached for ${what}: ${describeCause(error)}`);
    }
    if (response.ok || response.status === tolerate) return response;
    const body = (await readBounded(response, 64 * 1024).catch(() => undefined))?.toString('utf8') ?? '';
    let message = body;
    try {
      const parsed = JSON.parse(body) as { message?: unknown };
      if (typeof parsed?.message === 'string') message = parsed.message;
    } catch {}
    const shown = message.trim().replace(/\s+/g, ' ').slice(0, 300);
    throw new E2bFailure(`E2B answered ${what} with HTTP ${response.status}${shown ? `: ${shown}` : ''}${HINTS[response.status] ?? ''}`);
  }

  /** e2b-dev/E2B packages/js-sdk/src/sandbox/sandboxApi.ts (createSandbox) and api/index.ts (X-API-KEY). */
  async function createSandbox(timeoutMs: number): Promise<E2bSandbox> {
    const response = await send('POST /sandboxes', `${apiUrl}/sandboxes`, {
      method: 'POST',
      headers: { 'X-API-KEY': options.apiKey, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        templateID: template,
        timeout: Math.ceil((timeoutMs + SANDBOX_GRACE_MS) / 1000),
        secure: true,
        // The runs sent here allow no outbound host (see the lane's `refusal`): no network at all.
        allow_internet_access: false,
        metadata: { createdBy: 'umca' },
      }),
    });
    const created = await readJson('POST /sandboxes', response, createdSandboxSchema);
    const id = created.sandboxID;
    const domain = created.domain || options.domain || DEFAULT_DOMAIN;
    // e2b-dev/E2B packages/js-sdk/src/connectionConfig.ts (getHost, getSandboxDirectUrl).
    const urlOf = (port: number) =>
      (options.sandboxUrl ? options.sandboxUrl(port, id) : `https://${port}-${id}.${domain}`).replace(/\/+$/, '');
    const secrets = [created.envdAccessToken, created.trafficAccessToken].filter((secret): secret is string => !!secret);
    return {
      id,
      envdUrl: urlOf(ENVD_PORT),
      jupyterUrl: urlOf(JUPYTER_PORT),
      secrets,
      headers: (port) => ({
        'E2b-Sandbox-Id': id,
        'E2b-Sandbox-Port': String(port),
        ...(created.envdAccessToken ? { 'X-Access-Token': created.envdAccessToken } : {}),
        ...(port === JUPYTER_PORT && created.trafficAccessToken ? { 'E2B-Traffic-Access-Token': created.trafficAccessToken } : {}),
      }),
    };
  }

  /** DELETE /sandboxes/{sandboxID} (sandboxApi.ts `kill`); 404 means it is gone already. Never throws. */
  function killSandbox(id: string): Promise<void> {
    return send(`DELETE /sandboxes/${id}`, `${apiUrl}/sandboxes/${encodeURIComponent(id)}`, {
      method: 'DELETE',
      headers: { 'X-API-KEY': options.apiKey },
      tolerate: 404,
    }).then(
      (response) => response.body?.cancel(),
      // E2B ends it at its own timeout (the run's limit and SANDBOX_GRACE_MS) when this fails.
      () => undefined,
    );
  }

  /** envd's Connect RPC, JSON unary (e2b-dev/E2B packages/js-sdk/src/envd/rpc.ts authenticationHeader, filesystem_connect.ts). */
  function callFilesystem(sandbox: E2bSandbox, method: 'MakeDir' | 'ListDir', message: object, stop: AbortSignal, tolerate?: number) {
    return send(`envd filesystem.Filesystem/${method}`, `${sandbox.envdUrl}/filesystem.Filesystem/${method}`, {
      method: 'POST',
      headers: {
        ...sandbox.headers(ENVD_PORT),
        'Content-Type': 'application/json',
        'Connect-Protocol-Version': '1',
        Authorization: `Basic ${Buffer.from(`${SANDBOX_USER}:`).toString('base64')}`,
      },
      body: JSON.stringify(message),
      stop,
      ...(tolerate ? { tolerate } : {}),
    });
  }

  /** envd's /files with `path` and `username` (e2b-dev/E2B packages/js-sdk/src/sandbox/filesystem/index.ts, spec/envd/envd.yaml). */
  const filesUrl = (sandbox: E2bSandbox, path: string) =>
    `${sandbox.envdUrl}/files?${new URLSearchParams({ path, username: SANDBOX_USER }).toString()}`;

  async function listDir(sandbox: E2bSandbox, path: string, stop: AbortSignal): Promise<ListingEntry[] | undefined> {
    const listed = await callFilesystem(sandbox, 'ListDir', { path, depth: LIST_DEPTH }, stop);
    const body = await readBounded(listed, MAX_LISTING_BYTES);
    if (!body) return undefined;
    return parseJson('envd filesystem.Filesystem/ListDir', listed.status, body, listingSchema).entries;
  }

  async function upload(sandbox: E2bSandbox, path: string, content: Buffer<ArrayBuffer>, stop: AbortSignal): Promise<void> {
    // multipart/form-data, field `file`: what the SDK sends by default, and every envd version takes.
    const form = new FormData();
    form.append('file', new Blob([content]), path);
    const response = await send('envd POST /files', filesUrl(sandbox, path), {
      method: 'POST',
      headers: sandbox.headers(ENVD_PORT),
      body: form,
      stop,
    });
    await response.body?.cancel();
  }

  async function readFile(sandbox: E2bSandbox, path: string, maxBytes: number, stop: AbortSignal) {
    const response = await send('envd GET /files', filesUrl(sandbox, path), {
      headers: sandbox.headers(ENVD_PORT),
      stop,
      tolerate: 404,
    });
    if (response.status !== 404) return readBounded(response, maxBytes);
    await response.body?.cancel();
    return null;
  }

  /** Creates a kernel whose working directory is `cwd` (code-interpreter js/src/sandbox.ts createCodeContext). */
  async function createContext(sandbox: E2bSandbox, language: 'python' | 'javascript', cwd: string, stop: AbortSignal): Promise<string> {
    const response = await send('code-interpreter POST /contexts', `${sandbox.jupyterUrl}/contexts`, {
      method: 'POST',
      headers: { ...sandbox.headers(JUPYTER_PORT), 'Content-Type': 'application/json' },
      body: JSON.stringify({ language, cwd }),
      stop,
    });
    return (await readJson('code-interpreter POST /contexts', response, contextSchema)).id;
  }

  /**
   * Runs the code and streams its output (code-interpreter js/src/sandbox.ts runCode, the NDJSON of
   * template/server/stream.py). `result` (a cell's value), `number_of_executions` and `keepalive`
   * are not a script's output and are left out. Returns the program's `error` message, if any.
   */
  async function runCode(
    sandbox: E2bSandbox,
    contextId: string,
    code: string,
    onOutput: (stream: 'stdout' | 'stderr', text: string) => void,
    stop: AbortSignal,
  ) {
    const what = 'code-interpreter POST /execute';
    const response = await send(what, `${sandbox.jupyterUrl}/execute`, {
      method: 'POST',
      headers: { ...sandbox.headers(JUPYTER_PORT), 'Content-Type': 'application/json' },
      body: JSON.stringify({ code, context_id: contextId }),
      stop,
      streaming: true,
    });
    if (!response.body) throw new E2bFailure(`E2B answered ${what} with no body`);
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let pending = '';
    let error: ExecutionLine | undefined;
    for (let part = await reader.read(); !part.done; part = await reader.read()) {
      pending += decoder.decode(part.value, { stream: true });
      for (let newline = pending.indexOf('\n'); newline !== -1; newline = pending.indexOf('\n')) {
        const line = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        if (line === '') continue;
        let message: ExecutionLine;
        try {
          message = executionLineSchema.parse(JSON.parse(line));
        } catch {
          throw new E2bFailure(`E2B sent a line of ${what} that is not an execution message`);
        }
        if (stop.aborted) throw stop.reason;
        if (message.type === 'stdout' || message.type === 'stderr') onOutput(message.type, message.text ?? '');
        else if (message.type === 'error') error ??= message;
        else if (message.type === 'end_of_execution') {
          await reader.cancel().catch(() => undefined);
          return error;
        }
      }
    }
    throw new E2bFailure(`E2B's ${what} stream ended before end_of_execution`);
  }

  return {
    createSandbox,
    killSandbox,
    makeDir: (sandbox, path, stop) => callFilesystem(sandbox, 'MakeDir', { path }, stop, 409).then((response) => response.body?.cancel()),
    listDir,
    upload,
    readFile,
    createContext,
    runCode,
  };
}
