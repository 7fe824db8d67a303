// replearn's native kernels: a Node-API addon that works directly on the wasm backend's heap.
//
// Every kernel entry point takes the heap (the Uint8Array over the WebAssembly memory, `HEAPU8`),
// then numbers in the order of its signature below (element offsets, float index = byte offset / 4,
// of its inputs and of outputs that the caller allocated there; sizes; flags; reals). It checks
// each range against the heap before touching it, so a wrong offset is a JavaScript error, not
// memory corruption. Matrix products go to OpenBLAS (cblas_sgemm);
// convolutions are im2col + sgemm over chunks of images with a bounded workspace.
//
// Built by scripts/build-native.mjs:
//   c++ -O3 -march=native -fopenmp -shared -fPIC -I<node include> replearn_native.cc -lopenblas
#include <node_api.h>
#include <cblas.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>
#include <chrono>
#include <map>

#ifdef _OPENMP
#include <omp.h>
#endif

// LAPACK's symmetric eigensolver (MRRR), which OpenBLAS builds normally include. Weak, so that an
// OpenBLAS built without LAPACK still links and loads: symmetricEigen then reports false. The
// three trailing lengths are gfortran's hidden lengths of the character arguments.
extern "C" void dsyevr_(const char* jobz, const char* range, const char* uplo, const int* n, double* a, const int* lda, const double* vl, const double* vu,
                        const int* il, const int* iu, const double* abstol, int* m, double* w, double* z, const int* ldz, int* isuppz, double* work,
                        const int* lwork, int* iwork, const int* liwork, int* info, size_t jobzLength, size_t rangeLength, size_t uploLength)
    __attribute__((weak));

namespace {

// Workspace cap for im2col columns, in floats (16 MiB).
constexpr int64_t kColumnCap = 4 << 20;

// Threads for large products and loops (set by threads()); smaller ones run on one thread, where
// waking a second costs more than it saves. Measured on 2 cores (AMD EPYC, OpenBLAS 0.3.21): a
// 51-MFLOP product alone ran 1.3-1.7x faster on 2 threads, yet whole training steps were faster
// with products under 100 MFLOP and loops under 2^20 elements on one thread (dense autoencoder
// 18-20k against 15-16k samples/s with 20 MFLOP and 2^16; the 1-D conv autoencoder 11k against 8k).
// Waking a sleeping thread costs 54-85 us on that virtual machine. Splitting each product of
// 20 MFLOP and more in two halves run concurrently (one OpenBLAS thread each) gave the VAE the
// same 16.4k samples/s as one thread; with spinning OpenMP threads, 12-14k.
int maxThreads = 1;
int blasThreads = -1;
constexpr double kParallelFlops = 1.0e8;
// Elementwise loops at least this long run on every thread.
constexpr int64_t kParallelElements = 1 << 20;

// Runs one part out of line: inlined into a kernel's entry point (argument parsing, exceptions),
// GCC 12 left the `omp simd` loops of the one-thread path scalar ("latch block not empty"): Adam
// ran at 2.4 ns per element against 0.4 in its own function.
template <typename F>
__attribute__((noinline)) void runPart(F& f, int64_t begin, int64_t end) {
  f(begin, end);
}

// Calls f(begin, end) on contiguous parts of [0, n): one part per thread when n is at least
// `parallelAt`, else one part on this thread. The loops inside f carry `#pragma omp simd`: a
// loop under `omp parallel for ... if (...)` was not vectorised on its one-thread path (GCC 12).
template <typename F>
void forParts(int64_t n, int64_t parallelAt, F f) {
#ifdef _OPENMP
  if (n >= parallelAt && maxThreads > 1) {
#pragma omp parallel num_threads(maxThreads)
    {
      const int64_t t = omp_get_thread_num(), parts = omp_get_num_threads();
      f(n * t / parts, n * (t + 1) / parts);
    }
    return;
  }
#endif
  runPart(f, 0, n);
}

// forParts over the rows of a rows x cols matrix: one part per thread once it has
// kParallelElements elements.
template <typename F>
void forRows(int64_t rows, int64_t cols, F f) {
  forParts(rows, cols > 0 ? kParallelElements / cols : rows + 1, f);
}

// exp(x) for x <= 0 (0 below about -87.3): Cody-Waite reduction by ln 2 and a degree-7 Taylor
// polynomial, in plain arithmetic so that loops over it vectorise. Worst relative error 7.6e-8
// over [-87, 0] against double-precision exp (measured).
inline float expNonPositive(float x) {
  x = x < -87.3f ? -87.3f : x;
  const float n = std::nearbyint(x * 1.44269504088896341f);
  const float r = (x - n * 0.693145751953125f) - n * 1.42860682030941723212e-6f;
  float p = 1.f / 5040.f;
  p = p * r + 1.f / 720.f;
  p = p * r + 1.f / 120.f;
  p = p * r + 1.f / 24.f;
  p = p * r + 1.f / 6.f;
  p = p * r + 0.5f;
  p = p * r + 1.f;
  p = p * r + 1.f;
  const int32_t bits = static_cast<int32_t>(n + 127.f) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// log(1 + e) for e in [0, 1], as 2 atanh(s) with s = e / (2 + e) in [0, 1/3] (its series to s^15):
// no cancellation for small e. Worst relative error 2.2e-7 (measured).
inline float log1pUnit(float e) {
  const float s = e / (2.f + e), s2 = s * s;
  float p = 1.f / 15.f;
  p = p * s2 + 1.f / 13.f;
  p = p * s2 + 1.f / 11.f;
  p = p * s2 + 1.f / 9.f;
  p = p * s2 + 1.f / 7.f;
  p = p * s2 + 1.f / 5.f;
  p = p * s2 + 1.f / 3.f;
  p = p * s2 + 1.f;
  return 2.f * s * p;
}

// sgemm with the thread count chosen by size.
void sgemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
           float* c, int64_t ldc) {
  const int want = 2.0 * m * n * k >= kParallelFlops ? maxThreads : 1;
  if (want != blasThreads) {
    openblas_set_num_threads(want);
    blasThreads = want;
  }
  cblas_sgemm(CblasRowMajor, ta, tb, (int)m, (int)n, (int)k, 1.f, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}

struct JsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// ---- The calling convention ----
// Each kernel entry point's parameters after the heap, in the order it reads them. These are the
// lists of addonSignatures in src/kernels/native/signatures.ts, which turns named fields into
// this order and refuses an addon whose signatures() differ from its own. The code below reads
// parameters by name (PARAM), resolved to positions while compiling: a misspelt name does not build.
template <size_t N>
using Signature = std::array<std::string_view, N>;

template <size_t A, size_t B>
constexpr Signature<A + B> join(const Signature<A>& a, const Signature<B>& b) {
  Signature<A + B> out{};
  for (size_t i = 0; i < A; i++) out[i] = a[i];
  for (size_t i = 0; i < B; i++) out[A + i] = b[i];
  return out;
}

template <size_t N>
constexpr size_t indexOf(const Signature<N>& signature, std::string_view name) {
  for (size_t i = 0; i < N; i++) {
    if (signature[i] == name) return i;
  }
  throw std::logic_error("no such parameter");  // in a constant expression: a compile error
}

template <size_t N, size_t M>
constexpr bool endsWith(const Signature<N>& signature, const Signature<M>& tail) {
  if (N < M) return false;
  for (size_t i = 0; i < M; i++) {
    if (signature[N - M + i] != tail[i]) return false;
  }
  return true;
}

#define PARAM(signature, name) (std::integral_constant<size_t, indexOf(signature, name)>::value)

// The shape of one 2-D convolution (struct Conv) and of one max pool (struct Pool).
constexpr Signature<15> kConvShape{"batchSize",   "inHeight",     "inWidth",     "inChannels",     "filterHeight",  "filterWidth", "outChannels", "outHeight",
                                   "outWidth",    "strideHeight", "strideWidth", "dilationHeight", "dilationWidth", "padTop",      "padLeft"};
constexpr Signature<12> kPoolShape{"batchSize", "inHeight", "inWidth", "inChannels", "filterHeight", "filterWidth", "outHeight", "outWidth", "strideHeight", "strideWidth", "padTop", "padLeft"};

constexpr Signature<15> kGemm{"batch",   "transposeA",   "transposeB", "m",          "n",          "k",          "aOffset", "aBatchStride",
                              "bOffset", "bBatchStride", "outOffset",  "biasOffset", "biasLength", "activation", "leakyreluAlpha"};
constexpr auto kConv2d = join(Signature<7>{"xOffset", "filterOffset", "outOffset", "biasOffset", "biasLength", "activation", "leakyreluAlpha"}, kConvShape);
constexpr auto kConv2dBackpropInput = join(Signature<3>{"dyOffset", "filterOffset", "dxOffset"}, kConvShape);
constexpr auto kConv2dBackpropFilter = join(Signature<3>{"xOffset", "dyOffset", "dFilterOffset"}, kConvShape);
constexpr auto kMaxPool = join(Signature<2>{"xOffset", "outOffset"}, kPoolShape);
constexpr auto kMaxPoolGrad = join(Signature<3>{"dyOffset", "xOffset", "dxOffset"}, kPoolShape);
constexpr Signature<5> kSumRows{"xOffset", "outOffset", "outer", "inner", "leading"};
constexpr Signature<6> kReluBiasGrad{"dyOffset", "yOffset", "gOffset", "dbOffset", "rows", "cols"};
constexpr Signature<7> kBiasActivation{"xOffset", "biasOffset", "outOffset", "rows", "cols", "activation", "leakyreluAlpha"};
constexpr Signature<5> kBce{"logitsOffset", "xOffset", "outOffset", "rows", "cols"};
constexpr Signature<6> kBceGrad{"dyOffset", "logitsOffset", "xOffset", "dLogitsOffset", "rows", "cols"};
constexpr Signature<12> kAdam{"variableOffset", "mOffset", "vOffset", "gradientOffset", "newVariableOffset", "newMOffset", "newVOffset", "size", "rate", "beta1", "beta2", "epsilon"};

// The arguments of one call: heap first, then the numbers of `signature`.
struct Args {
  napi_env env;
  float* heap = nullptr;
  int64_t heapFloats = 0;
  std::vector<double> numbers;
  const std::string_view* names;

  template <size_t N>
  Args(napi_env e, napi_callback_info info, const Signature<N>& signature) : Args(e, info, signature.data(), N) {}

  Args(napi_env e, napi_callback_info info, const std::string_view* parameterNames, size_t expected) : env(e), names(parameterNames) {
    size_t argc = 32;
    napi_value argv[32];
    if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) throw JsError("bad call");
    if (argc != expected + 1) {
      throw JsError("expected " + std::to_string(expected + 1) + " arguments, got " + std::to_string(argc));
    }
    bool isTyped = false;
    napi_is_typedarray(env, argv[0], &isTyped);
    if (!isTyped) throw JsError("argument 0 must be the wasm heap (a Uint8Array)");
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    napi_value buffer;
    size_t byteOffset = 0;
    if (napi_get_typedarray_info(env, argv[0], &type, &length, &data, &buffer, &byteOffset) != napi_ok) throw JsError("cannot read the heap");
    if (type != napi_uint8_array) throw JsError("argument 0 must be a Uint8Array");
    if (reinterpret_cast<uintptr_t>(data) % 4 != 0) throw JsError("heap is not 4-byte aligned");
    heap = static_cast<float*>(data);
    heapFloats = static_cast<int64_t>(length / 4);
    for (size_t i = 1; i < argc; i++) {
      double v = 0;
      if (napi_get_value_double(env, argv[i], &v) != napi_ok) throw JsError(described(i - 1) + " must be a number");
      numbers.push_back(v);
    }
  }

  // Parameter i (after the heap) by its name and its place in the call.
  std::string described(size_t i) const { return std::string(names[i]) + " (argument " + std::to_string(i + 1) + ")"; }

  int64_t integer(size_t i) const {
    double v = numbers.at(i);
    if (!(std::floor(v) == v) || std::fabs(v) > 9e15) throw JsError(described(i) + " must be an integer");
    return static_cast<int64_t>(v);
  }
  float real(size_t i) const { return static_cast<float>(numbers.at(i)); }

  // A range of `count` floats at element offset `offset`, checked against the heap.
  float* span(int64_t offset, int64_t count, const char* what) const {
    if (offset < 0 || count < 0 || offset + count > heapFloats) {
      throw JsError(std::string(what) + ": range [" + std::to_string(offset) + ", " + std::to_string(offset + count) +
                    ") lies outside the heap of " + std::to_string(heapFloats) + " floats");
    }
    return heap + offset;
  }
};

void positive(int64_t v, const char* what) {
  if (v <= 0) throw JsError(std::string(what) + " must be positive, got " + std::to_string(v));
}

void nonNegative(int64_t v, const char* what) {
  if (v < 0) throw JsError(std::string(what) + " must not be negative, got " + std::to_string(v));
}

// Parameter i of a call read as a count: an integer, not negative.
int64_t count(const Args& a, size_t i, const char* what) {
  const int64_t v = a.integer(i);
  nonNegative(v, what);
  return v;
}

// Activation codes shared with nativeActivationCodes in src/kernels/native/signatures.ts.
enum Activation { kLinear = 0, kRelu = 1, kRelu6 = 2, kSigmoid = 3, kLeakyRelu = 4, kElu = 5 };

inline float activate(float v, int act, float alpha) {
  switch (act) {
    case kRelu: return v < 0.f ? 0.f : v;  // NaN passes, as on the cpu backend
    case kRelu6: return std::min(std::max(v, 0.f), 6.f);
    case kSigmoid: return 1.f / (1.f + std::exp(-v));
    case kLeakyRelu: return v < 0.f ? alpha * v : v;
    case kElu: return v >= 0.f ? v : std::exp(v) - 1.f;
    default: return v;
  }
}

// rows x cols, row-major: adds bias (length cols, or 1 when biasScalar) and applies the activation.
void epilogue(float* y, int64_t rows, int64_t cols, const float* bias, bool biasScalar, int act, float alpha) {
  if (bias == nullptr && act == kLinear) return;
  forRows(rows, cols, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; r++) {
      float* row = y + r * cols;
      if (bias != nullptr) {
        if (biasScalar) {
          for (int64_t c = 0; c < cols; c++) row[c] += bias[0];
        } else {
#pragma omp simd
          for (int64_t c = 0; c < cols; c++) row[c] += bias[c];
        }
      }
      if (act == kRelu) {
#pragma omp simd
        for (int64_t c = 0; c < cols; c++) row[c] = row[c] < 0.f ? 0.f : row[c];
      } else if (act != kLinear) {
        for (int64_t c = 0; c < cols; c++) row[c] = activate(row[c], act, alpha);
      }
    }
  });
}

