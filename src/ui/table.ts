import { stripVTControlCharacters } from 'node:util';

/** Visible width of a string, ignoring ANSI colour codes. */
function visibleLength(text: string): number {
  return stripVTControlCharacters(text).length;
}

/** Renders rows as left-aligned columns separated by two spaces. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, col) => Math.max(...all.map((row) => visibleLength(row[col] ?? ''))));
  return all
    .map((row) =>
      row
        .map((cell, col) => (col === row.length - 1 ? cell : cell + ' '.repeat((widths[col] ?? 0) - visibleLength(cell))))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
