/**
 * @module prompts
 * UMCA's MCP prompts: conversations a user starts from the client's prompt menu, written so that
 * the client's model uses the tools well. `analyse_data_file` and `write_and_test_function` have
 * the model write code and prove it with run_code; `hand_over_task` gives the whole job to
 * run_task. Each says which tool to call with which arguments, what to do when a run fails, and
 * what to report (always with the runId).
 */

import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { MAX_CODE_BYTES } from '@umca/contracts';
import { z } from 'zod';

const LANGUAGES = ['python', 'javascript'] as const;
const FORMATS = ['csv', 'tsv', 'json', 'jsonl', 'text'] as const;
/** Room left in a run_code program (at most MAX_CODE_BYTES) for the code around the data. */
const MAX_INLINE_DATA = MAX_CODE_BYTES - 48 * 1024;

/** A prompt argument clients may leave out or send empty; its values are offered as completions. */
function choice<Values extends readonly [string, ...string[]]>(values: Values, description: string) {
  const complete = (typed: string | undefined) => values.filter((value) => value.startsWith(typed ?? ''));
  // The SDK looks for the completer on the optional's inner schema when it decides to offer
  // completions, and on the argument itself when it answers: mark both.
  const inner = completable(z.union([z.enum(values), z.literal('')]), complete);
  return completable(inner.optional().describe(description), complete);
}

const userText = (text: string) => ({ role: 'user' as const, content: { type: 'text' as const, text } });

/** An http(s) URL given instead of the data, or undefined. */
function dataUrl(data: string): URL | undefined {
  if (!/^https?:\/\/\S+$/.test(data.trim())) return undefined;
  try {
    return new URL(data.trim());
  } catch {
    return undefined;
  }
}

function dataSection(data: string, format: string | undefined): string {
  const url = dataUrl(data);
  if (url) {
    return [
      `The data is at ${url.href}. Download it inside the program with urllib.request.urlopen, and call run_code with`,
      `allowedOutboundHosts ["${url.protocol}//${url.host}"]: without it the sandbox has no network at all.`,
    ].join('\n');
  }
  // A JSON string literal is also a valid Python string literal, so the model copies one line and
  // gets the data back exactly, whatever quotes, backslashes or newlines it holds.
  return [
    `The data${format ? ` (${format})` : ''} is ${data.length} characters. Start the program with this line, which holds it exactly:`,
    '',
    `DATA = ${JSON.stringify(data)}`,
  ].join('\n');
}

