import type { DataFrame } from 'danfojs-node';

type DanfoModule = typeof import('danfojs-node');

/**
 * danfojs-node, loaded on first use (it takes most of a second, and most notebooks need no table).
 */
export function loadDanfo(): DanfoModule {
  return require('danfojs-node') as DanfoModule;
}

/** A danfojs DataFrame from columns (`{ name: values }`, all the same length). */
export function dataFrame(columns: Record<string, ReadonlyArray<number | string | boolean>>): DataFrame {
  const names = Object.keys(columns);
  if (names.length === 0) throw new Error('dataFrame: columns must name at least one column');
  const length = columns[names[0]].length;
  for (const name of names) {
    if (columns[name].length !== length) {
      throw new Error(`dataFrame: column "${name}" has ${columns[name].length} values, expected ${length} like column "${names[0]}"`);
    }
  }
  const data: Record<string, Array<number | string | boolean>> = {};
  for (const name of names) data[name] = Array.from(columns[name]);
  return new (loadDanfo().DataFrame)(data);
}
