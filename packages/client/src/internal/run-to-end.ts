/**
 * @module run-to-end
 * What `runCode` and `runTask` share: submit, follow the run's events into the callbacks, then
 * read its result. A caller that gives up (or cannot be answered) does not leave the run going.
 */
import type { Run } from '@umca/contracts';
import type { RunAccepted } from '../api-types.js';
import type { RunTaskOptions, UmcaClient } from '../umca-client.js';
import { UmcaClientError } from '../umca-client-error.js';
import { untilAborted } from './abort.js';

export async function runToEnd<Result>(
  client: UmcaClient,
  submit: () => Promise<RunAccepted>,
  options: RunTaskOptions,
  resultOf: (run: Run) => Result | undefined,
): Promise<Result> {
  const { signal } = options;
  signal?.throwIfAborted(); // nothing to start for a caller who has already given up
  // Best effort: a run that has ended answers 409, a server that is gone does not answer.
  const cancel = (runId: string) => client.cancelRun(runId).catch(() => undefined);
  // The submission itself is not aborted: an abort while it is on its way would leave a run
  // nobody knows the id of. The caller is answered at once; the run is cancelled when its id comes.
  const { runId } = await untilAborted(submit(), signal, (late) => void cancel(late.runId));
  try {
    for await (const { offset, event } of client.followRun(runId, signal ? { signal } : {})) {
      await options.onEvent?.(event, offset);
      if (event.type === 'dev.umca.output.appended.v1') {
        await (event.data.stream === 'stdout' ? options.onStdout : options.onStderr)?.(event.data.text);
      }
      if (event.type === 'dev.umca.step.ended.v1') await options.onStep?.(event.data);
    }
    const run = await client.getRun(runId, signal ? { signal } : {});
    const result = resultOf(run);
    if (result === undefined) {
      throw new UmcaClientError('unexpected_response', `run ${runId} ended but the server gave no ${run.kind} result for it`);
    }
    return result;
  } catch (error) {
    await cancel(runId);
    throw error;
  }
}
