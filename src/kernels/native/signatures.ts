/**
 * The calling convention of replearn's native addon (src/native/replearn_native.cc), written once.
 *
 * Each kernel entry point of the addon takes the wasm heap (`HEAPU8`), then numbers in the order
 * of its list below. Callers never write that order: they pass one object with named fields
 * (`AddonParams`), and `marshal` turns it into the argument list. The addon declares the same
 * lists (its `signatures()`), and `bindAddon` refuses an addon whose lists differ, so the two
 * sides cannot drift apart silently.
 *
 * Offsets are element (float) offsets on the heap, byte offset / 4. An offset of -1 means "none"
 * where a field says so.
 */

/**
 * How a parameter travels: `int` an integer (a size, an offset), `real` any number, `flag` a
 * boolean (sent as 1 or 0), `activation` an activation name (sent as its code).
 */
export type ParameterKind = 'int' | 'real' | 'flag' | 'activation';

/** Codes of the fused activations, shared with `enum Activation` in the addon. */
export const nativeActivationCodes = { linear: 0, relu: 1, relu6: 2, sigmoid: 3, leakyrelu: 4, elu: 5 } as const;

/** A fused activation the addon applies itself. */
export type NativeActivation = keyof typeof nativeActivationCodes;

/** Whether the addon can apply `name` itself (others fall back to wasm). */
export function isNativeActivation(name: string): name is NativeActivation {
  return Object.prototype.hasOwnProperty.call(nativeActivationCodes, name);
}

/** The shape of one 2-D convolution: NHWC input, filter [filterHeight, filterWidth, inChannels, outChannels]. */
const convShape = [
  ['batchSize', 'int'],
  ['inHeight', 'int'],
  ['inWidth', 'int'],
  ['inChannels', 'int'],
  ['filterHeight', 'int'],
  ['filterWidth', 'int'],
  ['outChannels', 'int'],
  ['outHeight', 'int'],
  ['outWidth', 'int'],
  ['strideHeight', 'int'],
  ['strideWidth', 'int'],
  ['dilationHeight', 'int'],
  ['dilationWidth', 'int'],
  ['padTop', 'int'],
  ['padLeft', 'int'],
] as const;

/** The shape of one max pool, NHWC. */
const poolShape = [
  ['batchSize', 'int'],
  ['inHeight', 'int'],
  ['inWidth', 'int'],
  ['inChannels', 'int'],
  ['filterHeight', 'int'],
  ['filterWidth', 'int'],
  ['outHeight', 'int'],
  ['outWidth', 'int'],
  ['strideHeight', 'int'],
  ['strideWidth', 'int'],
  ['padTop', 'int'],
  ['padLeft', 'int'],
] as const;

/**
 * Every kernel entry point of the addon and its parameters after the heap, in the order it reads
 * them. What each computes is documented next to it in src/native/replearn_native.cc.
 */
export const addonSignatures = {
  /** out[b] = activation(op(A[b]) op(B[b]) + bias), out is m x n; a batch stride of 0 broadcasts that operand; biasOffset -1 for none. */
  gemm: [
    ['batch', 'int'],
    ['transposeA', 'flag'],
    ['transposeB', 'flag'],
    ['m', 'int'],
    ['n', 'int'],
    ['k', 'int'],
    ['aOffset', 'int'],
    ['aBatchStride', 'int'],
    ['bOffset', 'int'],
    ['bBatchStride', 'int'],
    ['outOffset', 'int'],
    ['biasOffset', 'int'],
    ['biasLength', 'int'],
    ['activation', 'activation'],
    ['leakyreluAlpha', 'real'],
  ],
  /** out = activation(conv2d(x, filter) + bias); biasOffset -1 for none. */
  conv2d: [
    ['xOffset', 'int'],
    ['filterOffset', 'int'],
    ['outOffset', 'int'],
    ['biasOffset', 'int'],
    ['biasLength', 'int'],
    ['activation', 'activation'],
    ['leakyreluAlpha', 'real'],
    ...convShape,
  ],
  /** dx = the input gradient of conv2d. */
  conv2dBackpropInput: [['dyOffset', 'int'], ['filterOffset', 'int'], ['dxOffset', 'int'], ...convShape],
  /** dFilter = the filter gradient of conv2d. */
  conv2dBackpropFilter: [['xOffset', 'int'], ['dyOffset', 'int'], ['dFilterOffset', 'int'], ...convShape],
  /** out = each window's maximum. */
  maxPool: [['xOffset', 'int'], ['outOffset', 'int'], ...poolShape],
  /** dx = dy routed to each window's first maximum. */
  maxPoolGrad: [['dyOffset', 'int'], ['xOffset', 'int'], ['dxOffset', 'int'], ...poolShape],
  /** x is outer x inner; `leading` sums over the outer index (out has inner elements), else over the inner one (out has outer elements). */
  sumRows: [
    ['xOffset', 'int'],
    ['outOffset', 'int'],
    ['outer', 'int'],
    ['inner', 'int'],
    ['leading', 'flag'],
  ],
  /** One Adam step of `size` elements, into new buffers or in place (the new offsets equal to the old; see Optimizer). */
  adam: [
    ['variableOffset', 'int'],
    ['mOffset', 'int'],
    ['vOffset', 'int'],
    ['gradientOffset', 'int'],
    ['newVariableOffset', 'int'],
    ['newMOffset', 'int'],
    ['newVOffset', 'int'],
    ['size', 'int'],
    ['rate', 'real'],
    ['beta1', 'real'],
    ['beta2', 'real'],
    ['epsilon', 'real'],
  ],
  /** The backward pass of a dense layer's ReLU and bias (dy, y its output, rows x cols): g = dy where y > 0, else 0; db = the column sums of g. */
  reluBiasGrad: [
    ['dyOffset', 'int'],
    ['yOffset', 'int'],
    ['gOffset', 'int'],
    ['dbOffset', 'int'],
    ['rows', 'int'],
    ['cols', 'int'],
  ],
  /** out = activation(x + bias), x rows x cols, bias cols long. */
  biasActivation: [
    ['xOffset', 'int'],
    ['biasOffset', 'int'],
    ['outOffset', 'int'],
    ['rows', 'int'],
    ['cols', 'int'],
    ['activation', 'activation'],
    ['leakyreluAlpha', 'real'],
  ],
  /** out[r] = the binary cross-entropy of targets x against logits (rows x cols) summed over row r. */
  bce: [
    ['logitsOffset', 'int'],
    ['xOffset', 'int'],
    ['outOffset', 'int'],
    ['rows', 'int'],
    ['cols', 'int'],
  ],
  /** dLogits = dy[r] (sigmoid(logits) - x): the gradient of bce's row sums. */
  bceGrad: [
    ['dyOffset', 'int'],
    ['logitsOffset', 'int'],
    ['xOffset', 'int'],
    ['dLogitsOffset', 'int'],
    ['rows', 'int'],
    ['cols', 'int'],
  ],
} as const;

