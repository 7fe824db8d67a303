import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addonFunctions, addonSignatures, bindAddon, marshal, nativeActivationCodes, type AddonFunction, type AddonParams, type RawNativeAddon } from '../../../src/kernels/native/signatures';

// The addon's calling convention without the addon: a recording stand-in shows what reaches it.

const sumParams: AddonParams<'sumRows'> = { xOffset: 3, outOffset: 9, outer: 4, inner: 5, leading: true };

/** A stand-in addon that records each call's positional arguments and declares `signatures`. */
function recordingAddon(signatures: Record<string, string[]> = Object.fromEntries(addonFunctions.map((fn) => [fn, addonSignatures[fn].map(([name]) => name)]))) {
  const calls: { fn: string; heap: Uint8Array; args: number[] }[] = [];
  const functions = Object.fromEntries(addonFunctions.map((fn) => [fn, (heap: Uint8Array, ...args: number[]) => void calls.push({ fn, heap, args })]));
  const raw = {
    ...(functions as Pick<RawNativeAddon, AddonFunction>),
    threads: (n?: number) => n ?? 1,
    describe: () => 'stand-in',
    convolutionMode: (mode?: number) => mode ?? 2,
    oneDnn: () => '',
    convolutionChoices: () => [],
    symmetricEigen: () => false,
    signatures: () => signatures,
  };
  return { raw, calls };
}

describe('the native addon calling convention', () => {
  it('sends the named fields in the order of the signature, flags as 1/0 and activations as codes', () => {
    assert.deepEqual(marshal('sumRows', sumParams), [3, 9, 4, 5, 1]);
    assert.deepEqual(marshal('sumRows', { ...sumParams, leading: false }), [3, 9, 4, 5, 0]);
    const gemm: AddonParams<'gemm'> = {
      leakyreluAlpha: 0.3,
      activation: 'elu',
      biasLength: 13,
      biasOffset: 12,
      outOffset: 11,
      bBatchStride: 10,
      bOffset: 9,
      aBatchStride: 8,
      aOffset: 7,
      k: 6,
      n: 5,
      m: 4,
      transposeB: false,
      transposeA: true,
      batch: 1,
    };
    assert.deepEqual(marshal('gemm', gemm), [1, 1, 0, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, nativeActivationCodes.elu, 0.3]);
  });

  it('every entry point names each parameter once', () => {
    for (const fn of addonFunctions) {
      const names = addonSignatures[fn].map(([name]) => name);
      assert.equal(new Set(names).size, names.length, `${fn}: ${names.join(', ')}`);
    }
  });

  it('refuses a missing, mistyped or unknown field, naming it', () => {
    const { leading: _, ...missing } = sumParams;
    assert.throws(() => marshal('sumRows', missing as never), /replearn native sumRows: leading must be a boolean, got undefined/);
    assert.throws(() => marshal('sumRows', { ...sumParams, outer: '4' } as never), /replearn native sumRows: outer must be a number, got "4"/);
    assert.throws(() => marshal('sumRows', { ...sumParams, leading: 1 } as never), /leading must be a boolean, got 1/);
    assert.throws(() => marshal('sumRows', { ...sumParams, rows: 4 } as never), /replearn native sumRows: unknown parameter rows \(it takes xOffset, outOffset, outer, inner, leading\)/);
    const { raw } = recordingAddon();
    const addon = bindAddon(raw, 'stand-in');
    assert.throws(() => addon.conv2d(new Uint8Array(4), { activation: 'gelu' } as never), /replearn native conv2d: xOffset must be a number, got undefined/);
  });

  it('refuses a wrong field or type at compile time', () => {
    const { raw } = recordingAddon();
    const addon = bindAddon(raw, 'stand-in');
    const heap = new Uint8Array(4);
    const refused = [
      // @ts-expect-error a field is missing
      () => addon.sumRows(heap, { xOffset: 0, outOffset: 0, outer: 1, inner: 1 }),
      // @ts-expect-error a flag is a boolean, not a number
      () => addon.sumRows(heap, { ...sumParams, leading: 1 }),
      // @ts-expect-error an unknown field
      () => addon.sumRows(heap, { ...sumParams, rows: 1 }),
      // @ts-expect-error positional numbers are not the typed call
      () => addon.sumRows(heap, 3, 9, 4, 5, 1),
      // @ts-expect-error an activation the addon does not have
      () => marshal('gemm', { ...({} as AddonParams<'gemm'>), activation: 'gelu' }),
    ];
    for (const call of refused) assert.throws(call);
  });

  it('a bound addon passes the heap and the marshalled arguments', () => {
    const { raw, calls } = recordingAddon();
    const addon = bindAddon(raw, 'stand-in');
    const heap = new Uint8Array(8);
    addon.sumRows(heap, sumParams);
    assert.equal(calls.length, 1);
    assert.equal(calls[0].fn, 'sumRows');
    assert.equal(calls[0].heap, heap);
    assert.deepEqual(calls[0].args, [3, 9, 4, 5, 1]);
    assert.equal(addon.threads(3), 3);
    assert.equal(addon.describe(), 'stand-in');
  });

  it('refuses an addon whose signatures differ or that declares none', () => {
    const ours = Object.fromEntries(addonFunctions.map((fn) => [fn, addonSignatures[fn].map(([name]) => name)]));
    const { raw: reordered } = recordingAddon({ ...ours, sumRows: ['outOffset', 'xOffset', 'outer', 'inner', 'leading'] });
    assert.throws(
      () => bindAddon(reordered, '/x/replearn_native.node'),
      /the native addon at \/x\/replearn_native\.node does not match this replearn: its sumRows takes \(outOffset, xOffset, outer, inner, leading\), replearn passes \(xOffset, outOffset, outer, inner, leading\); rebuild it with npm run setup/,
    );
    const { gemm: _, ...withoutGemm } = ours;
    assert.throws(() => bindAddon(recordingAddon(withoutGemm).raw, 'old.node'), /its gemm takes \(nothing\)/);
    const { raw } = recordingAddon();
    const { signatures: __, ...undeclared } = raw;
    assert.throws(() => bindAddon(undeclared as unknown as RawNativeAddon, 'old.node'), /the native addon at old\.node predates this replearn \(it declares no signatures\): rebuild it with npm run setup/);
    const { symmetricEigen: ___, ...withoutEigen } = raw;
    assert.throws(() => bindAddon(withoutEigen as unknown as RawNativeAddon, 'old.node'), /the native addon at old\.node predates this replearn \(it has no symmetricEigen\): rebuild it with npm run setup/);
    const { convolutionMode: ____, ...withoutModes } = raw;
    assert.throws(() => bindAddon(withoutModes as unknown as RawNativeAddon, 'old.node'), /the native addon at old\.node predates this replearn \(it has no convolutionMode\): rebuild it with npm run setup/);
  });

  it('names the convolution ways for the addon and back', () => {
    const { raw } = recordingAddon();
    const seen: (number | undefined)[] = [];
    const addon = bindAddon({ ...raw, convolutionMode: (mode?: number) => (seen.push(mode), mode ?? 2) }, 'stand-in');
    assert.equal(addon.convolutionMode(), 'auto');
    assert.equal(addon.convolutionMode('oneDNN'), 'oneDNN');
    assert.equal(addon.convolutionMode('im2col'), 'im2col');
    assert.deepEqual(seen, [undefined, 1, 0]);
  });
});
