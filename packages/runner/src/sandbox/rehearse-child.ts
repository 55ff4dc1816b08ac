/**
 * @module rehearse-child
 * A full dress rehearsal of a child's work, done in the zygote with trusted programs: an order
 * goes through a real socket pair, the runtime runs it, output and the result come back as frames.
 * It compiles every JavaScript function on that path once, in the zygote, so forked children
 * inherit the compiled code instead of each compiling it again (a third of a child's CPU time
 * before this).
 */
import type { SandboxAddon } from '../internal/native-addon.js';
import { executeOrder } from './child-session.js';
import type { ChildOutcome, ChildToHost, RunOrder } from './protocol.js';
import type { SandboxRuntime } from './runtimes/runtime.js';
import { SyncChannel } from './sync-channel.js';

const REHEARSED = Symbol('rehearsed');

const PROGRAMS: Record<RunOrder['language'], string> = {
  python: 'import sys\nprint("rehearsal")\nprint("rehearsal", file=sys.stderr)',
  javascript: 'console.log("rehearsal")\nconsole.error("rehearsal")',
  wasi: 'AGFzbQEAAAABBAFgAAACAQADAgEABQMBAAEHEwIGbWVtb3J5AgAGX3N0YXJ0AAAKBAECAAs=',
};

export async function rehearseChild(addon: SandboxAddon, runtimes: Partial<Record<RunOrder['language'], SandboxRuntime>>): Promise<void> {
  for (const language of Object.keys(runtimes) as Array<RunOrder['language']>) {
    if (runtimes[language]?.childrenOnly) continue;
    const [hostEnd, childEnd] = addon.socketPair();
    try {
      const host = new SyncChannel(hostEnd);
      const child = new SyncChannel(childEnd);
      const program = language === 'wasi' ? { module: PROGRAMS.wasi } : { code: PROGRAMS[language] };
      host.send({
        type: 'run',
        order: {
          language,
          ...program,
          files: [],
          limits: { timeoutMs: 10_000, memoryMb: 64, outputBytes: 65_536 },
          budgetMs: 10_000,
          tools: [],
        },
      });
      const message = child.receive();
      if (message?.type !== 'run') throw new Error('the rehearsal order did not arrive');
      let outcome: ChildOutcome | undefined;
      try {
        await executeOrder({
          channel: child,
          runtimes,
          order: message.order,
          conclude: (result) => {
            child.send({ type: 'result', outcome: result });
            throw REHEARSED;
          },
        });
      } catch (error) {
        if (error !== REHEARSED) throw error;
      }
      for (let frame = host.receive<ChildToHost>(); frame; frame = host.receive<ChildToHost>()) {
        if (frame.type === 'result') {
          outcome = frame.outcome;
          break;
        }
      }
      if (outcome?.status !== 'ok')
        throw new Error(`the ${language} rehearsal ended ${outcome?.status}: ${JSON.stringify(outcome?.error)}`);
    } finally {
      addon.closeFd(hostEnd);
      addon.closeFd(childEnd);
    }
  }
}
