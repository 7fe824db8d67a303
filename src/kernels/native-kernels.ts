/**
 * The `native` backend: the wasm backend's heap and kernels, with the heavy kernels of a training
 * step (matrix products, convolutions and both their gradients, max pooling and its gradient,
 * sums over leading or trailing axes, and a fused Adam update; identities share data instead of
 * copying) run by replearn's Node-API addon on OpenBLAS. The addon reads and writes the wasm heap
 * in place, so no tensor is copied to reach it. Anything the addon does not cover (another dtype,
 * NCHW data, a broadcast it does not handle) falls back to the wasm kernel of the same name.
 *
 * It lives in native/: signatures.ts (the addon's calling convention), load.ts (finding and
 * loading the addon), adapters.ts (the TF.js kernel functions), register.ts (the backend).
 */
export type { NativeAddon } from './native/signatures';
export { loadNativeAddon, nativeAddonPath, nativeConvolutionMode, nativeThreads } from './native/load';
export { adamKernelName, nativeKernelNames } from './native/adapters';
export { nativeBackendName, registerNativeBackend } from './native/register';
