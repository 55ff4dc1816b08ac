/**
 * @module javascript-runtime
 * JavaScript on QuickJS compiled to WebAssembly: a new runtime and context for the run, no Node
 * APIs inside, the program evaluated as an ES module (top-level await works; the one module it
 * can import is `umca:tools`). QuickJS enforces its own memory cap and stops CPU loops at the
 * deadline; the process limits stand behind both. In a session the context is kept from run to
 * run and each run is a script in it (`cell1.js`...): its top-level `let`, `const`, `function`
 * and `var` names are there for the next run, as in a browser's console; a script has no
 * top-level `await` or `import` statement (a dynamic import of the tools module works).
 */
import type { SandboxToolReplyV1 } from '@umca/contracts';
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime, QuickJSWASMModule } from 'quickjs-emscripten-core';
import { shouldInterruptAfterDeadline } from 'quickjs-emscripten-core';
import type { ChildOutcome } from '../protocol.js';
import { QUICKJS_PRELUDE } from './quickjs-prelude.js';
import type { RunContext, SandboxRuntime } from './runtime.js';
import { TOOLS_MODULE, toolsModuleSource } from './tools-module.js';

const STACK_BYTES = 1_048_576;

type Dumped = { name?: unknown; message?: unknown; stack?: unknown } | unknown;

function describeError(dumped: Dumped): NonNullable<ChildOutcome['error']> {
  if (dumped && typeof dumped === 'object' && 'message' in dumped) {
    const { name, message, stack } = dumped as { name?: unknown; message?: unknown; stack?: unknown };
    const type = typeof name === 'string' ? name : 'Error';
    const text = String(message);
    return { type, message: text, traceback: `${type}: ${text}\n${typeof stack === 'string' ? stack : ''}`.trimEnd() };
  }
  return { type: 'Error', message: `Uncaught ${JSON.stringify(dumped) ?? String(dumped)}` };
}

function outcomeForError(dumped: Dumped): ChildOutcome {
  const error = describeError(dumped);
  if (error.type === 'InternalError' && error.message === 'interrupted') {
    return { status: 'timeout', exitCode: null, error, files: [], runtime: 'quickjs' };
  }
  if (/out of memory/i.test(error.message)) return { status: 'memory_limit', exitCode: null, error, files: [], runtime: 'quickjs' };
  return { status: 'error', exitCode: 1, error, files: [], runtime: 'quickjs' };
}

interface Session {
  readonly runtime: QuickJSRuntime;
  readonly vm: QuickJSContext;
  readonly timers: Map<number, NodeJS.Timeout>;
  readonly fired: number[];
  wake: () => void;
  context?: RunContext;
}

/**
 * A fresh runtime and context with the prelude evaluated; its host functions find the run later.
 * The zygote opens one after warm-up and every child runs in its own copy of it.
 */
function openSession(quickjs: QuickJSWASMModule): Session {
  const runtime = quickjs.newRuntime();
  runtime.setMaxStackSize(STACK_BYTES);
  const vm = runtime.newContext();
  const session: Session = { runtime, vm, timers: new Map(), fired: [], wake: () => {} };
  const define = (name: string, fn: (...args: QuickJSHandle[]) => QuickJSHandle | undefined) => {
    const handle = vm.newFunction(name, fn);
    vm.setProp(vm.global, name, handle);
    handle.dispose();
  };
  define('__umca_write', (stream, text) => {
    session.context?.output.write(vm.getString(stream) === 'stderr' ? 'stderr' : 'stdout', vm.getString(text));
    return undefined;
  });
  define('__umca_http', (json) => {
    const reply = session.context ? session.context.channel.http(JSON.parse(vm.getString(json))) : { error: 'no run' };
    return vm.newString(JSON.stringify(reply));
  });
  define('__umca_tool', (name, json) => {
    const reply: SandboxToolReplyV1 = session.context
      ? session.context.channel.tool(vm.getString(name), vm.getString(json))
      : { ok: false, code: 'denied', message: 'no upstream tools are available here' };
    return vm.newString(JSON.stringify(reply));
  });
  // `umca:tools` is the one module there is, built from the run's tools; anything else fails
  // as it would with no loader at all.
  runtime.setModuleLoader((moduleName, context) => {
    if (moduleName === TOOLS_MODULE) return toolsModuleSource(session.context?.order.tools ?? []);
    return { error: context.newError({ name: 'ReferenceError', message: `could not load module '${moduleName}'` }) };
  });
  define('__umca_timer_set', (idHandle, delayHandle) => {
    const id = vm.getNumber(idHandle);
    const timer = setTimeout(() => {
      session.timers.delete(id);
      session.fired.push(id);
      session.wake();
    }, vm.getNumber(delayHandle));
    session.timers.set(id, timer);
    return undefined;
  });
  define('__umca_timer_clear', (idHandle) => {
    const id = vm.getNumber(idHandle);
    clearTimeout(session.timers.get(id));
    session.timers.delete(id);
    return undefined;
  });
  const prelude = vm.evalCode(QUICKJS_PRELUDE, 'umca-prelude.js', { type: 'global' });
  if (prelude.error) throw new Error(`the sandbox prelude failed: ${JSON.stringify(vm.dump(prelude.error))}`);
  prelude.value.dispose();
  return session;
}

