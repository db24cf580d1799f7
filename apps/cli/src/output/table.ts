type Cell = string | number | boolean | null | undefined;

const MAX_WIDTH = 72;

function text(cell: Cell): string {
  if (cell === null || cell === undefined || cell === '') return '-';
  const s = String(cell).replace(/\s+/g, ' ');
  return s.length > MAX_WIDTH ? `${s.slice(0, MAX_WIDTH - 1)}…` : s;
}

/**
 * Rows as aligned columns under an upper-case header, for people (scripts use `--json`). Cells are
 * cut at 72 characters so one long ARN does not push the rest off the screen.
 */
export function table(headers: string[], rows: Cell[][]): string {
  const cells = [headers, ...rows.map((row) => row.map(text))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${cells.map(line).join('\n')}\n`;
}
