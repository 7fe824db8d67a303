import fs from 'node:fs';
import type { Notebook } from '../../src/coursework/nbgrader';

export interface Cell {
  cell_type: string;
  source: string | string[];
  execution_count?: number | null;
  outputs?: { output_type: string; execution_count?: number | null }[];
}

export const text = (source: string | string[]) => (Array.isArray(source) ? source.join('') : source);
/** A notebook file, parsed (nbformat 4; the cells also satisfy `Cell`). */
export const readNotebook = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as Notebook;

/**
 * The formulas of a markdown cell's source as the export's KaTeX auto-render finds them ($$...$$
 * before $...$; code spans and fenced blocks hold no math), and the prose left once they are taken out.
 */
export function formulas(markdown: string): { found: { tex: string; display: boolean }[]; prose: string } {
  const found: { tex: string; display: boolean }[] = [];
  const prose = markdown
    .replace(/```[\s\S]*?```/g, '')
    .replace(/`[^`\n]*`/g, '')
    .replace(/\$\$([\s\S]+?)\$\$|\$((?:\\.|[^$\\])+?)\$/g, (_match, display: string | undefined, inline: string | undefined) => {
      found.push({ tex: display ?? inline ?? '', display: display !== undefined });
      return '';
    });
  return { found, prose };
}
