// The explicit LSTM and article LSTM layers' time loops in C++ (rnncore/nn/native.py builds and loads this;
// rnncore/nn/cells.py's _NativeLayer calls it). The same equations as cells.py's Python loops; each step does
// one addmm for the recurrent product and then ONE loop over batch x hidden for all of its element-wise work,
// where torch's Python API takes six to ten small ops (each a dispatch and a Python call). The products over
// the whole sequence (the weights' gradients, the input's) stay in cells.py, as one matmul each.
//
// Time first, contiguous: xw (T, B, 4H) is x W_ih^T + b for every step (the LSTM's rows i, f, g, o; the article
// LSTM's i, f, c, o, with no bias in its c rows); h0, c0 (B, H); w_hh_t (H, 4H) = W_hh^T; w_hh (4H, H).
#include <torch/extension.h>

#include <cmath>
#include <vector>

namespace {

template <typename T> inline T sigmoid(T x) { return T(1) / (T(1) + std::exp(-x)); }
// tanh through one exp, as the sigmoids: std::tanh measured slower here
template <typename T> inline T act(T x, bool relu) {
  return relu ? (x > 0 ? x : T(0)) : T(1) - T(2) / (std::exp(T(2) * x) + T(1));
}
// the activation's slope, from its output y = act(x): relu 1 where positive, tanh 1 - y^2
template <typename T> inline T slope(T y, bool relu) { return relu ? T(y > 0) : T(1) - y * y; }

// Calls unit(r, j, k) for every batch row b and unit j, with r = b * 4H (where that row's gates start) and
// k = b * H + j (that unit's place in a (B, H) state).
template <typename Unit> inline void each_unit(int64_t batch, int64_t hidden, Unit unit) {
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t j = 0; j < hidden; ++j) unit(b * 4 * hidden, j, b * hidden + j);
  }
}

// The forward time loop both cells share. Each step computes the gates' pre-activations xw[t] + h W_hh^T into
// the gate buffer, then calls unit(row, j, h_prev, c_prev, c_new, h_new) for every batch row and unit j: it turns
// row (that batch row's 4H pre-activations) into what the backward keeps, and writes the new c and h.
// Returns h (T, B, H), c (T, B, H) and the gates (T, B, 4H).
template <typename scalar_t, typename Unit>
std::vector<torch::Tensor> forward_loop(torch::Tensor xw, torch::Tensor h0, torch::Tensor c0, torch::Tensor w_hh_t,
                                        Unit unit) {
  const int64_t steps = xw.size(0), batch = xw.size(1), hidden = h0.size(1);
  auto hs = torch::empty({steps, batch, hidden}, xw.options());
  auto cs = torch::empty({steps, batch, hidden}, xw.options());
  auto gates = torch::empty({steps, batch, 4 * hidden}, xw.options());
  torch::Tensor h = h0, c = c0;
  for (int64_t t = 0; t < steps; ++t) {
    auto kept = gates[t];
    at::addmm_out(kept, xw[t], h, w_hh_t);
    scalar_t* g_all = kept.data_ptr<scalar_t>();
    const scalar_t* h_prev = h.data_ptr<scalar_t>();
    const scalar_t* c_prev = c.data_ptr<scalar_t>();
    scalar_t* c_new = cs[t].data_ptr<scalar_t>();
    scalar_t* h_new = hs[t].data_ptr<scalar_t>();
    each_unit(batch, hidden, [&](int64_t r, int64_t j, int64_t k) {
      unit(g_all + r, j, h_prev[k], c_prev[k], c_new[k], h_new[k]);
    });
    h = hs[t], c = cs[t];
  }
  return {hs, cs, gates};
}