napi_value Throw(napi_env env, const char* name, const std::exception& e) {
  std::string text = std::string("replearn native ") + name + ": " + e.what();
  napi_throw_error(env, nullptr, text.c_str());
  return nullptr;
}

template <typename F>
napi_value Guard(napi_env env, const char* name, F f) {
  try {
    f();
  } catch (const std::exception& e) {
    return Throw(env, name, e);
  }
  return nullptr;
}

// gemm (kGemm): C[b] = act(op(A[b]) op(B[b]) + bias), C is M x N; a batch stride of 0 broadcasts
// that operand; biasOffset -1 for no bias.
napi_value Gemm(napi_env env, napi_callback_info info) {
  return Guard(env, "gemm", [&] {
    Args a(env, info, kGemm);
    const int64_t batch = a.integer(PARAM(kGemm, "batch")), transA = a.integer(PARAM(kGemm, "transposeA")), transB = a.integer(PARAM(kGemm, "transposeB"));
    const int64_t M = a.integer(PARAM(kGemm, "m")), N = a.integer(PARAM(kGemm, "n")), K = a.integer(PARAM(kGemm, "k"));
    const int64_t aOff = a.integer(PARAM(kGemm, "aOffset")), aStride = a.integer(PARAM(kGemm, "aBatchStride"));
    const int64_t bOff = a.integer(PARAM(kGemm, "bOffset")), bStride = a.integer(PARAM(kGemm, "bBatchStride"));
    const int64_t cOff = a.integer(PARAM(kGemm, "outOffset"));
    const int64_t biasOff = a.integer(PARAM(kGemm, "biasOffset")), biasLen = a.integer(PARAM(kGemm, "biasLength")), act = a.integer(PARAM(kGemm, "activation"));
    const float alpha = a.real(PARAM(kGemm, "leakyreluAlpha"));
    nonNegative(batch, "batch");
    nonNegative(M, "M");
    nonNegative(N, "N");
    nonNegative(K, "K");
    if (aStride != 0 && aStride != M * K) throw JsError("A's batch stride must be 0 or M*K");
    if (bStride != 0 && bStride != K * N) throw JsError("B's batch stride must be 0 or K*N");
    const float* A = a.span(aOff, (aStride == 0 ? 1 : batch) * M * K, "A");
    const float* B = a.span(bOff, (bStride == 0 ? 1 : batch) * K * N, "B");
    float* C = a.span(cOff, batch * M * N, "C");
    const float* bias = nullptr;
    if (biasOff >= 0) {
      if (biasLen != 1 && biasLen != N) throw JsError("bias must have 1 or N elements");
      bias = a.span(biasOff, biasLen, "bias");
    }
    if (batch == 0 || M == 0 || N == 0) return;
    for (int64_t b = 0; b < batch; b++) {
      float* c = C + b * M * N;
      if (K == 0) {
        std::fill(c, c + M * N, 0.f);
      } else {
        sgemm(transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, M, N, K, A + b * aStride, transA ? M : K, B + b * bStride, transB ? K : N, 0.f, c, N);
      }
      epilogue(c, M, N, bias, biasLen == 1, (int)act, alpha);
    }
  });
}

