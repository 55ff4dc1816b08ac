/**
 * Every run starts from the same pristine interpreter: nothing a run defines, imports, writes or
 * patches is visible to any later run, whichever sandbox process the later run lands in.
 */
import { describe, expect, it } from 'vitest';
import { useRunner } from './support/use-runner.js';

const runner = useRunner({ concurrency: 2, warmChildren: 3 });

const POLLUTE_PYTHON = `
import builtins, json, os, sys, types, js
secret_global = "left behind"
builtins.planted = "planted builtin"
json.dumps = lambda *args, **kwargs: "patched json"
os.environ["PLANTED"] = "1"
sys.modules["planted_module"] = types.ModuleType("planted_module")
sys.path.insert(0, "/planted")
open("/work/planted.txt", "w").write("planted file")
open("/tmp/planted.txt", "w").write("planted file")
js.globalThis.planted = "planted in the JS realm"
js.Object.prototype.planted = "planted on Object.prototype"
import decimal
decimal.getcontext().prec = 3
print("polluted")
`;

const CHECK_PYTHON = `
import builtins, json, os, sys, js, decimal
print({
  "global": "secret_global" in globals(),
  "builtin": hasattr(builtins, "planted"),
  "json": json.dumps({"a": 1}),
  "env": "PLANTED" in os.environ,
  "module": "planted_module" in sys.modules,
  "path": "/planted" in sys.path,
  "work file": os.path.exists("/work/planted.txt"),
  "tmp file": os.path.exists("/tmp/planted.txt"),
  "js global": str(getattr(js.globalThis, "planted", None)),
  "js prototype": str(js.eval("({}).planted")) if hasattr(js, "eval") else "n/a",
  "decimal": decimal.getcontext().prec,
})
`;

describe('no state crosses from one run to the next', () => {
  it('Python: globals, builtins, patched modules, environment, files and the JS realm', async () => {
    for (let round = 0; round < 6; round++) {
      expect((await runner().run({ language: 'python', code: POLLUTE_PYTHON })).stdout).toBe('polluted\n');
      const check = await runner().run({ language: 'python', code: CHECK_PYTHON });
      expect(check.status).toBe('ok');
      expect(check.stdout).toBe(
        "{'global': False, 'builtin': False, 'json': '{\"a\": 1}', 'env': False, 'module': False, 'path': False, 'work file': False, 'tmp file': False, 'js global': 'None', 'js prototype': 'None', 'decimal': 28}\n",
      );
    }
  });

  it('JavaScript: globals and prototypes', async () => {
    for (let round = 0; round < 6; round++) {
      await runner().run({
        language: 'javascript',
        code: 'globalThis.planted = 1; Object.prototype.planted = 2; Array.prototype.push = null; JSON.stringify = () => "patched"',
      });
      const check = await runner().run({
        language: 'javascript',
        code: 'const a = []; a.push(1); console.log(typeof globalThis.planted, ({}).planted, JSON.stringify(a))',
      });
      expect(check.stdout).toBe('undefined undefined [1]\n');
    }
  });

  it('concurrent runs do not see each other', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        runner().run({
          language: 'python',
          code: `import builtins\nseen = getattr(builtins, "owner", None)\nbuiltins.owner = ${index}\nprint(seen)`,
        }),
      ),
    );
    for (const result of results) expect(result.stdout).toBe('None\n');
  });

  it("Python: the zygote's objects start frozen, out of a run's collections, whatever the last run did to them", async () => {
    // A run's own objects only: gc.collect() in a child walks (and so copies) none of the zygote's.
    const code = 'import gc\nprint(gc.get_freeze_count() > 10_000, len(gc.get_objects()) < 1_000)\ngc.unfreeze()\ngc.collect()';
    for (let round = 0; round < 3; round++) {
      const result = await runner().run({ language: 'python', code });
      expect(result).toMatchObject({ status: 'ok', stdout: 'True True\n' });
    }
  });
});
