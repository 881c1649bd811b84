#include "suite/weights.h"
#include "suite/errors.h"
#include "suite/results.h"

#include <torch/serialize.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace nrs {
namespace {

std::vector<std::pair<std::string, torch::Tensor>> state_of(const torch::nn::Module& m) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& kv : m.named_parameters()) out.emplace_back(kv.key(), kv.value());
  for (const auto& kv : m.named_buffers()) out.emplace_back(kv.key(), kv.value());
  return out;
}

}  // namespace

void save_weights(const torch::nn::Module& m, const std::string& path) {
  c10::Dict<std::string, torch::Tensor> dict;
  for (const auto& [k, v] : state_of(m)) dict.insert(k, v.detach().to(torch::kCPU).contiguous());
  const auto bytes = torch::pickle_save(c10::IValue(dict));
  write_text_atomic(path, std::string(bytes.begin(), bytes.end()));  // temp file, fsync, rename
}

void load_weights(torch::nn::Module& m, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open weights file");
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  c10::IValue iv;
  try {
    iv = torch::pickle_load(bytes);
  } catch (const std::exception& e) {
    std::string why = e.what();
    throw InputError(path + ": not a torch.save/pickle_save file (" +
                     why.substr(0, std::min(why.find('\n'), size_t{120})) + ")");
  }
  if (!iv.isGenericDict()) throw InputError(path + ": expected a dict of name -> tensor");
  auto dict = iv.toGenericDict();
  torch::NoGradGuard ng;
  size_t matched = 0;
  for (auto& [name, t] : state_of(m)) {
    auto it = dict.find(c10::IValue(name));
    if (it == dict.end()) throw InputError(path + ": missing key '" + name + "' (weights of another model?)");
    if (!it->value().isTensor()) throw InputError(path + ": key '" + name + "' is not a tensor");
    auto src = it->value().toTensor();
    if (src.sizes() != t.sizes()) {
      std::ostringstream s;
      s << path << ": key '" << name << "' has shape " << src.sizes() << ", model expects " << t.sizes();
      throw InputError(s.str());
    }
    // A float parameter from an integer or boolean tensor (or the reverse, a
    // counter such as BN's num_batches_tracked from floats) is another file's
    // data, not a precision change: refuse instead of converting silently.
    if (src.is_floating_point() != t.is_floating_point() || src.is_complex() || src.scalar_type() == torch::kBool) {
      std::ostringstream s;
      s << path << ": key '" << name << "' has dtype " << src.scalar_type() << ", model expects " << t.scalar_type();
      throw InputError(s.str());
    }
    if (src.is_floating_point() && !torch::isfinite(src).all().item<bool>())
      throw InputError(path + ": key '" + name + "' holds NaN or infinite values");
    t.copy_(src.to(t.device(), t.scalar_type()));
    ++matched;
  }
  if (matched != dict.size()) {
    for (const auto& kv : dict) {
      if (!kv.key().isString()) throw InputError(path + ": a key is not a string (expected parameter names)");
      const auto k = kv.key().toStringRef();
      bool found = false;
      for (const auto& [name, t] : state_of(m)) found = found || name == k;
      if (!found) throw InputError(path + ": unexpected key '" + k + "' (not in the model; weights of another model?)");
    }
  }
}

}  // namespace nrs
