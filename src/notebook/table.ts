import { emit, escapeHtml } from './display';

/** What `showTable` accepts from a danfojs DataFrame: column names, row values and the row index. */
export interface DataFrameLike {
  columns: string[];
  values: unknown[];
  index: Array<string | number>;
}

/** Options for `showTable` and `tableHtml`. */
export interface TableOptions {
  /** A sentence under the table saying what it shows. */
  caption?: string;
  /** Significant digits for non-integer numbers; default 4. */
  digits?: number;
  /** At most this many rows are shown (the rest are counted in a note); default 50. */
  maxRows?: number;
  /** Show the row index as the first column; default false. */
  showIndex?: boolean;
}

/** A table as plain columns and rows, whatever it came from. */
export interface PlainTable {
  columns: string[];
  rows: unknown[][];
  index: Array<string | number>;
}

const defaultDigits = 4;
const defaultMaxRows = 50;

function isDataFrameLike(value: unknown): value is DataFrameLike {
  const v = value as Partial<DataFrameLike> | null;
  return v !== null && typeof v === 'object' && Array.isArray(v.columns) && Array.isArray(v.values) && Array.isArray(v.index);
}

/** Turns a danfojs DataFrame, or an array of records, into columns and rows. */
export function toPlainTable(table: DataFrameLike | ReadonlyArray<Record<string, unknown>>): PlainTable {
  if (isDataFrameLike(table)) {
    const columns = table.columns.map(String);
    const rows = table.values.map((row, r) => {
      const cells = Array.isArray(row) ? row : [row];
      if (cells.length !== columns.length) throw new Error(`table row ${r} has ${cells.length} values, expected ${columns.length} (one per column)`);
      return cells;
    });
    return { columns, rows, index: table.index };
  }
  if (!Array.isArray(table)) throw new Error(`showTable expects a danfojs DataFrame or an array of records, got ${typeof table}`);
  const columns: string[] = [];
  for (const record of table) {
    if (record === null || typeof record !== 'object') throw new Error(`showTable: every record must be an object, got ${JSON.stringify(record)}`);
    for (const key of Object.keys(record)) if (!columns.includes(key)) columns.push(key);
  }
  return { columns, rows: table.map((record) => columns.map((c) => record[c])), index: table.map((_, i) => i) };
}

/** Formats one cell: integers as they are, other numbers to `digits` significant digits. */
export function formatCell(value: unknown, digits: number): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return String(value);
    if (!Number.isFinite(value)) return String(value);
    return Number(value.toPrecision(digits)).toString();
  }
  return String(value);
}

/** The HTML of a table; every cell and header is escaped. */
export function tableHtml(table: PlainTable, options: TableOptions = {}): string {
  const digits = options.digits ?? defaultDigits;
  const maxRows = options.maxRows ?? defaultMaxRows;
  const showIndex = options.showIndex ?? false;
  const shown = table.rows.slice(0, maxRows);
  const head = `<tr>${showIndex ? '<th></th>' : ''}${table.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr>`;
  const body = shown
    .map((row, r) => {
      const cells = row.map((v) => `<td>${escapeHtml(formatCell(v, digits))}</td>`).join('');
      return `<tr>${showIndex ? `<th>${escapeHtml(String(table.index[r]))}</th>` : ''}${cells}</tr>`;
    })
    .join('\n');
  const more = table.rows.length > shown.length ? `<p>${table.rows.length - shown.length} more rows not shown.</p>` : '';
  const caption = options.caption !== undefined ? `<caption style="caption-side:bottom;text-align:left">${escapeHtml(options.caption)}</caption>` : '';
  return `<table class="replearn-table dataframe">${caption}\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>${more}`;
}

/** The same table as aligned plain text. */
export function tableText(table: PlainTable, options: TableOptions = {}): string {
  const digits = options.digits ?? defaultDigits;
  const rows = table.rows.slice(0, options.maxRows ?? defaultMaxRows).map((row) => row.map((v) => formatCell(v, digits)));
  const widths = table.columns.map((c, i) => Math.max(c.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd();
  const lines = [line(table.columns), ...rows.map(line)];
  if (options.caption !== undefined) lines.push(options.caption);
  return lines.join('\n');
}

/** Shows a danfojs DataFrame (or an array of records) as an HTML table with a plain-text twin. */
export function showTable(table: DataFrameLike | ReadonlyArray<Record<string, unknown>>, options: TableOptions = {}): void {
  const plain = toPlainTable(table);
  emit({ data: { 'text/html': tableHtml(plain, options), 'text/plain': tableText(plain, options) }, metadata: {} });
}
