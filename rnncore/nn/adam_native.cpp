// A training step's update in C++ (rnncore/nn/native.py builds it with lstm_native.cpp; rnncore/training/update.py's
// NativeAdam calls it): each gradient's norm, the refusal of a step whose gradient is not finite, clipping to a
// largest norm, and Adam's or AdamW's update, in one call. Through torch these took about ten small ops and
// torch.optim's Python around its own fused kernel: 320 us of a 1.7 ms step of the article's recipe, for 11 k
// parameters (docs/PERFORMANCE.md, issue 17).
//
// The same arithmetic as torch.optim.Adam(fused=True) (aten/src/ATen/native/cpu/FusedAdamKernel.cpp) and
// torch.nn.utils.clip_grads_with_norm_, in the parameters' own type; tests/test_update.py checks every step
// against them.
#include <torch/extension.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <vector>

namespace {

template <typename T>
double squares(const T* g, int64_t n) {
  double sum = 0;
  for (int64_t k = 0; k < n; ++k) sum += static_cast<double>(g[k]) * g[k];
  return sum;
}

// One parameter's update from its gradient g, scaled by `scale` (clipping) in place first as torch does.
template <typename T>
void adam_one(T* __restrict__ p, T* __restrict__ g, T* __restrict__ m, T* __restrict__ v, int64_t n, T scale,
              double lr, double beta1, double beta2, double eps, double weight_decay, bool decoupled, int64_t step) {
  const double bias1 = 1 - std::pow(beta1, static_cast<double>(step));
  const double bias2 = 1 - std::pow(beta2, static_cast<double>(step));
  const T step_size = static_cast<T>(lr / bias1), bias2_sqrt = static_cast<T>(std::sqrt(bias2));
  const T b1 = static_cast<T>(1 - beta1), b2 = static_cast<T>(beta2), rest2 = static_cast<T>(1 - beta2);
  const T decay = static_cast<T>(weight_decay), shrink = static_cast<T>(1 - lr * weight_decay);
  const T epsilon = static_cast<T>(eps);
  for (int64_t k = 0; k < n; ++k) {
    T grad = g[k] * scale;
    g[k] = grad;
    if (decoupled) {
      p[k] *= shrink;  // AdamW: the weights decay apart from the gradient
    } else {
      grad += decay * p[k];  // Adam: L2, added to the gradient
    }
    const T mean = m[k] + b1 * (grad - m[k]);  // torch's exp_avg.lerp_(grad, 1 - beta1)
    const T second = b2 * v[k] + rest2 * grad * grad;
    m[k] = mean, v[k] = second;
    p[k] -= step_size * mean / (std::sqrt(second) / bias2_sqrt + epsilon);
  }
}

// Returns each layer's gradient norm (owners[i]: the layer of parameter i, -1 for none) and then the total, in
// float32. Parameters without a gradient are left alone. When the total is not finite nothing is changed: the
// caller stops the run with the weights as they were. steps[i]: parameter i's step count, this step included.
torch::Tensor adam_step(const std::vector<torch::Tensor>& params, const std::vector<std::optional<torch::Tensor>>& grads,
                        const std::vector<torch::Tensor>& exp_avgs, const std::vector<torch::Tensor>& exp_avg_sqs,
                        const std::vector<int64_t>& steps, const std::vector<int64_t>& owners, int64_t layers,
                        double lr, double beta1, double beta2, double eps, double weight_decay, bool decoupled,
                        double clip_norm) {
  const size_t count = params.size();
  TORCH_CHECK(grads.size() == count && exp_avgs.size() == count && exp_avg_sqs.size() == count &&
                  steps.size() == count && owners.size() == count,
              "adam_step needs one gradient, state, step and owner per parameter");
  std::vector<double> per_layer(layers + 1, 0.0);
  for (size_t i = 0; i < count; ++i) {
    if (!grads[i]) continue;
    const auto& g = *grads[i];
    const auto& p = params[i];
    TORCH_CHECK(p.device().is_cpu() && g.device().is_cpu(), "adam_step runs on the CPU");
    TORCH_CHECK(g.scalar_type() == p.scalar_type() && exp_avgs[i].scalar_type() == p.scalar_type() &&
                    exp_avg_sqs[i].scalar_type() == p.scalar_type(),
                "a parameter, its gradient and its state must have one dtype");
    TORCH_CHECK(p.is_contiguous() && g.is_contiguous() && exp_avgs[i].is_contiguous() &&
                    exp_avg_sqs[i].is_contiguous() && g.numel() == p.numel(),
                "adam_step needs contiguous parameters, gradients and states of one size");
    double sum = 0;
    AT_DISPATCH_FLOATING_TYPES(g.scalar_type(), "adam_step_norm",
                               [&] { sum = squares(g.data_ptr<scalar_t>(), g.numel()); });
    per_layer[layers] += sum;
    if (owners[i] >= 0 && owners[i] < layers) per_layer[owners[i]] += sum;
  }
  auto norms = torch::empty({layers + 1}, torch::kFloat32);
  for (int64_t k = 0; k <= layers; ++k) norms[k] = static_cast<float>(std::sqrt(per_layer[k]));
  const double total = std::sqrt(per_layer[layers]);
  if (!std::isfinite(total)) return norms;
  // torch.nn.utils.clip_grads_with_norm_: scale by max_norm / (total + 1e-6), at most 1
  const double scale = clip_norm > 0 ? std::min(1.0, clip_norm / (total + 1e-6)) : 1.0;
  for (size_t i = 0; i < count; ++i) {
    if (!grads[i]) continue;
    AT_DISPATCH_FLOATING_TYPES(params[i].scalar_type(), "adam_step", [&] {
      adam_one(params[i].data_ptr<scalar_t>(), grads[i]->data_ptr<scalar_t>(), exp_avgs[i].data_ptr<scalar_t>(),
               exp_avg_sqs[i].data_ptr<scalar_t>(), params[i].numel(), static_cast<scalar_t>(scale), lr, beta1,
               beta2, eps, weight_decay, decoupled, steps[i]);
    });
  }
  return norms;
}

}  // namespace

void bind_update(pybind11::module_& m) {
  m.def("adam_step", &adam_step, "gradient norms, the finite check, clipping and Adam's update, in one call");
}
