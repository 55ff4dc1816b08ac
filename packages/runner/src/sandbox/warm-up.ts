/**
 * @module warm-up
 * Fixed, trusted programs the zygote runs before its first fork, so that every child inherits
 * their work instead of redoing it: interpreter paths already taken (Python's import machinery,
 * exceptions, asyncio, JSON), and WebAssembly functions that ran hot tiered up from V8's baseline
 * compiler (Liftoff) to its optimising one (TurboFan). A child never tiers up by itself (fork
 * copies only the calling thread, and V8 compiles on its workers), so the interpreters' hot loops
 * must be optimised here: CPU-bound Python in a child ran about twice as slowly before.
 */
import type { Language } from '@umca/contracts';
import type { RunContext, SandboxRuntime } from './runtimes/runtime.js';
import type { SyncChannel } from './sync-channel.js';

/** What typical programs spend their time on: bytecode dispatch, ints, floats, str, dict, list, sort, json, re. */
const PYTHON_HOT_PATHS = `import json, re, math
table = {}
for i in range(20000):
    table[str(i)] = [i, i * 2.5, "x" * (i % 7)]
text = json.dumps(table)
json.loads(text)
re.findall(r"[0-9]+", text[:20000])
sum(i * i for i in range(200001))
sorted(table.items(), key=lambda item: item[1][0] % 97)
words = " ".join(str(i) for i in range(5000)).split()
{word: len(word) for word in words}
math.fsum(math.sqrt(i) for i in range(50000))
class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y
    def norm(self):
        return (self.x * self.x + self.y * self.y) ** 0.5
sum(Point(i, i + 1).norm() for i in range(20000))
f"{sum(range(1000)):,}".replace(",", "_")
# Programs import modules the snapshot has not loaded, and every run compiles its program: take
# the import machinery (finders, unmarshalling, class bodies) and the compiler past the budget
# too, then forget those modules, so that children start from the same state with a cache or not.
# (Not pydoc: it loads sysconfig's build-time data, whose paths are those of Pyodide's build.)
import gc, sys, traceback
_before = set(sys.modules)
import importlib.metadata, shlex, optparse, gettext, queue, netrc, filecmp, wave, cmd, codeop, getopt
for _name in set(sys.modules) - _before:
    del sys.modules[_name]
gc.collect()
for _ in range(20):
    compile("\\n".join(f"def f{i}(a, b=2):\\n    return [a * b for _ in range({i})]" for i in range(50)), "<warm>", "exec")
    try:
        {}["missing"]
    except KeyError:
        traceback.format_exc()`;

const JAVASCRIPT_HOT_PATHS = `let total = 0;
const table = {};
for (let i = 0; i < 20000; i++) { table[String(i)] = [i, i * 2.5, 'x'.repeat(i % 7)]; total += i * i; }
const text = JSON.stringify(table);
JSON.parse(text);
(text.slice(0, 20000).match(/[0-9]+/g) ?? []).length;
Object.entries(table).sort((a, b) => (a[1][0] % 97) - (b[1][0] % 97));
class Point { constructor(x, y) { this.x = x; this.y = y; } norm() { return Math.sqrt(this.x * this.x + this.y * this.y); } }
for (let i = 0; i < 20000; i++) total += new Point(i, i + 1).norm();
console.log(total > 0)`;

const WARM_UP: Partial<Record<Language, string[]>> = {
  python: [
    'import json, asyncio\nawait asyncio.sleep(0)\nprint(json.dumps({"n": sum(i * i for i in range(100))}))\ntry:\n    1/0\nexcept ZeroDivisionError:\n    pass',
    'raise ValueError("warm")',
  ],
  javascript: ['console.log(JSON.stringify([1, 2, 3].map((x) => x * 2)))'],
};

const HOT_PATHS: Partial<Record<Language, string>> = { python: PYTHON_HOT_PATHS, javascript: JAVASCRIPT_HOT_PATHS };

/**
 * Runs each runtime on the warm-up programs, output discarded; with `tierUp`, also on its hot
 * paths (not needed when the interpreter's optimised code came from the code cache).
 */
export async function warmUp(runtimes: Partial<Record<Language, SandboxRuntime>>, options: { tierUp: boolean }): Promise<void> {
  const quiet = { write() {}, flush() {} };
  for (const [language, basics] of Object.entries(WARM_UP) as Array<[Language, string[]]>) {
    const runtime = runtimes[language];
    if (!runtime || runtime.childrenOnly) continue;
    const hot = HOT_PATHS[language];
    // One pass of the hot paths takes the interpreter's loops past V8's tiering budget; the
    // zygote then waits for the compiler.
    const programs = options.tierUp && hot ? [...basics, hot] : basics;
    for (const code of programs) {
      const context: RunContext = {
        order: {
          language,
          code,
          files: [],
          limits: { timeoutMs: 10_000, memoryMb: 64, outputBytes: 1_000_000 },
          budgetMs: 10_000,
          tools: [],
        },
        channel: undefined as unknown as SyncChannel,
        output: quiet,
        deadline: performance.now() + 10_000,
        memoryBytes: 64 * 1_048_576,
      };
      await runtime.run(context);
    }
  }
}
