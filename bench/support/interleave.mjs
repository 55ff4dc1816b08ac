// Interleaved measurement: a drifting or shared machine must weigh on a figure and its baseline
// alike, so each round runs one block of every side, the order turning each round, and the
// samples of all rounds are pooled before any median is taken.

/**
 * Runs `rounds` rounds; in each, calls every side's `measure(round)` once (order rotated per round)
 * and pools what it returns. `sides` maps a name to an async function returning an array of samples.
 * Returns the same names mapped to all their samples.
 */
export async function interleave(rounds, sides) {
  const names = Object.keys(sides);
  const pooled = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let step = 0; step < names.length; step++) {
      const name = names[(round + step) % names.length];
      pooled[name].push(...(await sides[name](round)));
    }
  }
  return pooled;
}