/** A kernel entry point of the addon. */
export type AddonFunction = keyof typeof addonSignatures;

/** Names of the addon's kernel entry points, from the table above. */
export const addonFunctions = Object.keys(addonSignatures) as AddonFunction[];

type ValueOf<K extends ParameterKind> = K extends 'flag' ? boolean : K extends 'activation' ? NativeActivation : number;

type NamedParameters<S extends readonly (readonly [string, ParameterKind])[]> = { readonly [P in S[number] as P[0]]: ValueOf<P[1]> };

/** The named parameters of entry point `F`. */
export type AddonParams<F extends AddonFunction> = NamedParameters<(typeof addonSignatures)[F]>;

/** The shape fields of a convolution entry point (`batchSize` ... `padLeft`). */
export type ConvShapeParams = NamedParameters<typeof convShape>;

/** The shape fields of a pooling entry point (`batchSize` ... `padLeft`). */
export type PoolShapeParams = NamedParameters<typeof poolShape>;

/** The addon as replearn calls it: each kernel entry point with its named parameters. */
export type NativeAddon = { readonly [F in AddonFunction]: (heap: Uint8Array, params: AddonParams<F>) => void } & {
  /** Sets the thread count of OpenBLAS and OpenMP when given; returns the count in use. */
  threads(n?: number): number;
  /** OpenBLAS's build description, after oneDNN's version where the addon has it. */
  describe(): string;
  /**
   * Sets how convolutions run when given (`'im2col'` the addon's own way, `'oneDNN'` oneDNN's
   * primitives wherever oneDNN can run the shape, `'auto'` the faster by measurement per shape and
   * pass) and returns the way in use. Without oneDNN in the build every way runs im2col.
   */
  convolutionMode(mode?: ConvolutionMode): ConvolutionMode;
  /** oneDNN's version ("oneDNN 2.6.3") when the addon was built with it, else "". */
  oneDnn(): string;
  /** What `'auto'` measured and chose, per convolution shape and pass. */
  convolutionChoices(): ConvolutionChoice[];
  /**
   * The `count` largest eigenvalues of the symmetric `n x n` `matrix` (row-major), largest first,
   * into `values`, and their unit eigenvectors as the rows of `vectors` (`[count, n]`), by LAPACK's
   * dsyevr in double precision. Returns false, writing nothing, when OpenBLAS was built without LAPACK.
   */
  symmetricEigen(matrix: Float64Array, n: number, count: number, values: Float64Array, vectors: Float64Array): boolean;
};

/** How the addon runs convolutions (see `NativeAddon.convolutionMode`). */
export type ConvolutionMode = 'im2col' | 'oneDNN' | 'auto';

/** The addon's codes of the convolution modes. */
export const convolutionModeCodes: Readonly<Record<ConvolutionMode, number>> = { im2col: 0, oneDNN: 1, auto: 2 };

/** One convolution shape and pass as `'auto'` measured it. */
export interface ConvolutionChoice {
  /** batch, in height, in width, in channels, filter height, filter width, out channels, out height, out width, strides, dilations, top and left padding. */
  shape: number[];
  pass: 'forward' | 'inputGradient' | 'filterGradient';
  threads: number;
  way: 'oneDNN' | 'im2col' | 'measuring';
  /** Medians of the timed calls, ms (0 before any). */
  oneDnnMs: number;
  im2colMs: number;
  /** Why oneDNN cannot run it, where it cannot. */
  why: string;
}

