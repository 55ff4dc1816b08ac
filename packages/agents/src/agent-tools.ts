/**
 * @module agent-tools
 * The planner and the coder calling upstream MCP tools through the model's own tool calling: the
 * tools the caller may call become the request's tool definitions; each call the model asks for
 * is made (through the run's tools, which check the policy and the budget and record the call),
 * its answer goes back as a tool message, and the model is asked again, a bounded number of
 * rounds. What the tools answered is kept, so it can be given to the next step as context.
 */
import type { ChatMessage, GatewayResponse, SandboxToolReplyV1, SandboxToolsV1, ToolDefinition } from '@umca/contracts';

/** Rounds of tool calls in one step before the model must answer without tools. */
export const MAX_TOOL_ROUNDS = 3;
/** Characters of one tool answer the model is shown (and the next step is given). */
const MAX_ANSWER_CHARS = 6_000;
/** OpenAI-compatible function names: anything else cannot be offered to a model. */
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** One tool answer an agent step received. */
export interface ToolFinding {
  readonly tool: string;
  readonly arguments: string;
  readonly answer: string;
}

export function toolDefinitions(tools: SandboxToolsV1['tools']): ToolDefinition[] {
  return tools
    .filter((tool) => FUNCTION_NAME.test(tool.name))
    .map((tool) => ({ name: tool.name, description: tool.description, parameters: { ...tool.inputSchema } }));
}

function clipAnswer(text: string): string {
  return text.length > MAX_ANSWER_CHARS ? `${text.slice(0, MAX_ANSWER_CHARS)}… [${text.length - MAX_ANSWER_CHARS} more characters]` : text;
}

/** What the model is told a call gave: the answer, or why there is none. */
export function describeReply(reply: SandboxToolReplyV1): string {
  if (!reply.ok) return `The call failed (${reply.code}): ${reply.message}`;
  const answer = reply.structured ? JSON.stringify(reply.structured) : reply.text;
  return clipAnswer(reply.isError ? `The tool reported an error: ${answer}` : answer);
}

function parseArguments(text: string): Record<string, unknown> | undefined {
  try {
    const parsed = JSON.parse(text.trim() === '' ? '{}' : text) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export interface ConverseOptions {
  /** One model turn, with the tool definitions offered (none: it must answer in text). */
  ask(messages: ChatMessage[], tools: readonly ToolDefinition[]): Promise<GatewayResponse>;
  readonly tools: SandboxToolsV1;
  readonly messages: readonly ChatMessage[];
  readonly signal?: AbortSignal;
  /** Rounds of tool calls before the model must answer in text (default MAX_TOOL_ROUNDS). */
  readonly maxRounds?: number;
}

/**
 * Asks, answering the model's tool calls, until it answers without one (or the rounds run out,
 * and it is asked once more with no tools). Returns its last answer and what the tools gave.
 */
export async function converseWithTools(options: ConverseOptions): Promise<{ response: GatewayResponse; findings: ToolFinding[] }> {
  const definitions = toolDefinitions(options.tools.tools);
  const messages = [...options.messages];
  const findings: ToolFinding[] = [];
  const signal = options.signal ?? new AbortController().signal;
  const rounds = options.maxRounds ?? MAX_TOOL_ROUNDS;
  for (let round = 0; round <= rounds; round++) {
    const offered = round < rounds ? definitions : [];
    const response = await options.ask(messages, offered);
    if (response.toolCalls.length === 0 || offered.length === 0) return { response, findings };
    messages.push({ role: 'assistant', content: response.text, toolCalls: response.toolCalls });
    for (const call of response.toolCalls) {
      const args = parseArguments(call.arguments);
      const content = args
        ? describeReply(await options.tools.call(call.name, args, signal))
        : 'The call was not made: its arguments were not a JSON object.';
      if (args) findings.push({ tool: call.name, arguments: JSON.stringify(args), answer: content });
      messages.push({ role: 'tool', toolCallId: call.id, content });
    }
  }
  throw new Error('unreachable: the last round offers no tools');
}

/** The findings as a section of the next step's prompt; empty when there are none. */
export function findingsNote(findings: readonly ToolFinding[]): string {
  if (findings.length === 0) return '';
  return [
    'What the tools answered while planning (use it; do not call them again for the same thing):',
    ...findings.map((finding) => `- ${finding.tool}(${finding.arguments}):\n${finding.answer}`),
  ].join('\n');
}
