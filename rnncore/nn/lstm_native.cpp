// The explicit LSTM and article LSTM layers in C++ (rnncore/nn/native.py builds and loads this; rnncore/nn/cells.py's
// _NativeLayer calls it): one call runs a layer's forward, one its backward. The same equations as cells.py's
// Python loops. Each time step does one matrix product (straight to BLAS, below) for the recurrent part and then
// ONE loop over batch x hidden for all of its element-wise work, where torch's Python API takes six to ten small
// ops (each a dispatch and a Python call). The products over the whole sequence (the input projection, the
// weights' gradients, the input's) are one matmul each, here too: with them in Python, and the per-step products
// through ATen, a training step took 15 % longer (docs/PERFORMANCE.md).
//
// The element-wise work of one batch row is a function of its own (the *_row functions) on __restrict__
// pointers, with the activation a compile-time constant and an exp without a call: the compiler vectorizes
// those loops (g++ -fopt-info-vec says which), and they no longer cost most of a step.
//
// Time first, contiguous: x (T, B, I); w_ih (4H, I) and w_hh (4H, H) as torch names them (the LSTM's rows i, f,
// g, o; the article LSTM's i, f, c, o); h0, c0 (B, H). Inside, xw (T, B, 4H) = x W_ih^T + b for every step (no
// bias in the article LSTM's c rows) is overwritten with the gates. A gradient that is None in Python (an output
// the loss does not use) arrives as an empty optional and costs nothing.
#include <torch/extension.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <type_traits>
#include <vector>

