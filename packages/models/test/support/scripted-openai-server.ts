/**
 * A TEST DOUBLE of an OpenAI-compatible chat completions server. Hosted models (Qwen, DeepSeek,
 * GLM, OpenAI) cannot be reached from the test machines and their answers are not repeatable, so
 * tests script what this server answers, step by step: streamed text, tool calls, usage, errors
 * (429 with Retry-After, 5xx, 401, 404), delays, malformed output. It speaks the real wire format
 * over real HTTP, so the gateway is exercised end to end.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedReply {
  /** HTTP status; errors send an OpenAI-style error body. Default 200. */
  status?: number;
  headers?: Record<string, string>;
  text?: string;
  toolCalls?: Array<{ name: string; arguments: string }>;
  usage?: { prompt_tokens: number; completion_tokens: number };
  /** Split the text into this many streamed chunks. Default 3. */
  chunks?: number;
  /** Wait before answering, and between chunks. */
  delayMs?: number;
  /** Send this body as it is (malformed JSON, or a broken stream). */
  raw?: string;
  errorMessage?: string;
}

export interface RecordedRequest {
  path: string;
  authorization: string | undefined;
  body: {
    model: string;
    messages: Array<{ role: string; content: string }>;
    stream?: boolean;
    tools?: unknown[];
    max_tokens?: number;
    temperature?: number;
  };
}

export interface ScriptedOpenAiServer {
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  /** Replies to come, in order; when empty, `fallback` answers. */
  readonly script: ScriptedReply[];
  fallback: (request: RecordedRequest) => ScriptedReply;
  close(): Promise<void>;
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function answer(request: RecordedRequest, reply: ScriptedReply, response: ServerResponse): Promise<void> {
  if (reply.delayMs) await wait(reply.delayMs);
  const status = reply.status ?? 200;
  if (reply.raw !== undefined) {
    response.writeHead(status, { 'content-type': request.body.stream ? 'text/event-stream' : 'application/json', ...reply.headers });
    response.end(reply.raw);
    return;
  }
  if (status >= 400) {
    response.writeHead(status, { 'content-type': 'application/json', ...reply.headers });
    response.end(JSON.stringify({ error: { message: reply.errorMessage ?? `scripted ${status}`, type: 'scripted', code: status } }));
    return;
  }
  const text = reply.text ?? '';
  const usage = reply.usage ?? { prompt_tokens: 11, completion_tokens: Math.max(1, Math.ceil(text.length / 4)) };
  const id = `chatcmpl-${Math.random().toString(36).slice(2)}`;
  const base = { id, object: 'chat.completion.chunk', created: 0, model: request.body.model };
  if (!request.body.stream) {
    response.writeHead(200, { 'content-type': 'application/json', ...reply.headers });
    response.end(
      JSON.stringify({
        id,
        object: 'chat.completion',
        created: 0,
        model: request.body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
        usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
      }),
    );
    return;
  }
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...reply.headers });
  const send = (payload: unknown) => response.write(`data: ${JSON.stringify(payload)}\n\n`);
  const pieces = reply.chunks ?? 3;
  const size = Math.max(1, Math.ceil(text.length / pieces));
  send({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
  for (let offset = 0; offset < text.length; offset += size) {
    if (reply.delayMs) await wait(reply.delayMs);
    if (response.destroyed) return;
    send({ ...base, choices: [{ index: 0, delta: { content: text.slice(offset, offset + size) }, finish_reason: null }] });
  }
  for (const [index, call] of (reply.toolCalls ?? []).entries()) {
    const half = Math.ceil(call.arguments.length / 2);
    send({
      ...base,
      choices: [
        {
          index: 0,
          delta: {
            tool_calls: [
              { index, id: `call_${index}`, type: 'function', function: { name: call.name, arguments: call.arguments.slice(0, half) } },
            ],
          },
          finish_reason: null,
        },
      ],
    });
    send({
      ...base,
      choices: [{ index: 0, delta: { tool_calls: [{ index, function: { arguments: call.arguments.slice(half) } }] }, finish_reason: null }],
    });
  }
  send({ ...base, choices: [{ index: 0, delta: {}, finish_reason: reply.toolCalls?.length ? 'tool_calls' : 'stop' }] });
  send({ ...base, choices: [], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } });
  response.end('data: [DONE]\n\n');
}

export async function startScriptedOpenAiServer(fallbackText = 'ok'): Promise<ScriptedOpenAiServer> {
  const requests: RecordedRequest[] = [];
  const script: ScriptedReply[] = [];
  const handle: { fallback: (request: RecordedRequest) => ScriptedReply } = { fallback: () => ({ text: fallbackText }) };
  const server: Server = createServer((incoming: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      if (!incoming.url?.endsWith('/chat/completions')) {
        response.writeHead(404).end();
        return;
      }
      const request: RecordedRequest = {
        path: incoming.url,
        authorization: incoming.headers.authorization,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      };
      requests.push(request);
      const reply = script.shift() ?? handle.fallback(request);
      answer(request, reply, response).catch(() => response.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    script,
    get fallback() {
      return handle.fallback;
    },
    set fallback(value) {
      handle.fallback = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