// The shape of one 2-D convolution, NHWC input, filter [KH, KW, C, CO]; fields in kConvShape's order.
struct Conv {
  int64_t n, h, w, c, kh, kw, co, oh, ow, sh, sw, dh, dw, padT, padL;

  // Read from the kConvShape parameters that end signature S.
  template <const auto& S>
  static Conv from(const Args& a) {
    Conv v{};
    int64_t* fields[] = {&v.n, &v.h, &v.w, &v.c, &v.kh, &v.kw, &v.co, &v.oh, &v.ow, &v.sh, &v.sw, &v.dh, &v.dw, &v.padT, &v.padL};
    static_assert(endsWith(S, kConvShape), "a convolution's signature ends with kConvShape");
    constexpr size_t first = S.size() - kConvShape.size();
    for (size_t i = 0; i < kConvShape.size(); i++) *fields[i] = a.integer(first + i);
    nonNegative(v.n, "batch");
    for (auto [value, name] : {std::pair{v.h, "height"}, {v.w, "width"}, {v.c, "channels"}, {v.kh, "filter height"}, {v.kw, "filter width"},
                               {v.co, "output channels"}, {v.sh, "stride"}, {v.sw, "stride"}, {v.dh, "dilation"}, {v.dw, "dilation"}}) {
      positive(value, name);
    }
    nonNegative(v.oh, "output height");
    nonNegative(v.ow, "output width");
    return v;
  }
  int64_t k() const { return kh * kw * c; }
  int64_t pixels() const { return oh * ow; }
  bool pointwise() const { return kh == 1 && kw == 1 && sh == 1 && sw == 1 && padT == 0 && padL == 0 && oh == h && ow == w; }
  // Images per chunk so that the columns stay under the cap.
  int64_t chunk() const { return std::max<int64_t>(1, std::min<int64_t>(n, kColumnCap / std::max<int64_t>(1, pixels() * k()))); }
};

thread_local std::vector<float> columns;

float* workspace(int64_t floats) {
  if ((int64_t)columns.size() < floats) columns.resize(floats);
  return columns.data();
}

// Columns for images [n0, n0 + count): row (image, oh, ow), column (kh, kw, c).
void im2col(const Conv& v, const float* x, int64_t n0, int64_t count, float* col) {
  const int64_t K = v.k();
#pragma omp parallel for schedule(static)
  for (int64_t row = 0; row < count * v.oh; row++) {
    const int64_t img = n0 + row / v.oh, oy = row % v.oh;
    const float* image = x + img * v.h * v.w * v.c;
    for (int64_t ox = 0; ox < v.ow; ox++) {
      float* dst = col + ((row * v.ow) + ox) * K;
      for (int64_t ky = 0; ky < v.kh; ky++) {
        const int64_t iy = oy * v.sh - v.padT + ky * v.dh;
        for (int64_t kx = 0; kx < v.kw; kx++, dst += v.c) {
          const int64_t ix = ox * v.sw - v.padL + kx * v.dw;
          if (iy < 0 || iy >= v.h || ix < 0 || ix >= v.w) {
            std::memset(dst, 0, sizeof(float) * v.c);
          } else {
            std::memcpy(dst, image + (iy * v.w + ix) * v.c, sizeof(float) * v.c);
          }
        }
      }
    }
  }
}

// Adds columns back into images [n0, n0 + count) of dx (the adjoint of im2col).
void col2im(const Conv& v, const float* col, int64_t n0, int64_t count, float* dx) {
  const int64_t K = v.k();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < count; i++) {
    float* image = dx + (n0 + i) * v.h * v.w * v.c;
    for (int64_t oy = 0; oy < v.oh; oy++) {
      for (int64_t ox = 0; ox < v.ow; ox++) {
        const float* src = col + ((i * v.oh + oy) * v.ow + ox) * K;
        for (int64_t ky = 0; ky < v.kh; ky++) {
          const int64_t iy = oy * v.sh - v.padT + ky * v.dh;
          for (int64_t kx = 0; kx < v.kw; kx++, src += v.c) {
            const int64_t ix = ox * v.sw - v.padL + kx * v.dw;
            if (iy < 0 || iy >= v.h || ix < 0 || ix >= v.w) continue;
            float* d = image + (iy * v.w + ix) * v.c;
            for (int64_t ch = 0; ch < v.c; ch++) d[ch] += src[ch];
          }
        }
      }
    }
  }
}

// The second way to a convolution, for layers with fewer output than input channels (or, for the
// input gradient, stride 1): work on the input-pixel grid with the filter as [C, KH*KW*CO].
// Rows per image of that grid, and images per chunk under the workspace cap.
int64_t gridRow(const Conv& v) { return v.kh * v.kw * v.co; }
int64_t gridChunk(const Conv& v) { return std::max<int64_t>(1, std::min<int64_t>(v.n, kColumnCap / std::max<int64_t>(1, v.h * v.w * gridRow(v)))); }

thread_local std::vector<float> permuted;

// W [KH*KW, C, CO] -> Wp [C, KH*KW*CO].
float* permuteFilter(const Conv& v, const float* w) {
  const int64_t taps = v.kh * v.kw;
  if ((int64_t)permuted.size() < taps * v.c * v.co) permuted.resize(taps * v.c * v.co);
  float* wp = permuted.data();
  for (int64_t t = 0; t < taps; t++)
    for (int64_t c = 0; c < v.c; c++)
      for (int64_t o = 0; o < v.co; o++) wp[(c * taps + t) * v.co + o] = w[(t * v.c + c) * v.co + o];
  return wp;
}

// Wp [C, KH*KW*CO] -> W [KH*KW, C, CO].
void unpermuteFilter(const Conv& v, const float* wp, float* w) {
  const int64_t taps = v.kh * v.kw;
  for (int64_t t = 0; t < taps; t++)
    for (int64_t c = 0; c < v.c; c++)
      for (int64_t o = 0; o < v.co; o++) w[(t * v.c + c) * v.co + o] = wp[(c * taps + t) * v.co + o];
}

// The output pixel that input row iy meets through filter row ky, or -1.
inline int64_t outputAt(int64_t i, int64_t pad, int64_t k, int64_t dilation, int64_t stride, int64_t size) {
  const int64_t q = i + pad - k * dilation;
  if (q < 0 || q % stride != 0) return -1;
  return q / stride < size ? q / stride : -1;
}

// For images [n0, n0 + count): g[(image, iy, ix), (ky, kx, co)] = dy[image, oy, ox, co] for the
// output pixel (oy, ox) that input pixel (iy, ix) meets through tap (ky, kx), else 0.
void gatherOutputs(const Conv& v, const float* dy, int64_t n0, int64_t count, float* g) {
  const int64_t row = gridRow(v);
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < count * v.h; r++) {
    const int64_t img = n0 + r / v.h, iy = r % v.h;
    for (int64_t ix = 0; ix < v.w; ix++) {
      float* dst = g + (r * v.w + ix) * row;
      for (int64_t ky = 0; ky < v.kh; ky++) {
        const int64_t oy = outputAt(iy, v.padT, ky, v.dh, v.sh, v.oh);
        for (int64_t kx = 0; kx < v.kw; kx++, dst += v.co) {
          const int64_t ox = oy < 0 ? -1 : outputAt(ix, v.padL, kx, v.dw, v.sw, v.ow);
          if (ox < 0) {
            std::memset(dst, 0, sizeof(float) * v.co);
          } else {
            std::memcpy(dst, dy + ((img * v.oh + oy) * v.ow + ox) * v.co, sizeof(float) * v.co);
          }
        }
      }
    }
  }
}

// y for images [n0, n0 + count) from z[(image, iy, ix), (ky, kx, co)] = x[image, iy, ix, :] . W[ky, kx, :, co]:
// each output sums the taps that land inside the image.
void sumTaps(const Conv& v, const float* z, int64_t n0, int64_t count, float* y) {
  const int64_t row = gridRow(v);
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < count * v.oh; r++) {
    const int64_t i = r / v.oh, oy = r % v.oh;
    for (int64_t ox = 0; ox < v.ow; ox++) {
      float* out = y + (((n0 + i) * v.oh + oy) * v.ow + ox) * v.co;
      std::fill(out, out + v.co, 0.f);
      for (int64_t ky = 0; ky < v.kh; ky++) {
        const int64_t iy = oy * v.sh - v.padT + ky * v.dh;
        if (iy < 0 || iy >= v.h) continue;
        for (int64_t kx = 0; kx < v.kw; kx++) {
          const int64_t ix = ox * v.sw - v.padL + kx * v.dw;
          if (ix < 0 || ix >= v.w) continue;
          const float* src = z + ((i * v.h + iy) * v.w + ix) * row + (ky * v.kw + kx) * v.co;
          for (int64_t o = 0; o < v.co; o++) out[o] += src[o];
        }
      }
    }
  }
}

// Whether the input-grid way moves less data than im2col: its matrix has CO*KH*KW columns per
// input pixel, im2col's has C*KH*KW per output pixel.
bool gridIsSmaller(const Conv& v) { return v.co * v.h * v.w < v.c * v.oh * v.ow; }