namespace {

// exp in float, written so that the compiler vectorizes the loops that call it (std::exp is a call per
// element; these loops spent most of their time there): Cephes' expf, e^x = 2^n e^r with |r| <= ln2 / 2 and a
// degree-6 polynomial for e^r, within 1e-7 relative of the exact value (tests/test_native_cells.py). The input
// is clamped to where the result is a normal float; NaN stays NaN. n is rounded by adding 1.5 * 2^23, with no
// conversion to int and no comparison: g++ 12 leaves a loop unvectorized for AVX2 where a clamp is followed
// by either. The build passes -fno-trapping-math, so that the clamps may become min and max instructions.
inline float exp_(float x) {
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  const float shifted = x * 1.44269504088896341f + 12582912.0f;  // x log2(e) rounded to an integer n, + 1.5 2^23
  const float n = shifted - 12582912.0f;
  int32_t n_bits;
  std::memcpy(&n_bits, &shifted, sizeof n_bits);
  const float r = x - n * 0.693359375f - n * -2.12194440e-4f;  // x - n ln2, ln2 in two parts
  float y = 1.9875691500e-4f;
  y = y * r + 1.3981999507e-3f;
  y = y * r + 8.3334519073e-3f;
  y = y * r + 4.1665795894e-2f;
  y = y * r + 1.6666665459e-1f;
  y = y * r + 5.0000001201e-1f;
  y = y * r * r + r + 1.0f;
  const int32_t bits = (n_bits - 0x4B400000 + 127) << 23;  // 2^n: n from the low bits of shifted
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return y * scale;
}
inline double exp_(double x) { return std::exp(x); }  // float64 (the tests, gradcheck): exact

template <typename T> inline T sigmoid(T x) { return T(1) / (T(1) + exp_(-x)); }

// The activation is a compile-time constant in the loops (a std::true_type for relu, std::false_type for tanh),
// so that they have no branch on it and vectorize: with_activation(relu, f) calls f with the one that applies.
template <typename F> inline void with_activation(bool relu, F f) {
  if (relu) {
    f(std::true_type{});
  } else {
    f(std::false_type{});
  }
}
// relu, or tanh through one exp as the sigmoids
template <typename T, bool Relu> inline T act(T x, std::integral_constant<bool, Relu>) {
  if constexpr (Relu) {
    return x > 0 ? x : T(0);
  } else {
    return T(1) - T(2) / (exp_(T(2) * x) + T(1));
  }
}
// the activation's slope, from its output y = act(x): relu 1 where positive, tanh 1 - y^2
template <typename T, bool Relu> inline T slope(T y, std::integral_constant<bool, Relu>) {
  if constexpr (Relu) {
    return T(y > 0);
  } else {
    return T(1) - y * y;
  }
}

// The per-step products straight through BLAS, on raw pointers: the sgemm_/dgemm_ that torch itself calls, with
// the same 32-bit sizes (MKL, in the x86 wheels), found at load time (weak symbols: null where torch exports no
// BLAS). Through ATen each product made a view of its step and went through the dispatcher: the loops took 15 %
// longer (docs/PERFORMANCE.md). Without BLAS, or built with -DRNNLAB_ATEN_GEMM (as a test does), the same
// product through ATen. Row-major: c (rows, n) = beta c + a (rows, k) b (k, n), each contiguous (leading
// dimensions k, n, n); BLAS is column-major, so it is asked for c^T = b^T a^T.
extern "C" {
void sgemm_(const char*, const char*, const int*, const int*, const int*, const float*, const float*, const int*,
            const float*, const int*, const float*, float*, const int*) __attribute__((weak));
void dgemm_(const char*, const char*, const int*, const int*, const int*, const double*, const double*,
            const int*, const double*, const int*, const double*, double*, const int*) __attribute__((weak));
}

template <typename T>
void gemm(int64_t rows, int64_t n, int64_t k, const T* a, const T* b, T beta, T* c) {
  const int m_ = static_cast<int>(n), n_ = static_cast<int>(rows), k_ = static_cast<int>(k);
  const T one = 1;
#ifndef RNNLAB_ATEN_GEMM
  const bool fits = rows <= INT32_MAX && n <= INT32_MAX && k <= INT32_MAX;
  if constexpr (std::is_same_v<T, float>) {
    if (sgemm_ != nullptr && fits) return sgemm_("N", "N", &m_, &n_, &k_, &one, b, &m_, a, &k_, &beta, c, &m_);
  } else {
    if (dgemm_ != nullptr && fits) return dgemm_("N", "N", &m_, &n_, &k_, &one, b, &m_, a, &k_, &beta, c, &m_);
  }
#endif
  const auto options = torch::TensorOptions().dtype(c10::CppTypeToScalarType<T>::value);
  auto out = torch::from_blob(c, {rows, n}, options);
  const auto left = torch::from_blob(const_cast<T*>(a), {rows, k}, options);
  const auto right = torch::from_blob(const_cast<T*>(b), {k, n}, options);
  at::addmm_out(out, out, left, right, beta, 1);
}

// Whether the loops' products go straight to BLAS (else through ATen)
bool direct_blas() {
#ifdef RNNLAB_ATEN_GEMM
  return false;
#else
  return sgemm_ != nullptr && dgemm_ != nullptr;
#endif
}

// The forward time loop both cells share. xw becomes the gate buffer: each step adds h W_hh^T to its slice in
// place (no copy), then calls row(gates, h_prev, c_prev, c_new, h_new) on each batch row's pointers (its 4H
// gates, its H units of the states): it turns the pre-activations into what the backward keeps, and writes the
// new c and h. Returns h (T, B, H), c (T, B, H) and the gates (T, B, 4H): xw itself.
template <typename scalar_t, typename Row>
std::vector<torch::Tensor> forward_loop(torch::Tensor xw, torch::Tensor h0, torch::Tensor c0, torch::Tensor w_hh_t,
                                        Row row) {
  const int64_t steps = xw.size(0), batch = xw.size(1), hidden = h0.size(1);
  auto hs = torch::empty({steps, batch, hidden}, xw.options());
  auto cs = torch::empty({steps, batch, hidden}, xw.options());
  auto gates = xw;
  scalar_t* const g_base = gates.data_ptr<scalar_t>();
  scalar_t* const c_base = cs.data_ptr<scalar_t>();
  scalar_t* const h_base = hs.data_ptr<scalar_t>();
  const scalar_t* const w = w_hh_t.data_ptr<scalar_t>();
  const int64_t state_step = batch * hidden;
  for (int64_t t = 0; t < steps; ++t) {
    const scalar_t* h_prev = t > 0 ? h_base + (t - 1) * state_step : h0.data_ptr<scalar_t>();
    const scalar_t* c_prev = t > 0 ? c_base + (t - 1) * state_step : c0.data_ptr<scalar_t>();
    gemm<scalar_t>(batch, 4 * hidden, hidden, h_prev, w, 1, g_base + t * batch * 4 * hidden);
    for (int64_t b = 0; b < batch; ++b) {
      const int64_t k = t * state_step + b * hidden;
      row(g_base + (t * batch + b) * 4 * hidden, h_prev + b * hidden, c_prev + b * hidden, c_base + k, h_base + k);
    }
  }
  return {hs, cs, gates};
}

// LSTM: i, f, o = sigmoid; g = act; c' = f c + i g; h' = o act(c'). The gates kept: i, f, g, o.
template <typename T, typename Relu>
inline void lstm_forward_row(T* __restrict__ gate, const T* __restrict__ c_prev, T* __restrict__ c_new,
                             T* __restrict__ h_new, int64_t hidden, Relu relu) {
  for (int64_t j = 0; j < hidden; ++j) {
    const T i = sigmoid(gate[j]), f = sigmoid(gate[hidden + j]);
    const T g = act(gate[2 * hidden + j], relu), o = sigmoid(gate[3 * hidden + j]);
    gate[j] = i, gate[hidden + j] = f, gate[2 * hidden + j] = g, gate[3 * hidden + j] = o;
    const T c = f * c_prev[j] + i * g;
    c_new[j] = c;
    h_new[j] = o * act(c, relu);
  }
}

std::vector<torch::Tensor> lstm_forward(torch::Tensor xw, torch::Tensor h0, torch::Tensor c0, torch::Tensor w_hh_t,
                                        bool use_relu) {
  const int64_t hidden = h0.size(1);
  std::vector<torch::Tensor> out;
  AT_DISPATCH_FLOATING_TYPES(xw.scalar_type(), "lstm_forward", [&] {
    with_activation(use_relu, [&](auto relu) {
      out = forward_loop<scalar_t>(xw, h0, c0, w_hh_t, [&](scalar_t* gate, const scalar_t*, const scalar_t* c_prev,
                                                           scalar_t* c_new, scalar_t* h_new) {
        lstm_forward_row(gate, c_prev, c_new, h_new, hidden, relu);
      });
    });
  });
  return out;
}

// One batch row of the LSTM's step backward: the gradients on its gate pre-activations (d), and the one on c
// carried to the step before (d_c, in place), from the gradient on h (d_h).
template <typename T, typename Relu>
inline void lstm_backward_row(const T* __restrict__ gate, const T* __restrict__ c_now, const T* __restrict__ c_prev,
                              const T* __restrict__ d_h, T* __restrict__ d_c, T* __restrict__ d, int64_t hidden,
                              Relu relu) {
  for (int64_t j = 0; j < hidden; ++j) {
    const T i = gate[j], f = gate[hidden + j], g = gate[2 * hidden + j], o = gate[3 * hidden + j];
    const T act_c = act(c_now[j], relu);
    const T d_cell = d_c[j] + d_h[j] * o * slope(act_c, relu);  // all the gradient on c at t
    d[j] = d_cell * g * i * (1 - i);
    d[hidden + j] = d_cell * c_prev[j] * f * (1 - f);
    d[2 * hidden + j] = d_cell * i * slope(g, relu);
    d[3 * hidden + j] = d_h[j] * act_c * o * (1 - o);
    d_c[j] = d_cell * f;
  }
}

// The gradients on the LSTM's gate pre-activations (T, B, 4H) and on c0, from those on every output h, on the
// last h and on the last c (each may be absent). dh holds one step's gradient on h: the product of the next
// step's gate gradients with W_hh, plus that step's output gradient where there is one.
std::vector<torch::Tensor> lstm_backward(const std::optional<torch::Tensor>& grad_out,
                                         const std::optional<torch::Tensor>& grad_hn,
                                         const std::optional<torch::Tensor>& grad_cn, torch::Tensor gates,
                                         torch::Tensor cs, torch::Tensor c0, torch::Tensor w_hh, bool use_relu) {
  const int64_t steps = gates.size(0), batch = gates.size(1), hidden = cs.size(2);
  auto grad_gates = torch::empty_like(gates);
  auto dc = grad_cn ? grad_cn->clone(at::MemoryFormat::Contiguous) : torch::zeros_like(c0);
  auto dh = grad_out ? grad_out->select(0, steps - 1).clone() : torch::zeros_like(c0);
  if (grad_hn) dh.add_(*grad_hn);
  AT_DISPATCH_FLOATING_TYPES(gates.scalar_type(), "lstm_backward", [&] {
    with_activation(use_relu, [&](auto relu) {
      const scalar_t* const g_base = gates.data_ptr<scalar_t>();
      const scalar_t* const c_base = cs.data_ptr<scalar_t>();
      scalar_t* const d_base = grad_gates.data_ptr<scalar_t>();
      scalar_t* const d_c = dc.data_ptr<scalar_t>();
      scalar_t* const d_h = dh.data_ptr<scalar_t>();
      const scalar_t* const out_base = grad_out ? grad_out->data_ptr<scalar_t>() : nullptr;
      const scalar_t* const w = w_hh.data_ptr<scalar_t>();
      const int64_t state_step = batch * hidden;
      for (int64_t t = steps - 1; t >= 0; --t) {
        if (t < steps - 1) {  // dh = the output's gradient at t (where there is one) + d(t + 1) W_hh
          if (out_base != nullptr) std::memcpy(d_h, out_base + t * state_step, state_step * sizeof(scalar_t));
          gemm<scalar_t>(batch, hidden, 4 * hidden, d_base + (t + 1) * batch * 4 * hidden, w,
                         out_base != nullptr ? 1 : 0, d_h);
        }
        const scalar_t* c_prev = t > 0 ? c_base + (t - 1) * batch * hidden : c0.data_ptr<scalar_t>();
        for (int64_t b = 0; b < batch; ++b) {
          const int64_t k = b * hidden, r = (t * batch + b) * 4 * hidden;
          lstm_backward_row(g_base + r, c_base + t * batch * hidden + k, c_prev + k, d_h + k, d_c + k, d_base + r,
                            hidden, relu);
        }
      }
    });
  });
  return {grad_gates, dc};
}

// Article LSTM: i, f, o = sigmoid; c = act(u o + b_c) with u = W_c x + U_c h; h' = f h + i c. The gates kept:
// i, f, u, o (u before the product with o); the c returned is the candidate c.
template <typename T, typename Relu>
inline void article_forward_row(T* __restrict__ gate, const T* __restrict__ b_c, const T* __restrict__ h_prev,
                                T* __restrict__ c_new, T* __restrict__ h_new, int64_t hidden, Relu relu) {
  for (int64_t j = 0; j < hidden; ++j) {
    const T i = sigmoid(gate[j]), f = sigmoid(gate[hidden + j]), o = sigmoid(gate[3 * hidden + j]);
    gate[j] = i, gate[hidden + j] = f, gate[3 * hidden + j] = o;  // gate[2 hidden + j] keeps u
    const T c = act(gate[2 * hidden + j] * o + b_c[j], relu);
    c_new[j] = c;
    h_new[j] = f * h_prev[j] + i * c;
  }
}

std::vector<torch::Tensor> article_forward(torch::Tensor xw, torch::Tensor h0, torch::Tensor w_hh_t,
                                           torch::Tensor bias_c, bool use_relu) {
  const int64_t hidden = h0.size(1);
  std::vector<torch::Tensor> out;
  AT_DISPATCH_FLOATING_TYPES(xw.scalar_type(), "article_forward", [&] {
    with_activation(use_relu, [&](auto relu) {
      const scalar_t* b_c = bias_c.data_ptr<scalar_t>();
      out = forward_loop<scalar_t>(xw, h0, h0, w_hh_t, [&](scalar_t* gate, const scalar_t* h_prev, const scalar_t*,
                                                           scalar_t* c_new, scalar_t* h_new) {
        article_forward_row(gate, b_c, h_prev, c_new, h_new, hidden, relu);
      });
    });
  });
  return out;
}

// One batch row of the article LSTM's step backward: the gradients on its gate pre-activations (d), added up
// on b_c (d_b), from the gradient on h (d_h).
template <typename T, typename Relu>
inline void article_backward_row(const T* __restrict__ gate, const T* __restrict__ c_now,
                                 const T* __restrict__ h_prev, const T* __restrict__ d_h, T* __restrict__ d,
                                 T* __restrict__ d_b, int64_t hidden, Relu relu) {
  for (int64_t j = 0; j < hidden; ++j) {
    const T i = gate[j], f = gate[hidden + j], u = gate[2 * hidden + j], o = gate[3 * hidden + j];
    const T cand = c_now[j];
    const T d_pre = d_h[j] * i * slope(cand, relu);  // on u o + b_c
    d[j] = d_h[j] * cand * i * (1 - i);
    d[hidden + j] = d_h[j] * h_prev[j] * f * (1 - f);
    d[2 * hidden + j] = d_pre * o;
    d[3 * hidden + j] = d_pre * u * o * (1 - o);
    d_b[j] += d_pre;
  }
}

// h' = f h + i c: the gradient on h flows straight through f, as well as through the gates
template <typename T>
inline void article_carry_row(const T* __restrict__ g_out, const T* __restrict__ d_h, const T* __restrict__ f_next,
                              T* __restrict__ into, int64_t hidden) {
  if (g_out != nullptr) {
    for (int64_t j = 0; j < hidden; ++j) into[j] = g_out[j] + d_h[j] * f_next[j];
  } else {
    for (int64_t j = 0; j < hidden; ++j) into[j] = d_h[j] * f_next[j];
  }
}

// The gradients on the article LSTM's gate pre-activations (T, B, 4H), on b_c (H) and on h0.
std::vector<torch::Tensor> article_backward(const std::optional<torch::Tensor>& grad_out,
                                            const std::optional<torch::Tensor>& grad_hn, torch::Tensor gates,
                                            torch::Tensor cs, torch::Tensor hs, torch::Tensor h0, torch::Tensor w_hh,
                                            bool use_relu) {
  const int64_t steps = gates.size(0), batch = gates.size(1), hidden = cs.size(2);
  auto grad_gates = torch::empty_like(gates);
  auto grad_bias_c = torch::zeros({hidden}, gates.options());
  auto dh = grad_out ? grad_out->select(0, steps - 1).clone() : torch::zeros_like(h0);  // all the gradient on h at t
  if (grad_hn) dh.add_(*grad_hn);
  auto carried = torch::empty({batch, hidden}, gates.options());
  AT_DISPATCH_FLOATING_TYPES(gates.scalar_type(), "article_backward", [&] {
    with_activation(use_relu, [&](auto relu) {
      const scalar_t* const g_base = gates.data_ptr<scalar_t>();
      const scalar_t* const c_base = cs.data_ptr<scalar_t>();
      const scalar_t* const h_base = hs.data_ptr<scalar_t>();
      const scalar_t* const out_base = grad_out ? grad_out->data_ptr<scalar_t>() : nullptr;
      scalar_t* const d_base = grad_gates.data_ptr<scalar_t>();
      scalar_t* const d_b = grad_bias_c.data_ptr<scalar_t>();
      scalar_t* const into = carried.data_ptr<scalar_t>();
      scalar_t* const d_h = dh.data_ptr<scalar_t>();
      const scalar_t* const w = w_hh.data_ptr<scalar_t>();
      const int64_t state_step = batch * hidden;
      for (int64_t t = steps - 1; t >= 0; --t) {
        if (t < steps - 1) {
          for (int64_t b = 0; b < batch; ++b) {
            const int64_t k = b * hidden;
            article_carry_row(out_base ? out_base + t * state_step + k : nullptr, d_h + k,
                              g_base + ((t + 1) * batch + b) * 4 * hidden + hidden, into + k, hidden);
          }
          std::memcpy(d_h, into, state_step * sizeof(scalar_t));  // dh = carried + d(t + 1) W_hh
          gemm<scalar_t>(batch, hidden, 4 * hidden, d_base + (t + 1) * batch * 4 * hidden, w, 1, d_h);
        }
        const scalar_t* h_prev = t > 0 ? h_base + (t - 1) * state_step : h0.data_ptr<scalar_t>();
        for (int64_t b = 0; b < batch; ++b) {
          const int64_t k = b * hidden, r = (t * batch + b) * 4 * hidden;
          article_backward_row(g_base + r, c_base + t * state_step + k, h_prev + k, d_h + k, d_base + r, d_b,
                               hidden, relu);
        }
      }
    });
  });
  auto f0 = gates[0].narrow(1, hidden, hidden);
  auto grad_h0 = at::addmm(dh * f0, grad_gates[0], w_hh);
  return {grad_gates, grad_bias_c, grad_h0};
}

// A whole layer, forward: x (T, B, I) -> h (T, B, H), c (T, B, H) (the article LSTM's candidate c) and the gates
// (T, B, 4H), which the backward reads.
std::vector<torch::Tensor> lstm_layer_forward(torch::Tensor x, torch::Tensor w_ih, torch::Tensor w_hh,
                                              torch::Tensor b_ih, torch::Tensor b_hh, torch::Tensor h0,
                                              torch::Tensor c0, bool use_relu) {
  const int64_t steps = x.size(0), batch = x.size(1);
  auto xw = at::addmm(b_ih + b_hh, x.reshape({steps * batch, x.size(2)}), w_ih.t()).view({steps, batch, -1});
  return lstm_forward(xw, h0.contiguous(), c0.contiguous(), w_hh.t().contiguous(), use_relu);
}

std::vector<torch::Tensor> article_layer_forward(torch::Tensor x, torch::Tensor w_ih, torch::Tensor w_hh,
                                                 torch::Tensor b_ih, torch::Tensor b_hh, torch::Tensor h0,
                                                 bool use_relu) {
  const int64_t steps = x.size(0), batch = x.size(1), hidden = w_hh.size(1);
  auto gate_bias = b_ih + b_hh;
  auto bias_c = gate_bias.narrow(0, 2 * hidden, hidden).clone();  // added after the product with o: not in xw
  gate_bias.narrow(0, 2 * hidden, hidden).zero_();
  auto xw = at::addmm(gate_bias, x.reshape({steps * batch, x.size(2)}), w_ih.t()).view({steps, batch, -1});
  return article_forward(xw, h0.contiguous(), w_hh.t().contiguous(), bias_c, use_relu);
}

// The products over the whole sequence, from the gate gradients (T, B, 4H) and each step's input x and previous
// h (h0, then h[0 .. T-2]): the gradients on W_ih, W_hh and the bias, and on x where it is asked for.
std::vector<torch::Tensor> weight_grads(const torch::Tensor& grad_gates, const torch::Tensor& x,
                                        const torch::Tensor& w_ih, const torch::Tensor& h0, const torch::Tensor& hs,
                                        bool need_x) {
  const int64_t steps = grad_gates.size(0), batch = grad_gates.size(1), hidden = hs.size(2);
  const auto flat = grad_gates.view({steps * batch, -1});
  auto grad_w_ih = at::mm(flat.t(), x.reshape({steps * batch, x.size(2)}));
  auto grad_w_hh = at::mm(grad_gates[0].t(), h0);
  if (steps > 1) {
    grad_w_hh.addmm_(flat.narrow(0, batch, (steps - 1) * batch).t(),
                     hs.narrow(0, 0, steps - 1).reshape({(steps - 1) * batch, hidden}));
  }
  auto grad_x = need_x ? at::mm(flat, w_ih).view({steps, batch, -1}) : torch::Tensor();
  return {grad_w_ih, grad_w_hh, flat.sum(0), grad_x};
}

// A whole layer, backward: the gradients on W_ih, W_hh, b_ih, b_hh, x (None unless need_x), h0 and c0.
std::vector<torch::Tensor> lstm_layer_backward(const std::optional<torch::Tensor>& grad_out,
                                               const std::optional<torch::Tensor>& grad_hn,
                                               const std::optional<torch::Tensor>& grad_cn, torch::Tensor x,
                                               torch::Tensor w_ih, torch::Tensor w_hh, torch::Tensor h0,
                                               torch::Tensor c0, torch::Tensor hs, torch::Tensor cs,
                                               torch::Tensor gates, bool use_relu, bool need_x) {
  const auto out = grad_out ? std::optional<torch::Tensor>(grad_out->contiguous()) : std::nullopt;
  const auto w_hh_c = w_hh.contiguous();
  const auto h0_c = h0.contiguous(), c0_c = c0.contiguous();
  auto loop = lstm_backward(out, grad_hn, grad_cn, gates, cs, c0_c, w_hh_c, use_relu);
  auto grads = weight_grads(loop[0], x, w_ih, h0_c, hs, need_x);
  return {grads[0], grads[1], grads[2], grads[2].clone(), grads[3], at::mm(loop[0][0], w_hh_c), loop[1]};
}

std::vector<torch::Tensor> article_layer_backward(const std::optional<torch::Tensor>& grad_out,
                                                  const std::optional<torch::Tensor>& grad_hn, torch::Tensor x,
                                                  torch::Tensor w_ih, torch::Tensor w_hh, torch::Tensor h0,
                                                  torch::Tensor hs, torch::Tensor cs, torch::Tensor gates,
                                                  bool use_relu, bool need_x) {
  const int64_t hidden = w_hh.size(1);
  const auto out = grad_out ? std::optional<torch::Tensor>(grad_out->contiguous()) : std::nullopt;
  const auto h0_c = h0.contiguous();
  auto loop = article_backward(out, grad_hn, gates, cs, hs, h0_c, w_hh.contiguous(), use_relu);
  auto grads = weight_grads(loop[0], x, w_ih, h0_c, hs, need_x);
  grads[2].narrow(0, 2 * hidden, hidden).copy_(loop[1]);  // b_c is added outside the product with o
  return {grads[0], grads[1], grads[2], grads[2].clone(), grads[3], loop[2]};
}

}  // namespace

void bind_update(pybind11::module_& m);  // adam_native.cpp: a training step's update, built into this module

// Each loop lets go of Python's GIL while it runs (it touches no Python object), as torch's own ops do: the
// other sessions' page scripts and training threads go on meanwhile.
PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  const auto no_gil = py::call_guard<py::gil_scoped_release>();
  m.def("lstm_layer_forward", &lstm_layer_forward, "an LSTM layer, forward", no_gil);
  m.def("lstm_layer_backward", &lstm_layer_backward, "an LSTM layer, backward", no_gil);
  m.def("article_layer_forward", &article_layer_forward, "an article LSTM layer, forward", no_gil);
  m.def("article_layer_backward", &article_layer_backward, "an article LSTM layer, backward", no_gil);
  m.def("direct_blas", &direct_blas, "whether the per-step products go straight to BLAS (else through ATen)");
  bind_update(m);
}