/** Returns the JavaScript runtime bound to a loaded QuickJS module. */
export function createJavascriptRuntime(quickjs: QuickJSWASMModule): SandboxRuntime {
  let prepared: Session | undefined;
  /** A session's context, kept from its first run, and the memory ceiling fixed then. */
  let kept: { session: Session; memoryCeiling: number; cells: number } | undefined;
  return {
    runtime: 'quickjs',
    sessions: true,
    prepare() {
      prepared ??= openSession(quickjs);
    },
    async run(context: RunContext): Promise<ChildOutcome> {
      const session = kept?.session ?? prepared ?? openSession(quickjs);
      prepared = undefined;
      session.context = context;
      const { runtime, vm, timers, fired } = session;
      // QuickJS's own limit is not a hard cap on the WebAssembly memory it grows, so the interrupt
      // handler (called every few thousand bytecodes) also watches the memory itself. A session's
      // ceiling is fixed at its first run: it counts what all its runs keep.
      const memory = quickjs.getWasmMemory();
      if (context.session && !kept) {
        kept = { session, memoryCeiling: memory.buffer.byteLength + context.memoryBytes, cells: 0 };
        runtime.setMemoryLimit(context.memoryBytes);
      }
      if (!context.session) runtime.setMemoryLimit(context.memoryBytes);
      const memoryCeiling = kept?.memoryCeiling ?? memory.buffer.byteLength + context.memoryBytes;
      let memoryExceeded = false;
      const pastDeadline = shouldInterruptAfterDeadline(Date.now() + (context.deadline - performance.now()));
      runtime.setInterruptHandler((interrupted) => {
        if (memory.buffer.byteLength > memoryCeiling) memoryExceeded = true;
        return memoryExceeded || pastDeadline(interrupted);
      });
      const outcomeFor = (dumped: unknown): ChildOutcome => {
        const outcome = outcomeForError(dumped);
        if (!memoryExceeded) return outcome;
        return { ...outcome, status: 'memory_limit', exitCode: null, error: { type: 'InternalError', message: 'out of memory' } };
      };

      const evaluated = kept
        ? vm.evalCode(context.order.code ?? '', `cell${++kept.cells}.js`, { type: 'global' })
        : vm.evalCode(context.order.code ?? '', 'main.js', { type: 'module' });
      if (evaluated.error) {
        const outcome = outcomeFor(vm.dump(evaluated.error));
        context.output.flush();
        return outcome;
      }
      const main = evaluated.value;
      const fire = vm.getProp(vm.global, '__umca_fire');
      for (;;) {
        const jobs = runtime.executePendingJobs();
        if (jobs.error) {
          const outcome = outcomeFor(vm.dump(jobs.error));
          context.output.flush();
          return outcome;
        }
        const state = vm.getPromiseState(main);
        if (state.type === 'rejected') {
          const outcome = outcomeFor(vm.dump(state.error));
          context.output.flush();
          return outcome;
        }
        if (state.type === 'fulfilled' && !state.notAPromise) state.value.dispose();
        if (fired.length === 0 && timers.size === 0) {
          context.output.flush();
          if (state.type === 'pending') {
            return {
              status: 'error',
              exitCode: 13,
              error: { type: 'Error', message: 'the program awaited a promise that can never settle (nothing left to run)' },
              files: [],
              runtime: 'quickjs',
            };
          }
          return { status: 'ok', exitCode: 0, files: [], runtime: 'quickjs' };
        }
        if (fired.length === 0) await new Promise<void>((resolve) => (session.wake = resolve));
        const id = fired.shift();
        if (id === undefined) continue;
        const idHandle = vm.newNumber(id);
        const called = vm.callFunction(fire, vm.undefined, idHandle);
        idHandle.dispose();
        if (called.error) {
          const outcome = outcomeFor(vm.dump(called.error));
          context.output.flush();
          return outcome;
        }
        called.value.dispose();
      }
    },
  };
}