// ---- Which way a convolution goes: oneDNN's primitives or today's way ----
// oneDNN (the library behind PyTorch's CPU convolutions) runs a convolution pass (forward, input
// gradient, filter gradient) with activations in NHWC as TF.js keeps them and the filter in the
// blocked format oneDNN picks, reordered from (or, for the filter gradient, to) TF.js's
// [KH, KW, C, CO] on every call. Its primitives are made once per shape, pass and thread count.
// Where oneDNN is slower (measured: the 1-channel output layer's forward) today's way stays: in
// the default mode `kAuto`, the first calls of each shape and pass alternate the two ways, and
// after three timed calls of each the faster by median serves every later call.
enum Pass { kForward = 0, kBackwardData = 1, kBackwardWeights = 2 };
enum ConvMode { kIm2col = 0, kOneDnn = 1, kAuto = 2 };
int convMode = kAuto;

// What convolve() measured and chose for one shape and pass (reported by convolutionChoices()).
struct Choice {
  int calls = 0;
  std::vector<double> oneDnnMs, im2colMs;
  int winner = -1;  // -1 measuring, kIm2col or kOneDnn
  bool oneDnnFailed = false;
  std::string why;  // why oneDNN cannot run it, when it cannot
};

using ConvKey = std::array<int64_t, 17>;
ConvKey keyOf(const Conv& v, int pass) { return {v.n, v.h, v.w, v.c, v.kh, v.kw, v.co, v.oh, v.ow, v.sh, v.sw, v.dh, v.dw, v.padT, v.padL, pass, maxThreads}; }

double medianOf(std::vector<double> t) {
  std::sort(t.begin(), t.end());
  return t.empty() ? 0.0 : t[t.size() / 2];
}

#ifdef REPLEARN_DNNL
}  // namespace
#include <oneapi/dnnl/dnnl.hpp>
#include <map>
#include <memory>
namespace {

using dnnl::memory;
using Tag = memory::format_tag;

dnnl::engine& dnnlEngine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& dnnlStream() {
  static dnnl::stream stream(dnnlEngine());
  return stream;
}

// One convolution pass as oneDNN runs it: the primitive, the filter in its format, the reorder
// between that and TF.js's layout, and the scratchpad.
struct DnnlPlan {
  memory::desc src, dst, userWeights, weights;
  dnnl::primitive primitive;
  dnnl::primitive reorder;  // TF.js layout -> weights (forward, input gradient) or back (filter gradient)
  bool needsReorder = false;
  std::vector<float> weightBuffer;
  std::vector<uint8_t> scratchpad;
  memory::desc scratchpadDesc;
};

std::map<ConvKey, std::unique_ptr<DnnlPlan>> dnnlPlans;

// The far-side padding that gives TF.js's output size; oneDNN checks
// (in + padL + padR - extent) / stride + 1 == out.
int64_t farPadding(int64_t in, int64_t out, int64_t k, int64_t dilation, int64_t stride, int64_t near) { return (out - 1) * stride + (k - 1) * dilation + 1 - in - near; }

// The plan of `v`'s pass `pass`, whose key is `key` (keyOf(v, pass)), made on first use.
DnnlPlan* dnnlPlan(const ConvKey& key, const Conv& v, int pass) {
  auto found = dnnlPlans.find(key);
  if (found != dnnlPlans.end()) return found->second.get();
  const int64_t padB = farPadding(v.h, v.oh, v.kh, v.dh, v.sh, v.padT), padR = farPadding(v.w, v.ow, v.kw, v.dw, v.sw, v.padL);
  if (padB < 0 || padR < 0 || v.padT < 0 || v.padL < 0) throw JsError("oneDNN takes no negative padding (a 'valid' convolution whose stride skips the last rows)");
  auto plan = std::make_unique<DnnlPlan>();
  const memory::dims src{v.n, v.c, v.h, v.w}, weights{v.co, v.c, v.kh, v.kw}, dst{v.n, v.co, v.oh, v.ow};
  const memory::dims strides{v.sh, v.sw}, dilation{v.dh - 1, v.dw - 1}, padL{v.padT, v.padL}, padR2{padB, padR};
  const auto f32 = memory::data_type::f32;
  plan->src = memory::desc(src, f32, Tag::nhwc);
  plan->dst = memory::desc(dst, f32, Tag::nhwc);
  plan->userWeights = memory::desc(weights, f32, Tag::hwio);
  const memory::desc anyWeights(weights, f32, Tag::any);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  const auto prop = dnnl::prop_kind::forward_training;
  const auto alg = dnnl::algorithm::convolution_direct;
#if DNNL_VERSION_MAJOR >= 3
  const dnnl::convolution_forward::primitive_desc forward(dnnlEngine(), prop, alg, plan->src, anyWeights, plan->dst, strides, dilation, padL, padR2, attr);
#else
  const dnnl::convolution_forward::primitive_desc forward(dnnl::convolution_forward::desc(prop, alg, plan->src, anyWeights, plan->dst, strides, dilation, padL, padR2), attr, dnnlEngine());
#endif
  // What the plan keeps of a pass's primitive descriptor: its filter format, scratchpad and primitive.
  auto keep = [&](const auto& descriptor, const memory::desc& weights, dnnl::primitive primitive) {
    plan->weights = weights;
    plan->scratchpadDesc = descriptor.scratchpad_desc();
    plan->primitive = primitive;
  };
  if (pass == kForward) {
    keep(forward, forward.weights_desc(), dnnl::convolution_forward(forward));
  } else if (pass == kBackwardData) {
#if DNNL_VERSION_MAJOR >= 3
    const dnnl::convolution_backward_data::primitive_desc backward(dnnlEngine(), alg, plan->src, anyWeights, plan->dst, strides, dilation, padL, padR2, forward, attr);
#else
    const dnnl::convolution_backward_data::primitive_desc backward(dnnl::convolution_backward_data::desc(alg, plan->src, anyWeights, plan->dst, strides, dilation, padL, padR2), attr,
                                                                   dnnlEngine(), forward);
#endif
    keep(backward, backward.weights_desc(), dnnl::convolution_backward_data(backward));
  } else {
#if DNNL_VERSION_MAJOR >= 3
    const dnnl::convolution_backward_weights::primitive_desc backward(dnnlEngine(), alg, plan->src, anyWeights, plan->dst, strides, dilation, padL, padR2, forward, attr);
#else
    const dnnl::convolution_backward_weights::primitive_desc backward(dnnl::convolution_backward_weights::desc(alg, plan->src, anyWeights, plan->dst, strides, dilation, padL, padR2), attr,
                                                                      dnnlEngine(), forward);
#endif
    keep(backward, backward.diff_weights_desc(), dnnl::convolution_backward_weights(backward));
  }
  plan->needsReorder = plan->weights != plan->userWeights;
  if (plan->needsReorder) {
    plan->weightBuffer.resize(plan->weights.get_size() / sizeof(float) + 1);
    const memory user(plan->userWeights, dnnlEngine(), DNNL_MEMORY_NONE), blocked(plan->weights, dnnlEngine(), DNNL_MEMORY_NONE);
    plan->reorder = pass == kBackwardWeights ? dnnl::reorder(blocked, user) : dnnl::reorder(user, blocked);
  }
  plan->scratchpad.resize(plan->scratchpadDesc.get_size() + 1);
  DnnlPlan* raw = plan.get();
  dnnlPlans.emplace(key, std::move(plan));
  return raw;
}

// One pass by oneDNN. Forward: a = x, b = filter, out = y. Input gradient: a = dy, b = filter,
// out = dx. Filter gradient: a = x, b = dy, out = dFilter.
void dnnlConvolve(DnnlPlan& p, int pass, const float* a, const float* b, float* out) {
  auto& engine = dnnlEngine();
  auto& stream = dnnlStream();
  const memory scratch(p.scratchpadDesc, engine, p.scratchpad.data());
  auto wrap = [&](const memory::desc& d, const void* data) { return memory(d, engine, const_cast<void*>(data)); };
  const float* userWeights = pass == kBackwardWeights ? out : b;
  const memory user = wrap(p.userWeights, userWeights);
  const memory weights = p.needsReorder ? wrap(p.weights, p.weightBuffer.data()) : user;
  if (pass != kBackwardWeights && p.needsReorder) p.reorder.execute(stream, {{DNNL_ARG_FROM, user}, {DNNL_ARG_TO, weights}});
  if (pass == kForward) {
    p.primitive.execute(stream, {{DNNL_ARG_SRC, wrap(p.src, a)}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, wrap(p.dst, out)}, {DNNL_ARG_SCRATCHPAD, scratch}});
  } else if (pass == kBackwardData) {
    p.primitive.execute(stream, {{DNNL_ARG_DIFF_DST, wrap(p.dst, a)}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DIFF_SRC, wrap(p.src, out)}, {DNNL_ARG_SCRATCHPAD, scratch}});
  } else {
    p.primitive.execute(stream, {{DNNL_ARG_SRC, wrap(p.src, a)}, {DNNL_ARG_DIFF_DST, wrap(p.dst, b)}, {DNNL_ARG_DIFF_WEIGHTS, weights}, {DNNL_ARG_SCRATCHPAD, scratch}});
    if (p.needsReorder) p.reorder.execute(stream, {{DNNL_ARG_FROM, weights}, {DNNL_ARG_TO, user}});
  }
  stream.wait();
}

