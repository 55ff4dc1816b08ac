/**
 * @module judge-quality
 * LLM-as-judge through UMCA's own model gateway: the judge reads the task, the reference when the
 * suite has one, the final program and what it printed, and answers with one label from a fixed
 * set, each worth a score. The prompt and the labels are here, versioned with the code, in the
 * manner of Phoenix's classification evaluators (a template, rails, a score per label); an answer
 * outside the rails scores nothing rather than a guess.
 */
import { extractJsonObject } from '@umca/agents';
import type { ModelGatewayV1 } from '@umca/contracts';

/** Raise when the prompt or labels change: reports carry it. */
export const JUDGE_VERSION = 'response-quality.v1';

/** The rails: every label the judge may answer with, and what it scores. */
export const JUDGE_LABELS = { correct: 1, partially_correct: 0.5, incorrect: 0 } as const;

export type JudgeLabel = keyof typeof JUDGE_LABELS;

export const JUDGE_SYSTEM_PROMPT = `You grade answers to programming tasks. You are given the task, possibly a reference solution, the program that was written, and what it printed when it ran.
Decide whether the program does what the task asks:
- "correct": it does everything the task asks, and its output shows it.
- "partially_correct": it does some of it, or does it with a flaw.
- "incorrect": it does not do what was asked, fails to run, or does something else.
Judge the behaviour, not the style. Do not run or rewrite the program.
Answer with JSON only: {"label": "correct" | "partially_correct" | "incorrect", "explanation": "one sentence"}`;

export interface JudgeInput {
  readonly task: string;
  readonly reference?: string;
  readonly code: string;
  readonly stdout: string;
  readonly status: string;
}

export interface JudgeResult {
  /** Null when the judge answered outside the rails. */
  readonly label: JudgeLabel | null;
  readonly score: number | null;
  readonly explanation: string;
  readonly tokens: { readonly prompt: number; readonly completion: number };
}

const cut = (text: string, most: number) =>
  text.length > most ? `${text.slice(0, most)}\n… (${text.length - most} more characters)` : text;

export function judgeUserPrompt(input: JudgeInput): string {
  return [
    `Task:\n${cut(input.task, 4_000)}`,
    ...(input.reference ? [`Reference solution:\n${cut(input.reference, 4_000)}`] : []),
    `Program:\n${cut(input.code, 8_000) || '(none was written)'}`,
    `It ended "${input.status}" and printed:\n${cut(input.stdout, 2_000) || '(nothing)'}`,
  ].join('\n\n');
}

/** The label in a reply: the JSON's `label`, else the one label word the reply names (none when it names two). */
export function parseJudgeReply(text: string): { label: JudgeLabel | null; explanation: string } {
  const json = extractJsonObject(text);
  const labels = Object.keys(JUDGE_LABELS) as JudgeLabel[];
  const stated =
    typeof json?.label === 'string'
      ? json.label
          .trim()
          .toLowerCase()
          .replace(/[\s-]+/g, '_')
      : undefined;
  const explanation = typeof json?.explanation === 'string' ? json.explanation : text.trim().slice(0, 500);
  if (stated && labels.includes(stated as JudgeLabel)) return { label: stated as JudgeLabel, explanation };
  // "partially_correct" contains "correct": look for whole words, longest first, and refuse a reply naming two.
  const named = labels.filter((label) => new RegExp(`\\b${label.replace('_', '[ _-]')}\\b`, 'i').test(text));
  const unique = named.includes('partially_correct') ? named.filter((label) => label !== 'correct') : named;
  return unique.length === 1 ? { label: unique[0] as JudgeLabel, explanation } : { label: null, explanation };
}

/** Asks the judge model; a model failure is a result (no score, its message as the explanation), not an exception. */
export async function judgeAnswer(gateway: ModelGatewayV1, model: string, input: JudgeInput, signal?: AbortSignal): Promise<JudgeResult> {
  try {
    const response = await gateway.chat(
      [model],
      {
        messages: [
          { role: 'system', content: JUDGE_SYSTEM_PROMPT },
          { role: 'user', content: judgeUserPrompt(input) },
        ],
        temperature: 0,
        maxTokens: 256,
      },
      signal ? { signal } : {},
    );
    const { label, explanation } = parseJudgeReply(response.text);
    return {
      label,
      score: label === null ? null : JUDGE_LABELS[label],
      explanation: label === null ? `the judge answered outside its labels: ${explanation}` : explanation,
      tokens: { prompt: response.usage.promptTokens, completion: response.usage.completionTokens },
    };
  } catch (error) {
    return {
      label: null,
      score: null,
      explanation: `the judge model failed: ${(error as Error).message}`,
      tokens: { prompt: 0, completion: 0 },
    };
  }
}
