// Matrix products for tfjs's wasm backend on a native BLAS (OpenBLAS, Accelerate, MKL), reading
// and writing the wasm heap in place: src/compute/blas.ts loads this module and
// src/compute/wasm-kernels.ts calls it from the BatchMatMul and _FusedMatMul kernels.
//
// Why native: XNNPACK in wasm has 128-bit SIMD without FMA and one thread in Node, about a
// quarter of what OpenBLAS's AVX2 kernels do on the same core (bench/results). The BLAS is
// opened with dlopen at run time, so building needs only a C++ compiler and Node's headers,
// and a machine without the library still loads this module (open() then says why not).
#include <node_api.h>
#include <dlfcn.h>
#include <cstdint>
#include <mutex>
#include <cstring>
#include <string>
#include <vector>

namespace {

// CBLAS enums (cblas.h), repeated so that no BLAS headers are needed to build.
constexpr int kRowMajor = 101;
constexpr int kNoTrans = 111;
constexpr int kTrans = 112;

using Sgemm = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int, float, float*, int);
using SetThreads = void (*)(int);
using GetConfig = char* (*)();

Sgemm sgemm = nullptr;
SetThreads set_threads = nullptr;
// OpenBLAS's thread count is one per process. Encoding workers call in at once (all asking for
// 1), so the count last set is guarded; callers at the same time must ask for the same count.
std::mutex threads_lock;
int threads_set = -1;
std::string description;

napi_value Throw(napi_env env, const std::string& message) {
  napi_throw_error(env, nullptr, message.c_str());
  return nullptr;
}

// open(candidates: string[]): string. Tries each library path in turn; returns a description
// of the one that has cblas_sgemm (OpenBLAS's build config when it says), or throws listing
// why each failed. A second call returns the first result.
napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  napi_value result;
  if (sgemm != nullptr) {
    napi_create_string_utf8(env, description.c_str(), description.size(), &result);
    return result;
  }
  bool is_array = false;
  if (argc < 1 || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array) return Throw(env, "open: expected an array of library paths");
  uint32_t count = 0;
  napi_get_array_length(env, argv[0], &count);
  std::string reasons;
  for (uint32_t i = 0; i < count; i++) {
    napi_value item;
    napi_get_element(env, argv[0], i, &item);
    char path[4096];
    size_t length = 0;
    if (napi_get_value_string_utf8(env, item, path, sizeof path, &length) != napi_ok) return Throw(env, "open: library paths must be strings");
    void* handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* error = dlerror();
      reasons += std::string(reasons.empty() ? "" : "; ") + (error != nullptr ? error : path);
      continue;
    }
    auto f = reinterpret_cast<Sgemm>(dlsym(handle, "cblas_sgemm"));
    if (f == nullptr) {
      reasons += std::string(reasons.empty() ? "" : "; ") + path + ": no cblas_sgemm";
      dlclose(handle);
      continue;
    }
    sgemm = f;
    set_threads = reinterpret_cast<SetThreads>(dlsym(handle, "openblas_set_num_threads"));
    auto config = reinterpret_cast<GetConfig>(dlsym(handle, "openblas_get_config"));
    description = std::string(path) + (config != nullptr ? std::string(" (") + config() + ")" : "");
    napi_create_string_utf8(env, description.c_str(), description.size(), &result);
    return result;
  }
  return Throw(env, reasons.empty() ? "open: no library paths given" : reasons);
}

bool Int(napi_env env, napi_value value, int64_t* out) {
  double d;
  if (napi_get_value_double(env, value, &d) != napi_ok) return false;
  *out = static_cast<int64_t>(d);
  return static_cast<double>(*out) == d;
}

// matmul(heap, a, b, out, bias, batch, strideA, strideB, m, n, k, transA, transB, threads)
// out[i] = op(a[i]) · op(b[i]) (+ bias) for i < batch, row-major float32 in `heap`:
// a, b, out and bias are byte offsets (bias -1: none; else n values added to every row),
// strideA/strideB floats between batch slices (0 broadcasts one slice), op() transposes a
// [k, m] slice (or b [n, k]) when its flag is set, and `threads` is the BLAS's thread count
// (set only when it changes: OpenBLAS's setting is process-wide).
napi_value MatMul(napi_env env, napi_callback_info info) {
  if (sgemm == nullptr) return Throw(env, "matmul: no BLAS opened (call open first)");
  size_t argc = 14;
  napi_value argv[14];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 14) return Throw(env, "matmul: expected 14 arguments");
  void* data = nullptr;
  size_t bytes = 0;
  if (napi_get_arraybuffer_info(env, argv[0], &data, &bytes) != napi_ok) {
    return Throw(env, "matmul: the heap must be an ArrayBuffer (not a SharedArrayBuffer)");
  }
  int64_t v[13];
  for (int i = 0; i < 13; i++) {
    if (!Int(env, argv[i + 1], &v[i])) return Throw(env, "matmul: arguments 2-14 must be integers");
  }
  const int64_t a = v[0], b = v[1], out = v[2], bias = v[3], batch = v[4], stride_a = v[5], stride_b = v[6];
  const int64_t m = v[7], n = v[8], k = v[9], threads = v[12];
  const bool trans_a = v[10] != 0, trans_b = v[11] != 0;
  if (batch < 1 || m < 1 || n < 1 || k < 1 || stride_a < 0 || stride_b < 0 || threads < 1 || m > INT32_MAX || n > INT32_MAX || k > INT32_MAX) {
    return Throw(env, "matmul: sizes must be positive and strides non-negative");
  }
  // Every slice must lie inside the heap: a wrong offset would otherwise write anywhere.
  const auto inside = [&](int64_t offset, int64_t stride, int64_t size) {
    const int64_t last = offset + 4 * ((batch - 1) * stride + size);
    return offset >= 0 && offset % 4 == 0 && last <= static_cast<int64_t>(bytes);
  };
  if (!inside(a, stride_a, m * k) || !inside(b, stride_b, k * n) || !inside(out, m * n, m * n) || (bias != -1 && !inside(bias, 0, n))) {
    return Throw(env, "matmul: an operand lies outside the heap");
  }
  if (set_threads != nullptr) {
    std::lock_guard<std::mutex> guard(threads_lock);
    if (threads_set != threads) {
      set_threads(static_cast<int>(threads));
      threads_set = static_cast<int>(threads);
    }
  }
  char* heap = static_cast<char*>(data);
  const float* bias_values = bias == -1 ? nullptr : reinterpret_cast<const float*>(heap + bias);
  const int lda = static_cast<int>(trans_a ? m : k);
  const int ldb = static_cast<int>(trans_b ? k : n);
  for (int64_t i = 0; i < batch; i++) {
    const float* a_slice = reinterpret_cast<const float*>(heap + a) + i * stride_a;
    const float* b_slice = reinterpret_cast<const float*>(heap + b) + i * stride_b;
    float* out_slice = reinterpret_cast<float*>(heap + out) + i * m * n;
    if (bias_values != nullptr) {
      for (int64_t r = 0; r < m; r++) std::memcpy(out_slice + r * n, bias_values, 4 * n);
    }
    sgemm(kRowMajor, trans_a ? kTrans : kNoTrans, trans_b ? kTrans : kNoTrans, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0f,
          a_slice, lda, b_slice, ldb, bias_values != nullptr ? 1.0f : 0.0f, out_slice, static_cast<int>(n));
  }
  return nullptr;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"open", nullptr, Open, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"matmul", nullptr, MatMul, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, 2, properties);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