// LSTM: i, f, o = sigmoid; g = act; c' = f c + i g; h' = o act(c'). The gates kept: i, f, g, o.
std::vector<torch::Tensor> lstm_forward(torch::Tensor xw, torch::Tensor h0, torch::Tensor c0, torch::Tensor w_hh_t,
                                        bool relu) {
  const int64_t hidden = h0.size(1);
  std::vector<torch::Tensor> out;
  AT_DISPATCH_FLOATING_TYPES(xw.scalar_type(), "lstm_forward", [&] {
    out = forward_loop<scalar_t>(xw, h0, c0, w_hh_t, [&](scalar_t* row, int64_t j, scalar_t, scalar_t c_prev,
                                                         scalar_t& c_new, scalar_t& h_new) {
      const scalar_t i = sigmoid(row[j]), f = sigmoid(row[hidden + j]);
      const scalar_t g = act(row[2 * hidden + j], relu), o = sigmoid(row[3 * hidden + j]);
      row[j] = i, row[hidden + j] = f, row[2 * hidden + j] = g, row[3 * hidden + j] = o;
      c_new = f * c_prev + i * g;
      h_new = o * act(c_new, relu);
    });
  });
  return out;
}

// The gradients on the LSTM's gate pre-activations (T, B, 4H) and on c0, from those on every output h, on the
// last h and on the last c.
std::vector<torch::Tensor> lstm_backward(torch::Tensor grad_out, torch::Tensor grad_hn, torch::Tensor grad_cn,
                                         torch::Tensor gates, torch::Tensor cs, torch::Tensor c0, torch::Tensor w_hh,
                                         bool relu) {
  const int64_t steps = gates.size(0), batch = gates.size(1), hidden = cs.size(2);
  auto grad_gates = torch::empty_like(gates);
  auto dc = grad_cn.clone();
  auto dh = torch::empty({batch, hidden}, gates.options());
  AT_DISPATCH_FLOATING_TYPES(gates.scalar_type(), "lstm_backward", [&] {
    for (int64_t t = steps - 1; t >= 0; --t) {
      if (t == steps - 1) {
        at::add_out(dh, grad_out[t], grad_hn);
      } else {
        at::addmm_out(dh, grad_out[t], grad_gates[t + 1], w_hh);
      }
      const scalar_t* row_all = gates[t].data_ptr<scalar_t>();
      const scalar_t* c_now = cs[t].data_ptr<scalar_t>();
      const scalar_t* c_prev = (t > 0 ? cs[t - 1] : c0).data_ptr<scalar_t>();
      const scalar_t* d_h = dh.data_ptr<scalar_t>();
      scalar_t* d_c = dc.data_ptr<scalar_t>();
      scalar_t* d_all = grad_gates[t].data_ptr<scalar_t>();
      each_unit(batch, hidden, [&](int64_t r, int64_t j, int64_t k) {
        const scalar_t* row = row_all + r;
        scalar_t* d = d_all + r;
        const scalar_t i = row[j], f = row[hidden + j], g = row[2 * hidden + j], o = row[3 * hidden + j];
        const scalar_t act_c = act(c_now[k], relu);
        const scalar_t d_cell = d_c[k] + d_h[k] * o * slope(act_c, relu);  // all the gradient on c at t
        d[j] = d_cell * g * i * (1 - i);
        d[hidden + j] = d_cell * c_prev[k] * f * (1 - f);
        d[2 * hidden + j] = d_cell * i * slope(g, relu);
        d[3 * hidden + j] = d_h[k] * act_c * o * (1 - o);
        d_c[k] = d_cell * f;
      });
    }
  });
  return {grad_gates, dc};
}

// Article LSTM: i, f, o = sigmoid; c = act(u o + b_c) with u = W_c x + U_c h; h' = f h + i c. The gates kept:
// i, f, u, o (u before the product with o); the c returned is the candidate c.
std::vector<torch::Tensor> article_forward(torch::Tensor xw, torch::Tensor h0, torch::Tensor w_hh_t,
                                           torch::Tensor bias_c, bool relu) {
  const int64_t hidden = h0.size(1);
  std::vector<torch::Tensor> out;
  AT_DISPATCH_FLOATING_TYPES(xw.scalar_type(), "article_forward", [&] {
    const scalar_t* b_c = bias_c.data_ptr<scalar_t>();
    out = forward_loop<scalar_t>(xw, h0, h0, w_hh_t, [&](scalar_t* row, int64_t j, scalar_t h_prev, scalar_t,
                                                         scalar_t& c_new, scalar_t& h_new) {
      const scalar_t i = sigmoid(row[j]), f = sigmoid(row[hidden + j]), o = sigmoid(row[3 * hidden + j]);
      row[j] = i, row[hidden + j] = f, row[3 * hidden + j] = o;  // row[2 hidden + j] keeps u
      c_new = act(row[2 * hidden + j] * o + b_c[j], relu);
      h_new = f * h_prev + i * c_new;
    });
  });
  return out;
}

