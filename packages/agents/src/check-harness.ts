/**
 * @module check-harness
 * Appends the acceptance checks to the program so one sandboxed execution runs both, each check
 * on its own, and reports their results on a marker line whose name carries a random nonce (so
 * the program's own output cannot pass for it). The marker is removed from the output shown.
 */
import type { CheckResult } from '@umca/contracts';

export type OutputSink = (stream: 'stdout' | 'stderr', text: string) => void;

export interface Harness {
  program: string;
  /** Reads the check results from stdout; returns the stdout without the marker line. */
  read(stdout: string): { checks: CheckResult[] | undefined; stdout: string };
  /**
   * Passes live output on without the marker line (and the blank line the harness prints before
   * it). Text that may be the start of the marker is held until it is clearly not; `flush` sends
   * what is held once the program has ended.
   */
  liveOutput(sink: OutputSink): { write: OutputSink; flush(): void };
}

function withoutMarker(marker: string, sink: OutputSink): { write: OutputSink; flush(): void } {
  let held = '';
  let atLineStart = true;
  const write: OutputSink = (stream, text) => {
    if (stream === 'stderr') return sink(stream, text);
    let rest = held + text;
    held = '';
    let out = '';
    while (rest) {
      if (atLineStart) {
        const skip = rest.startsWith('\n') ? 1 : 0;
        const probe = rest.slice(skip, skip + marker.length);
        if (probe === '' || marker.startsWith(probe)) {
          const end = rest.indexOf('\n', skip);
          if (probe.length < marker.length || end < 0) {
            held = rest; // not sure yet, or the marker line has not ended
            break;
          }
          rest = rest.slice(end + 1); // the marker line: dropped
          continue;
        }
      }
      const end = rest.indexOf('\n');
      const line = end < 0 ? rest : rest.slice(0, end + 1);
      out += line;
      rest = rest.slice(line.length);
      atLineStart = end >= 0;
    }
    if (out) sink('stdout', out);
  };
  return {
    write,
    flush() {
      const skip = held.startsWith('\n') ? 1 : 0;
      if (held && !held.startsWith(marker, skip)) sink('stdout', held);
      held = '';
    },
  };
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
            message = str(error)
            results.append({"name": name, "passed": False, "detail": (type(error).__name__ + (": " + message if message else ""))[:500]})
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
    liveOutput: (sink) => (checks.length === 0 ? { write: sink, flush() {} } : withoutMarker(marker, sink)),
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
