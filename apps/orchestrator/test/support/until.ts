/**
 * Waits for something a test cannot await directly (events arriving over a stream, a run's
 * status changing), checking a bounded number of times. It never fails a test on its own: the
 * caller asserts what it waited for, so a test passes or fails on what happened, not on how fast.
 */
export async function until(condition: () => boolean | Promise<boolean>, attempts = 300, pauseMs = 50): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
}