/** What the addon's module exports: positional arguments, which only `bindAddon` writes. */
export type RawNativeAddon = { readonly [F in AddonFunction]: (heap: Uint8Array, ...args: number[]) => void } & {
  threads(n?: number): number;
  describe(): string;
  convolutionMode(mode?: number): number;
  oneDnn(): string;
  convolutionChoices(): ConvolutionChoice[];
  symmetricEigen(matrix: Float64Array, n: number, count: number, values: Float64Array, vectors: Float64Array): boolean;
  /** Each entry point's parameter names after the heap, in the order it reads them. */
  signatures(): Record<string, string[]>;
};

function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

function encode(fn: AddonFunction, name: string, kind: ParameterKind, value: unknown): number {
  if (kind === 'flag') {
    if (typeof value === 'boolean') return value ? 1 : 0;
  } else if (kind === 'activation') {
    if (typeof value === 'string' && isNativeActivation(value)) return nativeActivationCodes[value];
  } else if (typeof value === 'number') {
    return value;
  }
  const expected = kind === 'flag' ? 'a boolean' : kind === 'activation' ? `one of ${Object.keys(nativeActivationCodes).join('|')}` : 'a number';
  throw new Error(`replearn native ${fn}: ${name} must be ${expected}, got ${shown(value)}`);
}

/**
 * The argument list after the heap for entry point `fn`: the fields of `params` in the addon's
 * order. A missing, unknown or mistyped field is an error naming it (the types rule these out
 * in TypeScript; this guards calls that bypass them).
 */
export function marshal<F extends AddonFunction>(fn: F, params: AddonParams<F>): number[] {
  const signature: readonly (readonly [string, ParameterKind])[] = addonSignatures[fn];
  const fields = params as unknown as Record<string, unknown>;
  const args = new Array<number>(signature.length);
  for (let i = 0; i < signature.length; i++) {
    const [name, kind] = signature[i];
    args[i] = encode(fn, name, kind, fields[name]);
  }
  const given = Object.keys(fields);
  if (given.length !== signature.length) {
    const unknown = given.filter((key) => !signature.some(([name]) => name === key));
    throw new Error(`replearn native ${fn}: unknown parameter${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')} (it takes ${signature.map(([name]) => name).join(', ')})`);
  }
  return args;
}

/**
 * The addon with named parameters. Throws when the addon reads its arguments in another order
 * than `addonSignatures` (an addon built from another version of replearn_native.cc).
 */
export function bindAddon(raw: RawNativeAddon, where: string): NativeAddon {
  if (typeof raw.signatures !== 'function') {
    throw new Error(`the native addon at ${where} predates this replearn (it declares no signatures): rebuild it with npm run setup`);
  }
  const declared = raw.signatures();
  for (const fn of addonFunctions) {
    const ours = addonSignatures[fn].map(([name]) => name).join(', ');
    const theirs = Array.isArray(declared[fn]) ? declared[fn].join(', ') : 'nothing';
    if (ours !== theirs || typeof raw[fn] !== 'function') {
      throw new Error(`the native addon at ${where} does not match this replearn: its ${fn} takes (${theirs}), replearn passes (${ours}); rebuild it with npm run setup`);
    }
  }
  if (typeof raw.convolutionMode !== 'function' || typeof raw.oneDnn !== 'function' || typeof raw.convolutionChoices !== 'function') {
    throw new Error(`the native addon at ${where} predates this replearn (it has no convolutionMode): rebuild it with npm run setup`);
  }
  if (typeof raw.symmetricEigen !== 'function') {
    throw new Error(`the native addon at ${where} predates this replearn (it has no symmetricEigen): rebuild it with npm run setup`);
  }
  const bound = Object.fromEntries(addonFunctions.map((fn) => [fn, (heap: Uint8Array, params: AddonParams<typeof fn>) => raw[fn](heap, ...marshal(fn, params))]));
  return {
    ...(bound as Pick<NativeAddon, AddonFunction>),
    threads: (n) => (n === undefined ? raw.threads() : raw.threads(n)),
    describe: () => raw.describe(),
    convolutionMode: (mode) => {
      if (mode !== undefined && !(mode in convolutionModeCodes)) throw new Error(`replearn native convolutionMode: mode must be ${Object.keys(convolutionModeCodes).join(' | ')}, got ${shown(mode)}`);
      const code = mode === undefined ? raw.convolutionMode() : raw.convolutionMode(convolutionModeCodes[mode]);
      const name = (Object.keys(convolutionModeCodes) as ConvolutionMode[]).find((k) => convolutionModeCodes[k] === code);
      if (name === undefined) throw new Error(`replearn native convolutionMode: the addon answered ${code}`);
      return name;
    },
    oneDnn: () => raw.oneDnn(),
    convolutionChoices: () => raw.convolutionChoices(),
    symmetricEigen: (matrix, n, count, values, vectors) => raw.symmetricEigen(matrix, n, count, values, vectors),
  };
}
