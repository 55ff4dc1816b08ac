/**
 * @module create-tool-relay
 * The host's half of a sandboxed program's upstream tool call: it reads the arguments the child
 * sent, hands the call to the run's `SandboxToolsV1` (which decides whether it may be made, and
 * makes it), and checks the answer before it goes back into the sandbox. Every ending is a reply.
 */
import { type Logger, SANDBOX_TOOL_ERROR_CODES, type SandboxToolReplyV1, type SandboxToolsV1 } from '@umca/contracts';

/** The most an answer's text, or its structured content as JSON, may take (UTF-8 bytes). */
export const MAX_TOOL_ANSWER_BYTES = 4 * 1_048_576;
/** The longest failure message passed on to the program. */
const MAX_MESSAGE_LENGTH = 65_536;

const ERROR_CODES: ReadonlySet<string> = new Set(SANDBOX_TOOL_ERROR_CODES);

export interface ToolRelayOptions {
  /** The run's tools; absent: every call is refused. */
  readonly tools: SandboxToolsV1 | undefined;
  /** Aborts when the run ends, for whatever reason; passed to each call. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

/** Relays one call: `name` is UMCA's name of the tool, `argumentsJson` what the child sent. */
export type ToolRelay = (name: string, argumentsJson: string) => Promise<SandboxToolReplyV1>;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Creates the relay for one run. */
export function createToolRelay(options: ToolRelayOptions): ToolRelay {
  const { tools, signal, logger } = options;
  return async (name, argumentsJson) => {
    let args: unknown;
    try {
      args = JSON.parse(argumentsJson);
    } catch {
      return { ok: false, code: 'invalid_arguments', message: `the arguments of ${name} are not JSON` };
    }
    if (!isPlainObject(args)) {
      return { ok: false, code: 'invalid_arguments', message: `the arguments of ${name} must be a JSON object (names to values)` };
    }
    if (!tools) return { ok: false, code: 'denied', message: 'no upstream tools are available to this run' };
    let reply: SandboxToolReplyV1;
    try {
      reply = await tools.call(name, args, signal);
    } catch (error) {
      // The port promises a reply; what it threw may say more than a program should see.
      logger.warn({ err: error }, `the call of the upstream tool ${name} threw instead of replying: ${(error as Error).message}`);
      return { ok: false, code: 'call_failed', message: `the call of ${name} failed inside UMCA` };
    }
    return checkReply(reply);
  };
}

/** The reply as the sandbox gets it: known fields only, within the sizes it may take. */
function checkReply(reply: SandboxToolReplyV1): SandboxToolReplyV1 {
  if (!reply.ok) {
    const code = ERROR_CODES.has(reply.code) ? reply.code : 'call_failed';
    return { ok: false, code, message: String(reply.message).slice(0, MAX_MESSAGE_LENGTH) };
  }
  const tooLarge: SandboxToolReplyV1 = {
    ok: false,
    code: 'call_failed',
    message: `the tool's answer was larger than ${MAX_TOOL_ANSWER_BYTES / 1_048_576} MiB`,
  };
  const text = typeof reply.text === 'string' ? reply.text : '';
  if (Buffer.byteLength(text, 'utf8') > MAX_TOOL_ANSWER_BYTES) return tooLarge;
  if (!isPlainObject(reply.structured)) return { ok: true, text, isError: reply.isError === true };
  let structuredJson: string;
  try {
    structuredJson = JSON.stringify(reply.structured);
  } catch {
    return { ok: false, code: 'call_failed', message: "the tool's structured answer is not JSON" };
  }
  if (Buffer.byteLength(structuredJson, 'utf8') > MAX_TOOL_ANSWER_BYTES) return tooLarge;
  return { ok: true, text, structured: JSON.parse(structuredJson) as Record<string, unknown>, isError: reply.isError === true };
}