// The gradients on the article LSTM's gate pre-activations (T, B, 4H), on b_c (H) and on h0.
std::vector<torch::Tensor> article_backward(torch::Tensor grad_out, torch::Tensor grad_hn, torch::Tensor gates,
                                            torch::Tensor cs, torch::Tensor hs, torch::Tensor h0, torch::Tensor w_hh,
                                            bool relu) {
  const int64_t steps = gates.size(0), batch = gates.size(1), hidden = cs.size(2);
  auto grad_gates = torch::empty_like(gates);
  auto grad_bias_c = torch::zeros({hidden}, gates.options());
  auto dh = grad_out[steps - 1] + grad_hn;  // all the gradient on h at t
  auto carried = torch::empty({batch, hidden}, gates.options());
  AT_DISPATCH_FLOATING_TYPES(gates.scalar_type(), "article_backward", [&] {
    scalar_t* d_b = grad_bias_c.data_ptr<scalar_t>();
    for (int64_t t = steps - 1; t >= 0; --t) {
      if (t < steps - 1) {  // h' = f h + i c: the gradient flows straight through f, and through the gates
        const scalar_t* f_next = gates[t + 1].data_ptr<scalar_t>();
        const scalar_t* g_out = grad_out[t].data_ptr<scalar_t>();
        const scalar_t* d_h = dh.data_ptr<scalar_t>();
        scalar_t* into = carried.data_ptr<scalar_t>();
        each_unit(batch, hidden, [&](int64_t r, int64_t j, int64_t k) {
          into[k] = g_out[k] + d_h[k] * f_next[r + hidden + j];
        });
        at::addmm_out(dh, carried, grad_gates[t + 1], w_hh);
      }
      const scalar_t* row_all = gates[t].data_ptr<scalar_t>();
      const scalar_t* c_now = cs[t].data_ptr<scalar_t>();
      const scalar_t* h_prev = (t > 0 ? hs[t - 1] : h0).data_ptr<scalar_t>();
      const scalar_t* d_h = dh.data_ptr<scalar_t>();
      scalar_t* d_all = grad_gates[t].data_ptr<scalar_t>();
      each_unit(batch, hidden, [&](int64_t r, int64_t j, int64_t k) {
        const scalar_t* row = row_all + r;
        scalar_t* d = d_all + r;
        const scalar_t i = row[j], f = row[hidden + j], u = row[2 * hidden + j], o = row[3 * hidden + j];
        const scalar_t cand = c_now[k];
        const scalar_t d_pre = d_h[k] * i * slope(cand, relu);  // on u o + b_c
        d[j] = d_h[k] * cand * i * (1 - i);
        d[hidden + j] = d_h[k] * h_prev[k] * f * (1 - f);
        d[2 * hidden + j] = d_pre * o;
        d[3 * hidden + j] = d_pre * u * o * (1 - o);
        d_b[j] += d_pre;
      });
    }
  });
  auto f0 = gates[0].narrow(1, hidden, hidden);
  auto grad_h0 = at::addmm(dh * f0, grad_gates[0], w_hh);
  return {grad_gates, grad_bias_c, grad_h0};
}

}  // namespace

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("lstm_forward", &lstm_forward, "the LSTM's time loop, forward");
  m.def("lstm_backward", &lstm_backward, "the LSTM's time loop, backward");
  m.def("article_forward", &article_forward, "the article LSTM's time loop, forward");
  m.def("article_backward", &article_backward, "the article LSTM's time loop, backward");
}
