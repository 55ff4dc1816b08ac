/**
 * @module e2b-lane
 * The `container` lane on E2B's cloud (https://e2b.dev): each run gets a fresh Firecracker microVM
 * of the code-interpreter template, created, given its files, run, read back and killed through
 * E2B's HTTP API. The time limit, the output caps, cancellation and the file checks are held here;
 * the network is switched off by E2B. What is enforced where: docs/e2b.md.
 *
 * Both languages run in the template's Jupyter kernels through its code-interpreter server
 * (`/contexts`, `/execute`): it takes a `language`, so javascript runs in its JavaScript kernel
 * (ijavascript on Node) rather than as `node` through envd's process API.
 *
 * The wire format is read from E2B's SDK sources (none of their code is copied); each function
 * names the file it follows. `e2b-dev/E2B` is the base SDK, `e2b-dev/code-interpreter` the template
 * and its SDK.
 */
import type {
  AcceptedExecutionV1,
  ExecuteOptionsV1,
  ExecutionResult,
  ExecutionStatus,
  LaneSelection,
  LaneV1,
  Runtime,
} from '@umca/contracts';
import { MAX_LISTED_DROPPED_FILES, MAX_OUTPUT_FILES, MAX_OUTPUT_FILES_BYTES, resolveLimits } from '@umca/contracts';
import { z } from 'zod';
import { RunnerError } from '../errors.js';
import { checkOutputFiles } from '../host/check-output-files.js';
import { interpretEnd } from '../host/interpret-end.js';
import type { ChildEnd } from '../host/sandbox-child.js';
import type { SandboxDroppedFiles, SandboxDropReason, SandboxFile } from '../sandbox/protocol.js';