export function registerPrompts(server: McpServer): void {
  server.registerPrompt(
    'analyse_data_file',
    {
      title: 'Analyse a data file',
      description:
        "Answers a question about a CSV, JSON or text file by running Python on it in UMCA's sandbox (run_code), so every figure in the answer comes from code that ran.",
      argsSchema: {
        question: z.string().min(1).max(4_000).describe('What you want to know, e.g. "which month had the highest total?"'),
        data: z
          .string()
          .min(1)
          .max(MAX_INLINE_DATA)
          .describe(`The file's contents (up to ${MAX_INLINE_DATA} characters), or an http(s) URL the program may download it from.`),
        format: choice(FORMATS, `${FORMATS.join(', ')}; told from the data when left out.`),
      },
    },
    ({ question, data, format }) => ({
      description: `Analyse data to answer: ${question.slice(0, 200)}`,
      messages: [
        userText(
          [
            "Answer a question about a data file by running Python in UMCA's sandbox with the run_code tool.",
            'Base every figure in your answer on what the program printed, never on reading the data yourself.',
            '',
            `Question: ${question}`,
            '',
            dataSection(data, format || undefined),
            '',
            'Steps:',
            '1. Write one Python program using the standard library only (csv, json, statistics, collections, datetime, re, io);',
            '   numpy and pandas are not available. Parse the data, check what you assume about it (columns, types, empty or',
            '   malformed rows, counting what you skip), and print the figures that answer the question, each with a label.',
            '2. Call run_code with language "python" and the program. Leave timeoutMs and memoryMb out unless a run ends',
            '   "timeout" or "memory_limit".',
            '3. If the result\'s status is not "ok", read stderr and error.traceback, fix the program and call run_code again',
            '   (at most 4 runs in all).',
            '4. Answer in a few sentences with the printed figures, say how they were computed and which rows were skipped',
            '   and why, and give the runId of the run they came from.',
          ].join('\n'),
        ),
      ],
    }),
  );

  server.registerPrompt(
    'write_and_test_function',
    {
      title: 'Write and test a function',
      description:
        "Writes a Python or JavaScript function from a description and proves it with tests run in UMCA's sandbox (run_code), fixing it until they pass.",
      argsSchema: {
        description: z.string().min(1).max(20_000).describe('What the function must do, in plain words.'),
        language: choice(LANGUAGES, 'python (the default) or javascript.'),
        name: z.string().max(200).optional().describe('The function\'s name, e.g. "parse_duration"; chosen for you when left out.'),
        examples: z
          .string()
          .max(20_000)
          .optional()
          .describe('Known inputs and outputs, one per line, e.g. "parse_duration(\'1h30m\') == 5400".'),
      },
    },
    ({ description, language, name, examples }) => {
      const lang = language || 'python';
      const checks =
        lang === 'python'
          ? 'Python asserts with a message each: assert f(x) == y, "what this checks"'
          : 'checks that throw an Error saying what failed (QuickJS: an ES module, no Node APIs, console.log prints)';
      return {
        description: `Write and test a ${lang} function${name ? ` ${name}` : ''}`,
        messages: [
          userText(
            [
              `Write a ${lang} function${name ? ` named ${name}` : ''} that does what is described below, and prove that it works by`,
              "running it with tests in UMCA's sandbox with the run_code tool.",
              '',
              `What it must do: ${description}`,
              ...(examples ? ['', 'Examples that must hold:', examples] : []),
              '',
              'Steps:',
              `1. Write one program: the function, then tests as ${checks}.`,
              `   Cover ordinary inputs${examples ? ', every example above' : ''}, and the edge cases the description implies (empty`,
              '   input, zero, negative or very large values, invalid input). End by printing "all N tests passed".',
              `2. Call run_code with language "${lang}" and the program.`,
              '3. If the status is not "ok", read stderr and error (its traceback names the failing check), decide whether the',
              '   function or the test is wrong, fix that and call run_code again (at most 5 runs in all).',
              '4. Reply with the final function alone in a code block, then the tests, the runId of the passing run, and any',
              '   assumption you made where the description was unclear.',
            ].join('\n'),
          ),
        ],
      };
    },
  );

  server.registerPrompt(
    'hand_over_task',
    {
      title: 'Hand a task to UMCA',
      description:
        "Gives a programming task to UMCA's agent (run_task): it plans acceptance checks, writes the program, runs it in the sandbox and retries until the checks pass. Reports the verdict with the code and its evidence.",
      argsSchema: {
        task: z.string().min(1).max(20_000).describe('What the program should do, in plain words.'),
        language: choice(LANGUAGES, 'python (the default) or javascript.'),
        model: z
          .string()
          .max(1_000)
          .optional()
          .describe("provider:model for UMCA's planner and coder; left out: the server's default, else your own model (sampling)."),
      },
    },
    ({ task, language, model }) => {
      const options = [...(language ? [`language "${language}"`] : []), ...(model ? [`model "${model}"`] : [])];
      return {
        description: `Hand over to run_task: ${task.slice(0, 200)}`,
        messages: [
          userText(
            [
              "Use UMCA's run_task tool for the task below: UMCA plans it with acceptance checks, writes the program, runs it",
              'in its sandbox and retries with the evidence until the checks pass.',
              '',
              `Task: ${task}`,
              '',
              `Call run_task with task set to the text above${options.length ? `, ${options.join(', ')}` : ''}. When it returns:`,
              '- verdict "pass": show the final code, what it printed (stdout) and the checks it passed.',
              '- verdict "fail": show the reason and the checks that failed in the last round (the last entry of iterations),',
              '  and suggest a clearer task or a higher maxIterations.',
              '- verdict "unverified": say that the program ran but no check tested it, and show it.',
              '- a tool error: show its message; it says what to change.',
              'Give the runId in every case: get_run and the resource umca://runs/{runId} show the run later.',
            ].join('\n'),
          ),
        ],
      };
    },
  );
}
