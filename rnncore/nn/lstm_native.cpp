// The explicit LSTM and article LSTM layers' time loops in C++ (rnncore/nn/native.py builds and loads this;
// rnncore/nn/cells.py's _NativeLayer calls it). The same equations as cells.py's Python loops; each step does
// one addmm for the recurrent product and then ONE loop over batch x hidden for all of its element-wise work,
// where torch's Python API takes six to ten small ops (each a dispatch and a Python call). The products over
// the whole sequence (the weights' gradients, the input's) stay in cells.py, as one matmul each.
//
// The element-wise work of one batch row is a function of its own (the *_row functions) on __restrict__
// pointers, with the activation a compile-time constant and an exp without a call: the compiler vectorizes
// those loops (g++ -fopt-info-vec says which), and they no longer cost most of a step.
//
// Time first, contiguous: xw (T, B, 4H) is x W_ih^T + b for every step (the LSTM's rows i, f, g, o; the article
// LSTM's i, f, c, o, with no bias in its c rows), overwritten with the gates; h0, c0 (B, H); w_hh_t (H, 4H) =
// W_hh^T; w_hh (4H, H).
#include <torch/extension.h>

#include <cmath>
#include <cstdint>
#include <cstring>
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
  const auto hs_at = hs.unbind(0);
  auto gates_at = gates.unbind(0);
  scalar_t* const g_base = gates.data_ptr<scalar_t>();
  scalar_t* const c_base = cs.data_ptr<scalar_t>();
  scalar_t* const h_base = hs.data_ptr<scalar_t>();
  const int64_t state_step = batch * hidden;
  for (int64_t t = 0; t < steps; ++t) {
    gates_at[t].addmm_(t > 0 ? hs_at[t - 1] : h0, w_hh_t);
    const scalar_t* h_prev = t > 0 ? h_base + (t - 1) * state_step : h0.data_ptr<scalar_t>();
    const scalar_t* c_prev = t > 0 ? c_base + (t - 1) * state_step : c0.data_ptr<scalar_t>();
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
// last h and on the last c.
std::vector<torch::Tensor> lstm_backward(torch::Tensor grad_out, torch::Tensor grad_hn, torch::Tensor grad_cn,
                                         torch::Tensor gates, torch::Tensor cs, torch::Tensor c0, torch::Tensor w_hh,
                                         bool use_relu) {
  const int64_t steps = gates.size(0), batch = gates.size(1), hidden = cs.size(2);
  auto grad_gates = torch::empty_like(gates);
  auto dc = grad_cn.clone();
  auto dh = grad_out.clone();  // (T, B, H): each step's gradient on h, the product with W_hh added in place
  dh[steps - 1].add_(grad_hn);
  const auto dh_at = dh.unbind(0), grad_gates_at = grad_gates.unbind(0);
  AT_DISPATCH_FLOATING_TYPES(gates.scalar_type(), "lstm_backward", [&] {
    with_activation(use_relu, [&](auto relu) {
      const scalar_t* const g_base = gates.data_ptr<scalar_t>();
      const scalar_t* const c_base = cs.data_ptr<scalar_t>();
      scalar_t* const d_base = grad_gates.data_ptr<scalar_t>();
      scalar_t* const d_c = dc.data_ptr<scalar_t>();
      for (int64_t t = steps - 1; t >= 0; --t) {
        if (t < steps - 1) {
          dh_at[t].addmm_(grad_gates_at[t + 1], w_hh);
        }
        const scalar_t* d_h = dh.data_ptr<scalar_t>() + t * batch * hidden;
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
  for (int64_t j = 0; j < hidden; ++j) into[j] = g_out[j] + d_h[j] * f_next[j];
}

// The gradients on the article LSTM's gate pre-activations (T, B, 4H), on b_c (H) and on h0.
std::vector<torch::Tensor> article_backward(torch::Tensor grad_out, torch::Tensor grad_hn, torch::Tensor gates,
                                            torch::Tensor cs, torch::Tensor hs, torch::Tensor h0, torch::Tensor w_hh,
                                            bool use_relu) {
  const int64_t steps = gates.size(0), batch = gates.size(1), hidden = cs.size(2);
  auto grad_gates = torch::empty_like(gates);
  auto grad_bias_c = torch::zeros({hidden}, gates.options());
  auto dh = grad_out[steps - 1] + grad_hn;  // all the gradient on h at t
  auto carried = torch::empty({batch, hidden}, gates.options());
  const auto grad_gates_at = grad_gates.unbind(0);
  AT_DISPATCH_FLOATING_TYPES(gates.scalar_type(), "article_backward", [&] {
    with_activation(use_relu, [&](auto relu) {
      const scalar_t* const g_base = gates.data_ptr<scalar_t>();
      const scalar_t* const c_base = cs.data_ptr<scalar_t>();
      const scalar_t* const h_base = hs.data_ptr<scalar_t>();
      const scalar_t* const out_base = grad_out.data_ptr<scalar_t>();
      scalar_t* const d_base = grad_gates.data_ptr<scalar_t>();
      scalar_t* const d_b = grad_bias_c.data_ptr<scalar_t>();
      scalar_t* const into = carried.data_ptr<scalar_t>();
      const int64_t state_step = batch * hidden;
      for (int64_t t = steps - 1; t >= 0; --t) {
        const scalar_t* d_h = dh.data_ptr<scalar_t>();
        if (t < steps - 1) {
          for (int64_t b = 0; b < batch; ++b) {
            const int64_t k = b * hidden;
            article_carry_row(out_base + t * state_step + k, d_h + k,
                              g_base + ((t + 1) * batch + b) * 4 * hidden + hidden, into + k, hidden);
          }
          at::addmm_out(dh, carried, grad_gates_at[t + 1], w_hh);
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

}  // namespace

// Each loop lets go of Python's GIL while it runs (it touches no Python object), as torch's own ops do: the
// other sessions' page scripts and training threads go on meanwhile.
PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  const auto no_gil = py::call_guard<py::gil_scoped_release>();
  m.def("lstm_forward", &lstm_forward, "the LSTM's time loop, forward", no_gil);
  m.def("lstm_backward", &lstm_backward, "the LSTM's time loop, backward", no_gil);
  m.def("article_forward", &article_forward, "the article LSTM's time loop, forward", no_gil);
  m.def("article_backward", &article_backward, "the article LSTM's time loop, backward", no_gil);
}