export interface E2bLaneOptions {
  /** E2B API key; a composition root reads it from UMCA_E2B_API_KEY. It never appears in a result. */
  readonly apiKey: string;
  /** E2B's control-plane API. Default `https://api.e2b.app` (UMCA_E2B_API_URL). */
  readonly apiUrl?: string;
  /** Domain the sandboxes are served under when E2B's answer names none. Default `e2b.app`. */
  readonly domain?: string;
  /** Sandbox template. Default `code-interpreter-v1`, the code-interpreter SDK's. */
  readonly template?: string;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
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
/** An empty folder of its own, so what the run wrote is all that is in it (not the kernels' own files). */
const WORK_DIR = '/home/user/umca-run';
/** E2B kills the sandbox itself this long after the run's limit, should our kill never arrive. */
const SANDBOX_GRACE_MS = 60_000;
/** Deep enough for any path of 255 characters. */
const LIST_DEPTH = 128;
const MAX_LISTING_BYTES = 8 * 1_048_576;
/** Names the code-interpreter server gives its own failures (template/server/messaging.py), not the program's. */
const INTERPRETER_FAILURES = new Set(['ContextRestarting', 'UnexpectedEndOfExecution', 'WebSocketError', 'ExecutionAborted']);
const ANSI_ESCAPE = /\u001b\[[0-9;]*[A-Za-z]/g;

/** A failure of E2B's API or of its answer: the run ends `crashed` with this reason. */
class E2bFailure extends Error {}

type Stop = 'cancelled' | 'timeout' | 'output_limit';
type Stream = 'stdout' | 'stderr';
type InputFile = NonNullable<AcceptedExecutionV1['request']['files']>[number];

interface Sandbox {
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
// code-interpreter template/server/api/models/{logs,error,output}.py, as js/src/messaging.ts parseOutput reads them.
const executionLineSchema = z.object({
  type: z.string(),
  text: z.string().nullish(),
  name: z.string().nullish(),
  value: z.string().nullish(),
  traceback: z.string().nullish(),
});
type ExecutionLine = z.infer<typeof executionLineSchema>;

const decodeInput = (file: InputFile) => Buffer.from(file.content, file.encoding === 'base64' ? 'base64' : 'utf8');

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

function describeCause(error: unknown): string {
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

/** Caps each stream at `capBytes`, passing on what it keeps as it comes. */
function createOutputs(capBytes: number, onOutput: ExecuteOptionsV1['onOutput'], onLimit: (stream: Stream) => void) {
  const kept = { stdout: [] as string[], stderr: [] as string[] };
  const bytes = { stdout: 0, stderr: 0 };
  const truncated = { stdout: false, stderr: false };
  return {
    write(stream: Stream, text: string) {
      if (truncated[stream] || text === '') return;
      const room = capBytes - bytes[stream];
      const encoded = Buffer.from(text, 'utf8');
      // A cut in the middle of a character keeps the whole characters before it.
      const part = encoded.byteLength <= room ? text : new TextDecoder().decode(encoded.subarray(0, room), { stream: true });
      if (part !== '') {
        kept[stream].push(part);
        bytes[stream] += Buffer.byteLength(part, 'utf8');
        onOutput?.(stream, part);
      }
      if (encoded.byteLength > room) {
        truncated[stream] = true;
        onLimit(stream);
      }
    },
    text: (stream: Stream) => kept[stream].join(''),
    truncated: (stream: Stream) => truncated[stream],
  };
}
type Outputs = ReturnType<typeof createOutputs>;

/** How a program's `error` message ends the run; `SystemExit` is an exit code, as in the wasm lane. */
function programEnd(error: ExecutionLine | undefined) {
  if (!error) return { status: 'ok' as const, exitCode: 0 };
  const name = error.name ?? 'Error';
  const value = error.value ?? '';
  if (name === 'SystemExit') {
    const code = value === '' || value === 'None' ? 0 : /^-?\d+$/.test(value) ? Number(value) : 1;
    const exitCode = code >= 0 ? code & 0xff : 1;
    return { status: exitCode === 0 ? ('ok' as const) : ('error' as const), exitCode };
  }
  const traceback = error.traceback ? error.traceback.replace(ANSI_ESCAPE, '') : undefined;
  return {
    status: 'error' as const,
    exitCode: 1,
    error: { type: name, message: value, ...(traceback ? { traceback } : {}) },
  };
}

/**
 * The `container` lane on E2B: python on CPython (IPython kernel) and javascript on Node (the
 * template's ijavascript kernel), in a Firecracker microVM per run.
 *
 * @example
 * const lane = createE2bLane({ apiKey: process.env.UMCA_E2B_API_KEY ?? '' });
 * const result = await lane.execute(acceptExecutionRequest({ language: 'python', code: 'print(1)' }));
 */
export function createE2bLane(options: E2bLaneOptions): LaneV1 {
  if (!options.apiKey) {
    throw new RunnerError('invalid_option', 'the E2B lane needs an API key: set UMCA_E2B_API_KEY (E2B’s dashboard gives one)');
  }
  const apiUrl = (options.apiUrl ?? `https://api.${DEFAULT_DOMAIN}`).replace(/\/+$/, '');
  const template = options.template ?? DEFAULT_TEMPLATE;
  const fetchImpl = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  /** Sandboxes running a run, with what cancels it; and the kills under way, so each is sent once. */
  const live = new Map<string, () => void>();
  const kills = new Map<string, Promise<void>>();
  let sandboxStartupMs: number | undefined;
  let closed = false;

  const redact = (text: string, secrets: readonly string[]) =>
    [options.apiKey, ...secrets].reduce((safe, secret) => (secret.length >= 4 ? safe.split(secret).join('[redacted]') : safe), text);

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

  /** e2b-dev/E2B packages/js-sdk/src/sandbox/sandboxApi.ts (createSandbox) and api/index.ts (X-API-KEY). */
  async function createSandbox(timeoutMs: number): Promise<Sandbox> {
    const started = now();
    const response = await send('POST /sandboxes', `${apiUrl}/sandboxes`, {
      method: 'POST',
      headers: { 'X-API-KEY': options.apiKey, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        templateID: template,
        timeout: Math.ceil((timeoutMs + SANDBOX_GRACE_MS) / 1000),
        secure: true,
        // The runs sent here allow no outbound host (see `refusal`): no network at all.
        allow_internet_access: false,
        metadata: { createdBy: 'umca' },
      }),
    });
    const created = await readJson('POST /sandboxes', response, createdSandboxSchema);
    sandboxStartupMs = now() - started;
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
    const pending = kills.get(id);
    if (pending) return pending;
    live.delete(id);
    const kill = send(`DELETE /sandboxes/${id}`, `${apiUrl}/sandboxes/${encodeURIComponent(id)}`, {
      method: 'DELETE',
      headers: { 'X-API-KEY': options.apiKey },
      tolerate: 404,
    })
      .then(
        (response) => response.body?.cancel(),
        // E2B ends it at its own timeout (the run's limit and SANDBOX_GRACE_MS) when this fails.
        () => undefined,
      )
      .finally(() => kills.delete(id));
    kills.set(id, kill);
    return kill;
  }

  /** envd's Connect RPC, JSON unary (e2b-dev/E2B packages/js-sdk/src/envd/rpc.ts authenticationHeader, filesystem_connect.ts). */
  function callFilesystem(sandbox: Sandbox, method: 'MakeDir' | 'ListDir', message: object, stop: AbortSignal, tolerate?: number) {
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
  const filesUrl = (sandbox: Sandbox, path: string) =>
    `${sandbox.envdUrl}/files?${new URLSearchParams({ path, username: SANDBOX_USER }).toString()}`;

  async function upload(sandbox: Sandbox, file: InputFile, stop: AbortSignal): Promise<void> {
    const path = `${WORK_DIR}/${file.path}`;
    // multipart/form-data, field `file`: what the SDK sends by default, and every envd version takes.
    const form = new FormData();
    form.append('file', new Blob([decodeInput(file)]), path);
    const response = await send('envd POST /files', filesUrl(sandbox, path), {
      method: 'POST',
      headers: sandbox.headers(ENVD_PORT),
      body: form,
      stop,
    });
    await response.body?.cancel();
  }

  /** Creates a kernel whose working directory is WORK_DIR (code-interpreter js/src/sandbox.ts createCodeContext). */
  async function createContext(sandbox: Sandbox, language: 'python' | 'javascript', stop: AbortSignal): Promise<string> {
    const response = await send('code-interpreter POST /contexts', `${sandbox.jupyterUrl}/contexts`, {
      method: 'POST',
      headers: { ...sandbox.headers(JUPYTER_PORT), 'Content-Type': 'application/json' },
      body: JSON.stringify({ language, cwd: WORK_DIR }),
      stop,
    });
    return (await readJson('code-interpreter POST /contexts', response, contextSchema)).id;
  }

  /**
   * Runs the code and streams its output (code-interpreter js/src/sandbox.ts runCode, the NDJSON of
   * template/server/stream.py). `result` (a cell's value), `number_of_executions` and `keepalive`
   * are not a script's output and are left out. Returns the program's `error` message, if any.
   */
  async function runCode(sandbox: Sandbox, contextId: string, code: string, outputs: Outputs, stop: AbortSignal) {
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
        if (message.type === 'stdout' || message.type === 'stderr') outputs.write(message.type, message.text ?? '');
        else if (message.type === 'error') error ??= message;
        else if (message.type === 'end_of_execution') {
          await reader.cancel().catch(() => undefined);
          return error;
        }
      }
    }
    throw new E2bFailure(`E2B's ${what} stream ended before end_of_execution`);
  }

  /**
   * The files the run created or changed in WORK_DIR, read back through envd within the caps, as
   * the wasm lane's workspace does: unchanged inputs are not sent back, links and special files are
   * named and left out. checkOutputFiles judges the whole report afterwards.
   */
  async function collectFiles(sandbox: Sandbox, inputs: readonly InputFile[], stop: AbortSignal) {
    const listed = await callFilesystem(sandbox, 'ListDir', { path: WORK_DIR, depth: LIST_DEPTH }, stop);
    const files: SandboxFile[] = [];
    const dropped: SandboxDroppedFiles = { count: 0, files: [] };
    const drop = (path: string, reason: SandboxDropReason) => {
      dropped.count++;
      if (dropped.files.length < MAX_LISTED_DROPPED_FILES) dropped.files.push({ path, reason });
    };
    const body = await readBounded(listed, MAX_LISTING_BYTES);
    // Tens of thousands of entries: the run made far more files than it may return.
    if (!body) {
      drop('.', 'count_limit');
      return { files, droppedFiles: dropped };
    }
    const listing = parseJson('envd filesystem.Filesystem/ListDir', listed.status, body, listingSchema);
    const original = new Map(inputs.map((file) => [file.path, decodeInput(file)]));
    // A file gone since the listing (a process the program left behind removed it) is skipped.
    const read = async (absolute: string, maxBytes: number) => {
      const response = await send('envd GET /files', filesUrl(sandbox, absolute), {
        headers: sandbox.headers(ENVD_PORT),
        stop,
        tolerate: 404,
      });
      if (response.status !== 404) return readBounded(response, maxBytes);
      await response.body?.cancel();
      return null;
    };
    let total = 0;
    for (const entry of listing.entries) {
      if (entry.type === 'FILE_TYPE_DIRECTORY') continue;
      const path = entry.path.startsWith(`${WORK_DIR}/`) ? entry.path.slice(WORK_DIR.length + 1) : entry.path;
      if (entry.type === 'FILE_TYPE_SYMLINK' || entry.symlinkTarget !== undefined) {
        drop(path, 'symlink');
        continue;
      }
      if (entry.type !== 'FILE_TYPE_FILE') {
        drop(path, 'special_file');
        continue;
      }
      const size = Number(entry.size);
      const before = original.get(path);
      let bytes = before && before.byteLength === size ? await read(entry.path, size) : undefined;
      if (bytes === null || (bytes && before?.equals(bytes))) continue;
      if (files.length >= MAX_OUTPUT_FILES) {
        drop(path, 'count_limit');
        continue;
      }
      const room = MAX_OUTPUT_FILES_BYTES - total;
      bytes ??= size > room ? undefined : await read(entry.path, room);
      if (bytes === null) continue;
      if (!bytes) {
        drop(path, 'size_limit');
        continue;
      }
      total += bytes.byteLength;
      const text = bytes.toString('utf8');
      const isText = Buffer.from(text, 'utf8').equals(bytes);
      files.push({ path, encoding: isText ? 'utf8' : 'base64', content: isText ? text : bytes.toString('base64') });
    }
    return dropped.count > 0 ? { files, droppedFiles: dropped } : { files };
  }

  /** Why a request cannot run on E2B, before a sandbox is paid for. */
  function refusal({ request, egress }: AcceptedExecutionV1): string | undefined {
    if (closed) return 'the E2B lane is closed';
    if (request.language === 'wasi')
      return 'the E2B container lane runs python and javascript, not wasi; send wasm32-wasi modules to the wasm lane';
    if (request.stdin !== undefined && request.stdin !== '')
      return 'the E2B container lane cannot pass stdin (the code runs in a Jupyter kernel, which has none); put the input in a file under `files` and read it there';
    if (egress.allowedOutboundHosts.length > 0)
      return (
        'E2B cannot hold the run to its allowedOutboundHosts: its sandboxes filter outbound traffic by host only, not by scheme and port, ' +
        'and report no attempts; leave allowedOutboundHosts empty to run on E2B without network, or send the run to the wasm lane'
      );
    return undefined;
  }

  function resultOf(fields: {
    status: ExecutionStatus;
    exitCode: number | null;
    reason?: string;
    outputs?: Outputs;
    error?: ExecutionResult['error'];
    checked?: ReturnType<typeof checkOutputFiles>;
    selection?: LaneSelection;
    durationMs: number;
  }): ExecutionResult {
    const { outputs, checked } = fields;
    return {
      status: fields.status,
      exitCode: fields.exitCode,
      ...(fields.reason ? { reason: fields.reason } : {}),
      stdout: outputs?.text('stdout') ?? '',
      stderr: outputs?.text('stderr') ?? '',
      stdoutTruncated: outputs?.truncated('stdout') ?? false,
      stderrTruncated: outputs?.truncated('stderr') ?? false,
      ...(fields.error ? { error: fields.error } : {}),
      files: checked?.files ?? [],
      ...(checked?.droppedFiles ? { droppedFiles: checked.droppedFiles } : {}),
      // E2B reports no outbound attempts; with the network off there are none to report.
      egress: [],
      lane: 'container',
      ...(fields.selection ? { runtime: fields.selection.runtime, selection: fields.selection } : {}),
      isolation: 'vm',
      durationMs: fields.durationMs,
      timings: { queuedMs: 0, executeMs: fields.durationMs },
    };
  }

  return {
    specificationVersion: 'v1',
    lane: 'container',
    runtimes: ['cpython', 'node'],
    isolation: 'vm',
    async execute(accepted: AcceptedExecutionV1, execute: ExecuteOptionsV1 = {}): Promise<ExecutionResult> {
      const started = now();
      const { request } = accepted;
      const refused = refusal(accepted);
      if (refused || request.language === 'wasi') return resultOf({ status: 'rejected', exitCode: null, reason: refused, durationMs: 0 });
      if (execute.signal?.aborted) return resultOf({ status: 'cancelled', exitCode: null, reason: 'the run was cancelled', durationMs: 0 });
      const limits = resolveLimits(request.limits);
      const runtime: Runtime = request.language === 'python' ? 'cpython' : 'node';
      // The runner puts its router's reason in place of this one.
      const selection: LaneSelection = {
        lane: 'container',
        runtime,
        by: 'request',
        reason: `native ${runtime === 'cpython' ? 'python3' : 'node'} in an E2B microVM`,
      };
      const stop = new AbortController();
      const halt = (why: Stop) => {
        if (!stop.signal.aborted) stop.abort(why);
      };
      const onAbort = () => halt('cancelled');
      execute.signal?.addEventListener('abort', onAbort, { once: true });
      let overflowed: Stream | undefined;
      const outputs = createOutputs(limits.outputBytes, execute.onOutput, (stream) => {
        overflowed ??= stream;
        halt('output_limit');
      });
      let sandbox: Sandbox | undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let end: ChildEnd;
      let finished = started;
      try {
        // Not cancelled midway: a sandbox E2B made but never named could not be killed.
        sandbox = await createSandbox(limits.timeoutMs);
        live.set(sandbox.id, onAbort);
        if (closed) halt('cancelled');
        if (stop.signal.aborted) throw stop.signal.reason;
        execute.onStart?.({ queuedMs: 0, lane: 'container', runtime, isolation: 'vm', selection });
        await callFilesystem(sandbox, 'MakeDir', { path: WORK_DIR }, stop.signal, 409).then((response) => response.body?.cancel());
        const current = sandbox;
        await Promise.all((request.files ?? []).map((file) => upload(current, file, stop.signal)));
        const contextId = await createContext(sandbox, request.language, stop.signal);
        timer = setTimeout(() => halt('timeout'), limits.timeoutMs);
        const error = await runCode(sandbox, contextId, request.code, outputs, stop.signal);
        clearTimeout(timer);
        if (error && INTERPRETER_FAILURES.has(error.name ?? '')) {
          throw new E2bFailure(
            error.name === 'ContextRestarting'
              ? 'E2B’s code interpreter restarted the kernel mid-run: the program may have used up the sandbox’s memory, or ended the interpreter'
              : `E2B’s code interpreter lost the execution (${error.name}: ${error.value ?? ''})`,
          );
        }
        const ending = programEnd(error);
        // As in the wasm lane, a traceback is also on stderr.
        if (ending.error?.traceback)
          outputs.write('stderr', ending.error.traceback.endsWith('\n') ? ending.error.traceback : `${ending.error.traceback}\n`);
        const collected = await collectFiles(sandbox, request.files ?? [], stop.signal);
        end = {
          kind: 'result',
          outcome: {
            ...ending,
            files: collected.files,
            ...(collected.droppedFiles ? { droppedFiles: collected.droppedFiles } : {}),
            runtime,
          },
        };
      } catch (error) {
        const why = stop.signal.aborted ? (stop.signal.reason as Stop) : undefined;
        if (why === 'output_limit')
          end = { kind: 'killed', reason: why, detail: `${overflowed ?? 'stdout'} passed the limit of ${limits.outputBytes} bytes` };
        else if (why) end = { kind: 'killed', reason: why, detail: why };
        else {
          const detail = error instanceof E2bFailure ? error.message : `the E2B lane failed: ${describeCause(error)}`;
          end = { kind: 'killed', reason: 'protocol', detail: redact(detail, sandbox?.secrets ?? []) };
        }
      } finally {
        finished = now();
        clearTimeout(timer);
        execute.signal?.removeEventListener('abort', onAbort);
        if (sandbox) await killSandbox(sandbox.id);
      }
      const { status, reason } = interpretEnd(end, {
        language: request.language,
        code: request.code,
        files: [],
        limits,
        budgetMs: limits.timeoutMs,
      });
      const outcome = end.kind === 'result' ? end.outcome : undefined;
      return resultOf({
        status,
        exitCode: outcome ? outcome.exitCode : null,
        ...(reason ? { reason } : {}),
        outputs,
        ...(outcome?.error ? { error: outcome.error } : {}),
        checked: checkOutputFiles(outcome?.files ?? [], outcome?.droppedFiles),
        selection,
        durationMs: finished - started,
      });
    },
    stats() {
      return { lane: 'container', isolation: 'vm', idleSandboxes: 0, sandboxStartupMs, runtimes: ['cpython', 'node'] };
    },
    async close() {
      closed = true;
      const running = [...live];
      for (const [, cancel] of running) cancel();
      await Promise.all(running.map(([id]) => killSandbox(id)));
    },
  };
}
