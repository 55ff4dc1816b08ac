/**
 * @module prompts
 * What the flow asks the model, per role. Short and explicit, so small local models can follow.
 */
import type { ChatMessage } from '@umca/contracts';

const LANGUAGE_NOTES = {
  python: 'Python 3 (standard library only; no third-party packages; no network unless allowed)',
  javascript: 'JavaScript (an ES module in QuickJS: no Node.js APIs, no require, no npm packages)',
} as const;

/** `tools`: what the program may call (tool-notes.ts); empty when nothing. */
export function plannerMessages(task: string, language: 'python' | 'javascript', tools = ''): ChatMessage[] {
  const example =
    language === 'python'
      ? '{"plan": ["define add(a, b)", "return the sum"], "checks": ["assert add(2, 3) == 5", "assert add(-1, 1) == 0"]}'
      : '{"plan": ["define add(a, b)", "return the sum"], "checks": ["add(2, 3) === 5", "add(-1, 1) === 0"]}';
  return [
    {
      role: 'system',
      content: `You plan small programs in ${LANGUAGE_NOTES[language]}. Answer with one JSON object only: {"plan": [short steps], "checks": [acceptance checks]}. Each check is one ${language === 'python' ? 'Python assert statement' : 'JavaScript expression that must be true'} that tests the finished program's functions. Example: ${example}`,
    },
    { role: 'user', content: tools ? `${task}\n\n${tools}` : task },
  ];
}

export function coderMessages(options: {
  task: string;
  language: 'python' | 'javascript';
  plan: string[];
  checks: string[];
  /** What the program may call (tool-notes.ts); empty or absent when nothing. */
  tools?: string;
  previous?: { code: string; feedback: string };
}): ChatMessage[] {
  const fence = options.language === 'python' ? 'python' : 'javascript';
  const messages: ChatMessage[] = [
    {
      role: 'system',
      content: `You write complete, runnable programs in ${LANGUAGE_NOTES[options.language]}. Reply with the whole program in one \`\`\`${fence} code block and nothing else. Define the functions the checks call at the top level.`,
    },
    {
      role: 'user',
      content: [
        `Task: ${options.task}`,
        options.plan.length ? `Plan:\n${options.plan.map((step, index) => `${index + 1}. ${step}`).join('\n')}` : '',
        options.checks.length ? `These checks will run after your program:\n${options.checks.join('\n')}` : '',
        options.tools ?? '',
      ]
        .filter(Boolean)
        .join('\n\n'),
    },
  ];
  if (options.previous) {
    messages.push(
      { role: 'assistant', content: `\`\`\`${fence}\n${options.previous.code}\n\`\`\`` },
      {
        role: 'user',
        content: `That program did not pass:\n${options.previous.feedback}\n\nFix it. Reply with the whole corrected program in one \`\`\`${fence} code block.`,
      },
    );
  }
  return messages;
}

/** One more turn for a planner whose answer had no usable JSON or no checks. */
export function plannerRepairMessages(first: ChatMessage[], answer: string, language: 'python' | 'javascript'): ChatMessage[] {
  const kind = language === 'python' ? 'Python assert statements' : 'JavaScript expressions that must be true';
  return [
    ...first,
    { role: 'assistant', content: answer },
    {
      role: 'user',
      content: `That answer was not the JSON object asked for, or had no checks. Reply with only {"plan": [...], "checks": [...]}, with at least two checks written as ${kind} that call the program's functions.`,
    },
  ];
}
