/**
 * @module check-harness
 * Appends the acceptance checks to the program so one sandboxed execution runs both, each check
 * on its own, and reports their results on a marker line whose name carries a random nonce (so
 * the program's own output cannot pass for it). The marker is removed from the output shown.
 */
import type { CheckResult } from '@umca/contracts';

export interface Harness {
  program: string;
  /** Reads the check results from stdout; returns the stdout without the marker line. */
  read(stdout: string): { checks: CheckResult[] | undefined; stdout: string };
}

function pythonHarness(marker: string, checks: string[]): string {
  return `

# --- acceptance checks, added by UMCA ---
def __umca_run_checks():
    import json as _json
    results = []
    for name, source in ${JSON.stringify(checks.map((check, index) => [`check ${index + 1}: ${check}`.slice(0, 200), check]))}:
        try:
            exec(source, globals())
            results.append({"name": name, "passed": True})
        except BaseException as error:
            results.append({"name": name, "passed": False, "detail": (type(error).__name__ + ": " + str(error))[:500]})
    print("\\n${marker}" + _json.dumps(results))
__umca_run_checks()
`;
}

function javascriptHarness(marker: string, checks: string[]): string {
  return `

// --- acceptance checks, added by UMCA ---
{
  const __umcaResults = [];
  for (const [name, source] of ${JSON.stringify(checks.map((check, index) => [`check ${index + 1}: ${check}`.slice(0, 200), check]))}) {
    try {
      const outcome = eval(source);
      if (outcome === false) throw new Error('the check evaluated to false');
      __umcaResults.push({ name, passed: true });
    } catch (error) {
      __umcaResults.push({ name, passed: false, detail: String(error && error.name ? error.name + ': ' + error.message : error).slice(0, 500) });
    }
  }
  console.log("\\n${marker}" + JSON.stringify(__umcaResults));
}
`;
}

export function buildHarness(code: string, checks: string[], language: 'python' | 'javascript', nonce: string): Harness {
  const marker = `@@UMCA_CHECKS_${nonce}@@`;
  const program =
    checks.length === 0 ? code : code + (language === 'python' ? pythonHarness(marker, checks) : javascriptHarness(marker, checks));
  return {
    program,
    read(stdout) {
      const at = stdout.lastIndexOf(marker);
      if (at < 0) return { checks: checks.length === 0 ? [] : undefined, stdout };
      const line = stdout.slice(at + marker.length).split('\n')[0] ?? '';
      let checkResults: CheckResult[] | undefined;
      try {
        checkResults = JSON.parse(line) as CheckResult[];
      } catch {
        checkResults = undefined;
      }
      return { checks: checkResults, stdout: stdout.slice(0, at).replace(/\n$/, '') };
    },
  };
}
