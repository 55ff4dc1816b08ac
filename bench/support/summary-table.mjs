// The closing table of a benchmark: one row per figure, with its baseline from the same run, the
// ratio between them, the target and whether this run met it.

export const ms = (value) => `${value.toFixed(2)} ms`;
export const perSecond = (value) => `${value.toFixed(0)} /s`;
export const times = (value) => `${value.toFixed(2)}x`;

const COLUMNS = ['figure', 'measured', 'baseline', 'ratio', 'target', 'met'];

const cellOf = (value) => (typeof value === 'boolean' ? (value ? 'yes' : 'no') : (value ?? '-'));

/** Prints `rows` ({ figure, measured, baseline, ratio, target, met }; a missing cell prints as '-') as an aligned table. */
export function printSummary(rows) {
  const cells = rows.map((row) => COLUMNS.map((column) => cellOf(row[column])));
  const widths = COLUMNS.map((column, index) => Math.max(column.length, ...cells.map((row) => row[index].length)));
  const format = (row) => row.map((cell, index) => (index === 0 ? cell.padEnd(widths[index]) : cell.padStart(widths[index]))).join(' | ');
  console.log(format(COLUMNS));
  console.log(widths.map((width) => '-'.repeat(width)).join('-|-'));
  for (const row of cells) console.log(format(row));
}