std::string oneDnnVersion() {
  const dnnl_version_t* version = dnnl_version();
  return "oneDNN " + std::to_string(version->major) + "." + std::to_string(version->minor) + "." + std::to_string(version->patch);
}
#endif

std::map<ConvKey, Choice> convChoices;

// Runs one convolution pass the way convMode says: `im2col` is today's way; (a, b, out) are the
// pass's operands as dnnlConvolve takes them.
template <typename F>
void convolve(const Conv& v, int pass, const float* a, const float* b, float* out, F im2col) {
#ifdef REPLEARN_DNNL
  if (convMode == kIm2col) return im2col();
  // A shape oneDNN cannot run (it records why) takes today's way in every mode.
  const ConvKey key = keyOf(v, pass);
  Choice& choice = convChoices[key];
  if (choice.oneDnnFailed) return im2col();
  DnnlPlan* plan = nullptr;
  try {
    plan = dnnlPlan(key, v, pass);
  } catch (const std::exception& e) {
    choice.oneDnnFailed = true;
    choice.why = e.what();
    return im2col();
  }
  if (convMode == kOneDnn || choice.winner == kOneDnn) return dnnlConvolve(*plan, pass, a, b, out);
  if (choice.winner == kIm2col) return im2col();
  // Measuring: calls alternate the ways; the first of each is a warm-up.
  const bool viaOneDnn = choice.calls % 2 == 0;
  const auto started = std::chrono::steady_clock::now();
  if (viaOneDnn) {
    dnnlConvolve(*plan, pass, a, b, out);
  } else {
    im2col();
  }
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  if (choice.calls >= 2) (viaOneDnn ? choice.oneDnnMs : choice.im2colMs).push_back(ms);
  choice.calls++;
  if (choice.oneDnnMs.size() >= 3 && choice.im2colMs.size() >= 3) choice.winner = medianOf(choice.oneDnnMs) <= medianOf(choice.im2colMs) ? kOneDnn : kIm2col;
#else
  (void)v;
  (void)pass;
  (void)a;
  (void)b;
  (void)out;
  im2col();
#endif
}

// conv2d by today's way (im2col, the input grid or one product), without bias or activation.
void conv2dIm2col(const Conv& v, const float* x, const float* w, float* y) {
  const int64_t K = v.k();
  if (v.pointwise()) {
    sgemm(CblasNoTrans, CblasNoTrans, (v.n * v.pixels()), v.co, K, x, K, w, v.co, 0.f, y, v.co);
  } else if (gridIsSmaller(v)) {
    const float* wp = permuteFilter(v, w);
    const int64_t chunk = gridChunk(v), row = gridRow(v);
    float* z = workspace(chunk * v.h * v.w * row);
    for (int64_t n0 = 0; n0 < v.n; n0 += chunk) {
      const int64_t count = std::min(chunk, v.n - n0);
      sgemm(CblasNoTrans, CblasNoTrans, (count * v.h * v.w), row, v.c, x + n0 * v.h * v.w * v.c, v.c, wp, row, 0.f, z, row);
      sumTaps(v, z, n0, count, y);
    }
  } else {
    const int64_t chunk = v.chunk();
    float* col = workspace(chunk * v.pixels() * K);
    for (int64_t n0 = 0; n0 < v.n; n0 += chunk) {
      const int64_t count = std::min(chunk, v.n - n0);
      im2col(v, x, n0, count, col);
      sgemm(CblasNoTrans, CblasNoTrans, (count * v.pixels()), v.co, K, col, K, w, v.co, 0.f, y + n0 * v.pixels() * v.co, v.co);
    }
  }
}

// conv2d (kConv2d): y = act(conv2d(x, w) + bias); biasOffset -1 for no bias.
napi_value Conv2d(napi_env env, napi_callback_info info) {
  return Guard(env, "conv2d", [&] {
    Args a(env, info, kConv2d);
    const Conv v = Conv::from<kConv2d>(a);
    const float* x = a.span(a.integer(PARAM(kConv2d, "xOffset")), v.n * v.h * v.w * v.c, "x");
    const float* w = a.span(a.integer(PARAM(kConv2d, "filterOffset")), v.k() * v.co, "filter");
    float* y = a.span(a.integer(PARAM(kConv2d, "outOffset")), v.n * v.pixels() * v.co, "y");
    const int64_t biasOff = a.integer(PARAM(kConv2d, "biasOffset")), biasLen = a.integer(PARAM(kConv2d, "biasLength"));
    const int64_t act = a.integer(PARAM(kConv2d, "activation"));
    const float alpha = a.real(PARAM(kConv2d, "leakyreluAlpha"));
    const float* bias = nullptr;
    if (biasOff >= 0) {
      if (biasLen != 1 && biasLen != v.co) throw JsError("bias must have 1 or CO elements");
      bias = a.span(biasOff, biasLen, "bias");
    }
    if (v.n == 0 || v.pixels() == 0) return;
    convolve(v, kForward, x, w, y, [&] { conv2dIm2col(v, x, w, y); });
    epilogue(y, v.n * v.pixels(), v.co, bias, biasLen == 1, (int)act, alpha);
  });
}

// conv2d's input gradient by today's way.
void backpropInputIm2col(const Conv& v, const float* dy, const float* w, float* dx) {
  const int64_t K = v.k();
  if (v.pointwise()) {
    if (v.n * v.pixels() == 0) return;
    sgemm(CblasNoTrans, CblasTrans, (v.n * v.pixels()), K, v.co, dy, v.co, w, v.co, 0.f, dx, K);
    return;
  }
  if (v.n > 0 && v.h * v.w <= v.pixels()) {
    // Stride 1: dx = gathered dy times the filter, one product per chunk and no scatter.
    const float* wp = permuteFilter(v, w);
    const int64_t chunk = gridChunk(v), row = gridRow(v);
    float* g = workspace(chunk * v.h * v.w * row);
    for (int64_t n0 = 0; n0 < v.n; n0 += chunk) {
      const int64_t count = std::min(chunk, v.n - n0);
      gatherOutputs(v, dy, n0, count, g);
      sgemm(CblasNoTrans, CblasTrans, (count * v.h * v.w), v.c, row, g, row, wp, row, 0.f, dx + n0 * v.h * v.w * v.c, v.c);
    }
    return;
  }
  std::fill(dx, dx + v.n * v.h * v.w * v.c, 0.f);
  if (v.n == 0 || v.pixels() == 0) return;
  const int64_t chunk = v.chunk();
  float* col = workspace(chunk * v.pixels() * K);
  for (int64_t n0 = 0; n0 < v.n; n0 += chunk) {
    const int64_t count = std::min(chunk, v.n - n0);
    sgemm(CblasNoTrans, CblasTrans, (count * v.pixels()), K, v.co, dy + n0 * v.pixels() * v.co, v.co, w, v.co, 0.f, col, K);
    col2im(v, col, n0, count, dx);
  }
}

// conv2dBackpropInput (kConv2dBackpropInput): dx = conv2d's input gradient.
napi_value Conv2dBackpropInput(napi_env env, napi_callback_info info) {
  return Guard(env, "conv2dBackpropInput", [&] {
    Args a(env, info, kConv2dBackpropInput);
    const Conv v = Conv::from<kConv2dBackpropInput>(a);
    const float* dy = a.span(a.integer(PARAM(kConv2dBackpropInput, "dyOffset")), v.n * v.pixels() * v.co, "dy");
    const float* w = a.span(a.integer(PARAM(kConv2dBackpropInput, "filterOffset")), v.k() * v.co, "filter");
    float* dx = a.span(a.integer(PARAM(kConv2dBackpropInput, "dxOffset")), v.n * v.h * v.w * v.c, "dx");
    if (v.n == 0 || v.pixels() == 0) {
      std::fill(dx, dx + v.n * v.h * v.w * v.c, 0.f);
      return;
    }
    convolve(v, kBackwardData, dy, w, dx, [&] { backpropInputIm2col(v, dy, w, dx); });
  });
}

