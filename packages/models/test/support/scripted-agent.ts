/**
 * Scripts the TEST DOUBLE model server (scripted-openai-server.ts) to answer as the agent flow's
 * planner and coder: the planner always gets `plan`; the coder gets `code` replies in order (the
 * last one repeats). Shared by the agents, orchestrator and CLI tests.
 */
import type { RecordedRequest, ScriptedOpenAiServer, ScriptedReply } from './scripted-openai-server.js';

export const isPlannerRequest = (request: RecordedRequest) => request.body.messages[0]?.content.startsWith('You plan') ?? false;

export const ADD_PLAN =
  '```json\n{"plan": ["write add", "return a + b"], "checks": ["assert add(2, 3) == 5", "assert add(-1, 1) == 0"]}\n```';
export const ADD_GOOD = 'Here you go:\n```python\ndef add(a, b):\n    return a + b\n\nprint(add(2, 3))\n```';
export const ADD_WRONG = '```python\ndef add(a, b):\n    return a - b\n```';

export function scriptAgent(server: ScriptedOpenAiServer, plan: string | ScriptedReply, code: Array<string | ScriptedReply>): void {
  const replies = [...code];
  const last = code.at(-1) ?? '';
  const asReply = (reply: string | ScriptedReply): ScriptedReply => (typeof reply === 'string' ? { text: reply } : reply);
  server.fallback = (request) => asReply(isPlannerRequest(request) ? plan : (replies.shift() ?? last));
}
