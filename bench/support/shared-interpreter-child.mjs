// The shared-interpreter baseline: one Pyodide and one QuickJS context in a plain Node process
// (default flags, so V8's optimizing tier is on), driven by the benchmark over IPC. Nothing is
// isolated or reset between programs: this is the floor a fresh sandbox per run is measured against.
//
// Started by shared-interpreters.mjs with child_process.fork; not meant to be run by hand.
import variant from '@jitl/quickjs-wasmfile-release-sync';
import { loadPyodide } from 'pyodide';
import { newQuickJSWASMModuleFromVariant } from 'quickjs-emscripten-core';

// The benchmark's death closes the channel; without this the child would wait for messages forever.
process.on('disconnect', () => process.exit(0));

const pyodide = await loadPyodide();
const discard = { batched() {} };
pyodide.setStdout(discard);
await pyodide.runPythonAsync('print(1)');
// Measured from this process's start, like the runner's cold start, for a sense of scale.
const pythonReadyMs = performance.now();

const quickjs = await newQuickJSWASMModuleFromVariant(variant);
const context = quickjs.newContext();
defineConsole(context);

/** A bare QuickJS context has no console: give it a `console.log` that discards, so `console.log(1)` is timed as written. */
function defineConsole(vm) {
  const console = vm.newObject();
  const log = vm.newFunction('log', () => undefined);
  vm.setProp(console, 'log', log);
  vm.setProp(vm.global, 'console', console);
  log.dispose();
  console.dispose();
}

/** Runs `code` on Pyodide `count` times; the lines it prints are kept only when asked (the compute program reports its own time). */
async function timePython(code, count, keepOutput) {
  const samples = [];
  const printed = [];
  pyodide.setStdout(keepOutput ? { batched: (line) => printed.push(line) } : discard);
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    await pyodide.runPythonAsync(code);
    samples.push(performance.now() - started);
  }
  pyodide.setStdout(discard);
  return { samples, printed };
}

/** Evaluates `code` in the one QuickJS context `count` times; freeing the result is part of a run. */
function timeJavascript(code, count) {
  const samples = [];
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    context.unwrapResult(context.evalCode(code)).dispose();
    samples.push(performance.now() - started);
  }
  return { samples, printed: [] };
}

process.on('message', async ({ id, language, code, count, keepOutput }) => {
  try {
    const timed = language === 'python' ? await timePython(code, count, keepOutput) : timeJavascript(code, count);
    process.send({ id, ...timed });
  } catch (error) {
    process.send({ id, error: String(error?.stack ?? error) });
  }
});
process.send({ ready: true, pythonReadyMs });