// conv2d's filter gradient by today's way.
void backpropFilterIm2col(const Conv& v, const float* x, const float* dy, float* dw) {
  const int64_t K = v.k();
  if (v.pointwise()) {
    sgemm(CblasTrans, CblasNoTrans, K, v.co, (v.n * v.pixels()), x, K, dy, v.co, 0.f, dw, v.co);
    return;
  }
  if (gridIsSmaller(v)) {
    // dWp [C, KH*KW*CO] = x^T gathered dy, then back to [KH, KW, C, CO].
    const int64_t chunk = gridChunk(v), row = gridRow(v);
    float* g = workspace(chunk * v.h * v.w * row);
    std::vector<float> dwp(v.c * row);
    for (int64_t n0 = 0; n0 < v.n; n0 += chunk) {
      const int64_t count = std::min(chunk, v.n - n0);
      gatherOutputs(v, dy, n0, count, g);
      sgemm(CblasTrans, CblasNoTrans, v.c, row, (count * v.h * v.w), x + n0 * v.h * v.w * v.c, v.c, g, row, n0 == 0 ? 0.f : 1.f, dwp.data(), row);
    }
    unpermuteFilter(v, dwp.data(), dw);
    return;
  }
  const int64_t chunk = v.chunk();
  float* col = workspace(chunk * v.pixels() * K);
  for (int64_t n0 = 0; n0 < v.n; n0 += chunk) {
    const int64_t count = std::min(chunk, v.n - n0);
    im2col(v, x, n0, count, col);
    sgemm(CblasTrans, CblasNoTrans, K, v.co, (count * v.pixels()), col, K, dy + n0 * v.pixels() * v.co, v.co, n0 == 0 ? 0.f : 1.f, dw, v.co);
  }
}

// conv2dBackpropFilter (kConv2dBackpropFilter): dw = conv2d's filter gradient.
napi_value Conv2dBackpropFilter(napi_env env, napi_callback_info info) {
  return Guard(env, "conv2dBackpropFilter", [&] {
    Args a(env, info, kConv2dBackpropFilter);
    const Conv v = Conv::from<kConv2dBackpropFilter>(a);
    const float* x = a.span(a.integer(PARAM(kConv2dBackpropFilter, "xOffset")), v.n * v.h * v.w * v.c, "x");
    const float* dy = a.span(a.integer(PARAM(kConv2dBackpropFilter, "dyOffset")), v.n * v.pixels() * v.co, "dy");
    float* dw = a.span(a.integer(PARAM(kConv2dBackpropFilter, "dFilterOffset")), v.k() * v.co, "dw");
    if (v.n == 0 || v.pixels() == 0) {
      std::fill(dw, dw + v.k() * v.co, 0.f);
      return;
    }
    convolve(v, kBackwardWeights, x, dy, dw, [&] { backpropFilterIm2col(v, x, dy, dw); });
  });
}

// The shape of one max pool, NHWC; fields in kPoolShape's order.
struct Pool {
  int64_t n, h, w, c, kh, kw, oh, ow, sh, sw, padT, padL;
  // Read from the kPoolShape parameters that end signature S.
  template <const auto& S>
  static Pool from(const Args& a) {
    Pool p{};
    int64_t* fields[] = {&p.n, &p.h, &p.w, &p.c, &p.kh, &p.kw, &p.oh, &p.ow, &p.sh, &p.sw, &p.padT, &p.padL};
    static_assert(endsWith(S, kPoolShape), "a pool's signature ends with kPoolShape");
    constexpr size_t first = S.size() - kPoolShape.size();
    for (size_t i = 0; i < kPoolShape.size(); i++) *fields[i] = a.integer(first + i);
    for (int64_t* f : fields) nonNegative(*f, "pool size");
    positive(p.kh, "pool height");
    positive(p.kw, "pool width");
    positive(p.sh, "pool stride");
    positive(p.sw, "pool stride");
    return p;
  }
  // Calls f(base) for the input offset of each window position of output pixel (img, oy, ox)
  // inside the image, in row-major window order.
  template <typename F>
  void forWindow(int64_t img, int64_t oy, int64_t ox, F f) const {
    for (int64_t ky = 0; ky < kh; ky++) {
      const int64_t iy = oy * sh - padT + ky;
      if (iy < 0 || iy >= h) continue;
      for (int64_t kx = 0; kx < kw; kx++) {
        const int64_t ix = ox * sw - padL + kx;
        if (ix >= 0 && ix < w) f(((img * h + iy) * w + ix) * c);
      }
    }
  }
  // Each channel's maximum over the window (-infinity when none exceeds it; NaN never wins, as on
  // the cpu backend). Channels run innermost, contiguous in memory.
  void windowMax(const float* x, int64_t img, int64_t oy, int64_t ox, float* best) const {
    std::fill(best, best + c, -std::numeric_limits<float>::infinity());
    forWindow(img, oy, ox, [&](int64_t base) {
      const float* src = x + base;
      for (int64_t ch = 0; ch < c; ch++) best[ch] = src[ch] > best[ch] ? src[ch] : best[ch];
    });
  }
};

thread_local std::vector<float> poolBest;
thread_local std::vector<float> poolOpen;

// maxPool (kMaxPool): y = each window's maximum.
napi_value MaxPool(napi_env env, napi_callback_info info) {
  return Guard(env, "maxPool", [&] {
    Args a(env, info, kMaxPool);
    const Pool p = Pool::from<kMaxPool>(a);
    const float* x = a.span(a.integer(PARAM(kMaxPool, "xOffset")), p.n * p.h * p.w * p.c, "x");
    float* y = a.span(a.integer(PARAM(kMaxPool, "outOffset")), p.n * p.oh * p.ow * p.c, "y");
#pragma omp parallel for schedule(static)
    for (int64_t row = 0; row < p.n * p.oh; row++) {
      const int64_t img = row / p.oh, oy = row % p.oh;
      for (int64_t ox = 0; ox < p.ow; ox++) p.windowMax(x, img, oy, ox, y + ((row * p.ow) + ox) * p.c);
    }
  });
}

// maxPoolGrad (kMaxPoolGrad): routes dy to each window's maximum.
napi_value MaxPoolGrad(napi_env env, napi_callback_info info) {
  return Guard(env, "maxPoolGrad", [&] {
    Args a(env, info, kMaxPoolGrad);
    const Pool p = Pool::from<kMaxPoolGrad>(a);
    const float* dy = a.span(a.integer(PARAM(kMaxPoolGrad, "dyOffset")), p.n * p.oh * p.ow * p.c, "dy");
    const float* x = a.span(a.integer(PARAM(kMaxPoolGrad, "xOffset")), p.n * p.h * p.w * p.c, "x");
    float* dx = a.span(a.integer(PARAM(kMaxPoolGrad, "dxOffset")), p.n * p.h * p.w * p.c, "dx");
    std::fill(dx, dx + p.n * p.h * p.w * p.c, 0.f);
    // Windows of one image only write into that image: images run in parallel.
#pragma omp parallel for schedule(static)
    for (int64_t img = 0; img < p.n; img++) {
      if ((int64_t)poolBest.size() < p.c) poolBest.resize(p.c);
      if ((int64_t)poolOpen.size() < p.c) poolOpen.resize(p.c);
      float* best = poolBest.data();
      float* open = poolOpen.data();
      for (int64_t oy = 0; oy < p.oh; oy++) {
        for (int64_t ox = 0; ox < p.ow; ox++) {
          const float* g = dy + ((img * p.oh + oy) * p.ow + ox) * p.c;
          p.windowMax(x, img, oy, ox, best);
          // The gradient goes to the first position holding the maximum: where the cpu backend's
          // running "strictly greater" search stops. None when nothing exceeds -infinity.
          // Branch-free over channels (ties after a relu are common), so the loop vectorises.
          for (int64_t ch = 0; ch < p.c; ch++) open[ch] = best[ch] > -std::numeric_limits<float>::infinity() ? 1.f : 0.f;
          p.forWindow(img, oy, ox, [&](int64_t base) {
            const float* src = x + base;
            float* d = dx + base;
            for (int64_t ch = 0; ch < p.c; ch++) {
              const bool take = open[ch] != 0.f && src[ch] == best[ch];
              d[ch] = take ? d[ch] + g[ch] : d[ch];
              open[ch] = take ? 0.f : open[ch];
            }
          });
        }
      }
    }
  });
}

// sumRows (kSumRows): x is outer x inner. leading=1 sums over the outer index (y has inner
// elements), leading=0 over the inner one (y has outer elements).
napi_value SumRows(napi_env env, napi_callback_info info) {
  return Guard(env, "sum", [&] {
    Args a(env, info, kSumRows);
    const int64_t outer = count(a, PARAM(kSumRows, "outer"), "outer size"), inner = count(a, PARAM(kSumRows, "inner"), "inner size");
    const int64_t leading = a.integer(PARAM(kSumRows, "leading"));
    const float* x = a.span(a.integer(PARAM(kSumRows, "xOffset")), outer * inner, "x");
    float* y = a.span(a.integer(PARAM(kSumRows, "outOffset")), leading ? inner : outer, "y");
    if (leading) {
      // Column sums, accumulated row by row in float as the cpu backend does.
      std::fill(y, y + inner, 0.f);
      for (int64_t r = 0; r < outer; r++) {
        const float* row = x + r * inner;
        for (int64_t c = 0; c < inner; c++) y[c] += row[c];
      }
    } else {
#pragma omp parallel for schedule(static) if (outer * inner > (1 << 20))
      for (int64_t r = 0; r < outer; r++) {
        const float* row = x + r * inner;
        float s = 0.f;
        for (int64_t c = 0; c < inner; c++) s += row[c];
        y[r] = s;
      }
    }
  });
}

