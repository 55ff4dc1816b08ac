/**
 * @module describe-exit
 * Turns a wait(2) status into words, for runs whose sandbox process died on its own. A run is the
 * first process of its PID namespace, where a signal it raises itself would be ignored; it turns
 * an abort into exit status 128 + SIGABRT instead (native/umca_sandbox.c), read here as the signal.
 */
import { constants } from 'node:os';

const SIGNAL_NAMES = new Map<number, string>();
for (const [name, number] of Object.entries(constants.signals)) {
  // Keep the first, usual name of a number with aliases (SIGABRT rather than SIGIOT).
  if (!SIGNAL_NAMES.has(number)) SIGNAL_NAMES.set(number, name);
}

export function describeExitStatus(status: number | undefined): { signal?: string; code?: number; text: string } {
  if (status === undefined || status < 0) return { text: 'ended for an unknown reason' };
  const signal = status & 0x7f;
  if (signal === 0) {
    const code = (status >> 8) & 0xff;
    if (code === 128 + constants.signals.SIGABRT) return { signal: 'SIGABRT', text: 'was ended by SIGABRT' };
    return { code, text: `exited with code ${code} without reporting a result` };
  }
  const name = SIGNAL_NAMES.get(signal) ?? `signal ${signal}`;
  return { signal: name, text: `was ended by ${name}` };
}
