#include "suite/weights.h"
#include "suite/results.h"

#include <torch/serialize.h>

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
  if (!in) throw std::runtime_error(path + ": cannot open weights file");
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  c10::IValue iv;
  try {
    iv = torch::pickle_load(bytes);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": not a torch.save/pickle_save file (" + std::string(e.what()).substr(0, 120) +
                             ")");
  }
  if (!iv.isGenericDict()) throw std::runtime_error(path + ": expected a dict of name -> tensor");
  auto dict = iv.toGenericDict();
  torch::NoGradGuard ng;
  size_t matched = 0;
  for (auto& [name, t] : state_of(m)) {
    auto it = dict.find(c10::IValue(name));
    if (it == dict.end()) throw std::runtime_error(path + ": missing key '" + name + "'");
    if (!it->value().isTensor()) throw std::runtime_error(path + ": key '" + name + "' is not a tensor");
    auto src = it->value().toTensor();
    if (src.sizes() != t.sizes()) {
      std::ostringstream s;
      s << path << ": key '" << name << "' has shape " << src.sizes() << ", model expects " << t.sizes();
      throw std::runtime_error(s.str());
    }
    t.copy_(src.to(t.device(), t.scalar_type()));
    ++matched;
  }
  if (matched != dict.size()) {
    for (const auto& kv : dict) {
      const auto k = kv.key().toStringRef();
      bool found = false;
      for (const auto& [name, t] : state_of(m)) found = found || name == k;
      if (!found) throw std::runtime_error(path + ": unexpected key '" + k + "' (not in the model)");
    }
  }
}

}  // namespace nrs