// adam (kAdam): m' = b1 m + (1-b1) g; v' = b2 v + (1-b2) g^2; var' = var - rate m' / (sqrt(v') + eps).
// The new buffers may be the old ones (an update in place): each element is read before it is
// written, and only at its own index, so the pointers carry no __restrict.
napi_value Adam(napi_env env, napi_callback_info info) {
  return Guard(env, "adam", [&] {
    Args a(env, info, kAdam);
    const int64_t n = count(a, PARAM(kAdam, "size"), "size");
    const float* var = a.span(a.integer(PARAM(kAdam, "variableOffset")), n, "variable");
    const float* m = a.span(a.integer(PARAM(kAdam, "mOffset")), n, "m");
    const float* v = a.span(a.integer(PARAM(kAdam, "vOffset")), n, "v");
    const float* g = a.span(a.integer(PARAM(kAdam, "gradientOffset")), n, "gradient");
    float* var2 = a.span(a.integer(PARAM(kAdam, "newVariableOffset")), n, "new variable");
    float* m2 = a.span(a.integer(PARAM(kAdam, "newMOffset")), n, "new m");
    float* v2 = a.span(a.integer(PARAM(kAdam, "newVOffset")), n, "new v");
    const float rate = a.real(PARAM(kAdam, "rate")), b1 = a.real(PARAM(kAdam, "beta1")), b2 = a.real(PARAM(kAdam, "beta2")), eps = a.real(PARAM(kAdam, "epsilon"));
    const float c1 = 1.f - b1, c2 = 1.f - b2;
    forParts(n, kParallelElements, [&](int64_t begin, int64_t end) {
#pragma omp simd
      for (int64_t i = begin; i < end; i++) {
        const float gi = g[i];
        const float mi = b1 * m[i] + c1 * gi;
        const float vi = b2 * v[i] + c2 * (gi * gi);
        m2[i] = mi;
        v2[i] = vi;
        var2[i] = var[i] - rate * mi / (std::sqrt(vi) + eps);
      }
    });
  });
}

// reluBiasGrad (kReluBiasGrad): the backward pass of a layer's ReLU and bias, dy and y (the
// layer's output) rows x cols: g = dy where y > 0, NaN where y is NaN, else 0; db = the column
// sums of g, accumulated row by row in float as the cpu backend's Sum does. One thread: a
// version split over threads with per-thread sums ran slower here (7.6 against 4.6 ms for the
// conv autoencoder's four calls per step).
napi_value ReluBiasGrad(napi_env env, napi_callback_info info) {
  return Guard(env, "reluBiasGrad", [&] {
    Args a(env, info, kReluBiasGrad);
    const int64_t rows = count(a, PARAM(kReluBiasGrad, "rows"), "rows"), cols = count(a, PARAM(kReluBiasGrad, "cols"), "cols");
    const float* dy = a.span(a.integer(PARAM(kReluBiasGrad, "dyOffset")), rows * cols, "dy");
    const float* y = a.span(a.integer(PARAM(kReluBiasGrad, "yOffset")), rows * cols, "y");
    float* g = a.span(a.integer(PARAM(kReluBiasGrad, "gOffset")), rows * cols, "g");
    float* db = a.span(a.integer(PARAM(kReluBiasGrad, "dbOffset")), cols, "db");
    std::fill(db, db + cols, 0.f);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (int64_t r = 0; r < rows; r++) {
      const float* dyRow = dy + r * cols;
      const float* yRow = y + r * cols;
      float* gRow = g + r * cols;
      for (int64_t c = 0; c < cols; c++) {
        const float v = yRow[c] > 0.f ? dyRow[c] : (yRow[c] != yRow[c] ? nan : 0.f);
        gRow[c] = v;
        db[c] += v;
      }
    }
  });
}

// biasActivation (kBiasActivation): out = act(x + bias), x and out rows x cols, bias cols long.
napi_value BiasActivation(napi_env env, napi_callback_info info) {
  return Guard(env, "biasActivation", [&] {
    Args a(env, info, kBiasActivation);
    const int64_t rows = count(a, PARAM(kBiasActivation, "rows"), "rows"), cols = count(a, PARAM(kBiasActivation, "cols"), "cols");
    const float* x = a.span(a.integer(PARAM(kBiasActivation, "xOffset")), rows * cols, "x");
    const float* bias = a.span(a.integer(PARAM(kBiasActivation, "biasOffset")), cols, "bias");
    float* out = a.span(a.integer(PARAM(kBiasActivation, "outOffset")), rows * cols, "out");
    if (out != x) std::memcpy(out, x, sizeof(float) * rows * cols);
    epilogue(out, rows, cols, bias, false, (int)a.integer(PARAM(kBiasActivation, "activation")), a.real(PARAM(kBiasActivation, "leakyreluAlpha")));
  });
}

// bce (kBce): out[r] = sum over c of max(l, 0) - l x + log(1 + exp(-|l|)), the binary
// cross-entropy of targets x against logits l (both rows x cols), one sum per row.
napi_value Bce(napi_env env, napi_callback_info info) {
  return Guard(env, "bce", [&] {
    Args a(env, info, kBce);
    const int64_t rows = count(a, PARAM(kBce, "rows"), "rows"), cols = count(a, PARAM(kBce, "cols"), "cols");
    const float* l = a.span(a.integer(PARAM(kBce, "logitsOffset")), rows * cols, "logits");
    const float* x = a.span(a.integer(PARAM(kBce, "xOffset")), rows * cols, "x");
    float* out = a.span(a.integer(PARAM(kBce, "outOffset")), rows, "out");
    forRows(rows, cols, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; r++) {
        const float* lr = l + r * cols;
        const float* xr = x + r * cols;
        float s = 0.f;
#pragma omp simd reduction(+ : s)
        for (int64_t c = 0; c < cols; c++) {
          const float v = lr[c];
          s += (v > 0.f ? v : 0.f) - v * xr[c] + log1pUnit(expNonPositive(-std::fabs(v)));
        }
        out[r] = s;
      }
    });
  });
}

// bceGrad (kBceGrad): dLogits = dy[r] (sigmoid(l) - x), the gradient of bce's row sums.
napi_value BceGrad(napi_env env, napi_callback_info info) {
  return Guard(env, "bceGrad", [&] {
    Args a(env, info, kBceGrad);
    const int64_t rows = count(a, PARAM(kBceGrad, "rows"), "rows"), cols = count(a, PARAM(kBceGrad, "cols"), "cols");
    const float* dy = a.span(a.integer(PARAM(kBceGrad, "dyOffset")), rows, "dy");
    const float* l = a.span(a.integer(PARAM(kBceGrad, "logitsOffset")), rows * cols, "logits");
    const float* x = a.span(a.integer(PARAM(kBceGrad, "xOffset")), rows * cols, "x");
    float* dl = a.span(a.integer(PARAM(kBceGrad, "dLogitsOffset")), rows * cols, "dLogits");
    forRows(rows, cols, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; r++) {
        const float d = dy[r];
        const float* lr = l + r * cols;
        const float* xr = x + r * cols;
        float* out = dl + r * cols;
#pragma omp simd
        for (int64_t c = 0; c < cols; c++) {
          // sigmoid without overflow: e = exp(-|l|) lies in (0, 1].
          const float v = lr[c], e = expNonPositive(-std::fabs(v));
          const float sigmoid = (v >= 0.f ? 1.f : e) / (1.f + e);
          out[c] = d * (sigmoid - xr[c]);
        }
      }
    });
  });
}

// threads(n): sets the threads for large products and the addon's loops; returns the number.
napi_value Threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc == 1) {
    int32_t n = 0;
    if (napi_get_value_int32(env, argv[0], &n) == napi_ok && n > 0) {
      maxThreads = n;
      blasThreads = -1;
#ifdef _OPENMP
      omp_set_num_threads(n);
#endif
    }
  }
  napi_value result;
  napi_create_int32(env, maxThreads, &result);
  return result;
}

// convolutionMode(mode?): sets how convolutions run when given (0 today's im2col way, 1 oneDNN
// wherever it can, 2 by measurement per shape and pass) and returns the mode in use. Without
// oneDNN in the build every mode runs today's way.
napi_value ConvolutionMode(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc == 1) {
    int32_t mode = -1;
    if (napi_get_value_int32(env, argv[0], &mode) != napi_ok || mode < kIm2col || mode > kAuto) {
      napi_throw_range_error(env, nullptr, "replearn native convolutionMode: mode must be 0 (im2col), 1 (oneDNN) or 2 (by measurement)");
      return nullptr;
    }
    convMode = mode;
  }
  napi_value result;
  napi_create_int32(env, convMode, &result);
  return result;
}

// oneDnn(): oneDNN's version ("oneDNN 2.6.3") when the addon was built with it, else "".
napi_value OneDnn(napi_env env, napi_callback_info) {
#ifdef REPLEARN_DNNL
  const std::string text = oneDnnVersion();
#else
  const std::string text;
#endif
  napi_value result;
  napi_create_string_utf8(env, text.c_str(), text.size(), &result);
  return result;
}

// convolutionChoices(): what convolve() measured, one object per shape and pass:
// { shape: [n, h, w, c, kh, kw, co, oh, ow, sh, sw, dh, dw, padT, padL], pass, threads, way
// ("oneDNN" | "im2col" | "measuring"), oneDnnMs, im2colMs (medians), why (when oneDNN cannot) }.
napi_value ConvolutionChoices(napi_env env, napi_callback_info) {
  napi_value list;
  napi_create_array(env, &list);
  uint32_t i = 0;
  const char* passes[] = {"forward", "inputGradient", "filterGradient"};
  for (const auto& [key, choice] : convChoices) {
    napi_value item, shape, value;
    napi_create_object(env, &item);
    napi_create_array_with_length(env, 15, &shape);
    for (uint32_t j = 0; j < 15; j++) {
      napi_create_double(env, (double)key[j], &value);
      napi_set_element(env, shape, j, value);
    }
    napi_set_named_property(env, item, "shape", shape);
    napi_create_string_utf8(env, passes[key[15]], NAPI_AUTO_LENGTH, &value);
    napi_set_named_property(env, item, "pass", value);
    napi_create_double(env, (double)key[16], &value);
    napi_set_named_property(env, item, "threads", value);
    const char* way = choice.oneDnnFailed ? "im2col" : choice.winner == kOneDnn ? "oneDNN" : choice.winner == kIm2col ? "im2col" : "measuring";
    napi_create_string_utf8(env, way, NAPI_AUTO_LENGTH, &value);
    napi_set_named_property(env, item, "way", value);
    napi_create_double(env, medianOf(choice.oneDnnMs), &value);
    napi_set_named_property(env, item, "oneDnnMs", value);
    napi_create_double(env, medianOf(choice.im2colMs), &value);
    napi_set_named_property(env, item, "im2colMs", value);
    napi_create_string_utf8(env, choice.why.c_str(), choice.why.size(), &value);
    napi_set_named_property(env, item, "why", value);
    napi_set_element(env, list, i++, item);
  }
  return list;
}

napi_value Describe(napi_env env, napi_callback_info) {
  std::string text = openblas_get_config();
#ifdef REPLEARN_DNNL
  text = oneDnnVersion() + ", " + text;
#endif
  napi_value result;
  napi_create_string_utf8(env, text.c_str(), text.size(), &result);
  return result;
}

// A Float64Array argument's data and length, or an error naming it.
double* Float64Argument(napi_env env, napi_value value, const char* what, size_t* length) {
  bool isTyped = false;
  napi_is_typedarray(env, value, &isTyped);
  napi_typedarray_type type;
  void* data = nullptr;
  napi_value buffer;
  size_t byteOffset = 0;
  if (!isTyped || napi_get_typedarray_info(env, value, &type, length, &data, &buffer, &byteOffset) != napi_ok || type != napi_float64_array) {
    throw JsError(std::string(what) + " must be a Float64Array");
  }
  return static_cast<double*>(data);
}

// symmetricEigen(matrix, n, count, values, vectors): the `count` largest eigenvalues of the symmetric
// n x n `matrix` (Float64Array, read only), largest first, into `values`, and their unit
// eigenvectors as the rows of `vectors` (count x n). Returns false, touching nothing, when OpenBLAS
// has no LAPACK.
napi_value SymmetricEigen(napi_env env, napi_callback_info info) {
  napi_value result = nullptr;
  napi_value thrown = Guard(env, "symmetricEigen", [&] {
    size_t argc = 5;
    napi_value argv[5];
    if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 5) throw JsError("expected 5 arguments (matrix, n, count, values, vectors)");
    int32_t n = 0, count = 0;
    if (napi_get_value_int32(env, argv[1], &n) != napi_ok || n < 1) throw JsError("n must be a positive integer");
    if (napi_get_value_int32(env, argv[2], &count) != napi_ok || count < 1 || count > n) throw JsError("count must be an integer in 1..n");
    size_t matrixLength = 0, valuesLength = 0, vectorsLength = 0;
    const double* matrix = Float64Argument(env, argv[0], "matrix", &matrixLength);
    double* values = Float64Argument(env, argv[3], "values", &valuesLength);
    double* vectors = Float64Argument(env, argv[4], "vectors", &vectorsLength);
    if (matrixLength != (size_t)n * n) throw JsError("matrix must hold n * n values");
    if (valuesLength < (size_t)count || vectorsLength < (size_t)count * n) throw JsError("values and vectors must hold count and count * n values");
    if (dsyevr_ == nullptr) {
      napi_get_boolean(env, false, &result);
      return;
    }
    if (blasThreads != maxThreads) {
      openblas_set_num_threads(maxThreads);
      blasThreads = maxThreads;
    }
    // Symmetric, so row-major is column-major; LAPACK overwrites its copy.
    std::vector<double> a(matrix, matrix + (size_t)n * n);
    const int il = n - count + 1, iu = n;
    const double vl = 0, vu = 0, abstol = 0;
    int found = 0, info = 0, lwork = -1, liwork = -1, iworkSize = 0;
    double workSize = 0;
    std::vector<double> w(n), z((size_t)n * count);
    std::vector<int> isuppz(2 * (size_t)count);
    dsyevr_("V", "I", "U", &n, a.data(), &n, &vl, &vu, &il, &iu, &abstol, &found, w.data(), z.data(), &n, isuppz.data(), &workSize, &lwork, &iworkSize, &liwork,
            &info, 1, 1, 1);
    if (info != 0) throw JsError("dsyevr's workspace query failed (info " + std::to_string(info) + ")");
    lwork = (int)workSize;
    liwork = iworkSize;
    std::vector<double> work(lwork);
    std::vector<int> iwork(liwork);
    dsyevr_("V", "I", "U", &n, a.data(), &n, &vl, &vu, &il, &iu, &abstol, &found, w.data(), z.data(), &n, isuppz.data(), work.data(), &lwork, iwork.data(),
            &liwork, &info, 1, 1, 1);
    if (info != 0 || found != count) throw JsError("dsyevr failed (info " + std::to_string(info) + ", " + std::to_string(found) + " of " + std::to_string(count) + " eigenvalues)");
    // LAPACK gives them smallest first, each eigenvector a column (n contiguous values).
    for (int j = 0; j < count; j++) {
      values[j] = w[count - 1 - j];
      std::memcpy(vectors + (size_t)j * n, z.data() + (size_t)(count - 1 - j) * n, sizeof(double) * n);
    }
    napi_get_boolean(env, true, &result);
  });
  return result != nullptr ? result : thrown;
}

// A kernel entry point and its signature.
struct Entry {
  const char* name;
  napi_callback fn;
  const std::string_view* parameters;
  size_t count;
};

template <size_t N>
constexpr Entry entry(const char* name, napi_callback fn, const Signature<N>& signature) {
  return {name, fn, signature.data(), N};
}

const Entry kEntries[] = {
    entry("gemm", Gemm, kGemm),
    entry("conv2d", Conv2d, kConv2d),
    entry("conv2dBackpropInput", Conv2dBackpropInput, kConv2dBackpropInput),
    entry("conv2dBackpropFilter", Conv2dBackpropFilter, kConv2dBackpropFilter),
    entry("maxPool", MaxPool, kMaxPool),
    entry("maxPoolGrad", MaxPoolGrad, kMaxPoolGrad),
    entry("sumRows", SumRows, kSumRows),
    entry("adam", Adam, kAdam),
    entry("reluBiasGrad", ReluBiasGrad, kReluBiasGrad),
    entry("biasActivation", BiasActivation, kBiasActivation),
    entry("bce", Bce, kBce),
    entry("bceGrad", BceGrad, kBceGrad),
};

// signatures(): { gemm: ["batch", ...], ... }, each entry point's parameters after the heap in order.
napi_value Signatures(napi_env env, napi_callback_info) {
  napi_value result;
  napi_create_object(env, &result);
  for (const Entry& e : kEntries) {
    napi_value names;
    napi_create_array_with_length(env, e.count, &names);
    for (size_t i = 0; i < e.count; i++) {
      napi_value name;
      napi_create_string_utf8(env, e.parameters[i].data(), e.parameters[i].size(), &name);
      napi_set_element(env, names, (uint32_t)i, name);
    }
    napi_set_named_property(env, result, e.name, names);
  }
  return result;
}

napi_value Init(napi_env env, napi_value exports) {
  std::vector<std::pair<const char*, napi_callback>> functions = {{"threads", Threads}, {"describe", Describe}, {"convolutionMode", ConvolutionMode}, {"oneDnn", OneDnn}, {"convolutionChoices", ConvolutionChoices}, {"signatures", Signatures}, {"symmetricEigen", SymmetricEigen}};
  for (const Entry& e : kEntries) functions.emplace_back(e.name, e.fn);
  for (const auto& [name, fn] : functions) {
    napi_value value;
    napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, nullptr, &value);
    napi_set_named_property(env, exports, name, value);
  }
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
