#include "suite/io/weights.h"
#include "suite/core/errors.h"
#include "suite/io/pickle_bounds.h"
#include "suite/io/results.h"
#include "suite/io/zip_bounds.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/import_read.h>
#include <torch/csrc/jit/serialization/storage_context.h>
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

// torch::pickle_load, except that each tensor's storage is the record the
// file holds, at its real length. LibTorch (1.13) sizes a storage by the
// element count the pickle declares and points it at the record whatever the
// record's length, so a short record would be read past its end (found by
// fuzzing). Storages given through the deserialization context are used as
// they are, so within_storage() below sees the true length.
c10::IValue unpickle(const std::vector<char>& bytes) {
  if (const auto overrun = zip_entry_overrun(bytes.data(), bytes.size()))
    throw InputError(*overrun + ", more than a file of " + std::to_string(bytes.size()) + " bytes can hold");
  std::istringstream in(std::string(bytes.begin(), bytes.end()));
  caffe2::serialize::PyTorchStreamReader reader(&in);
  if (reader.hasRecord("data.pkl")) {
    const auto pkl = reader.getRecord("data.pkl");
    if (const auto overrun = pickle_length_overrun(static_cast<const char*>(std::get<0>(pkl).get()), std::get<1>(pkl)))
      throw InputError("data.pkl: " + *overrun);
  }
  auto storages = std::make_shared<torch::jit::DeserializationStorageContext>();
  const std::string dir = "data/";  // pickle_load's archive: data.pkl and data/<storage key>
  for (const auto& name : reader.getAllRecords()) {
    if (name.rfind(dir, 0) != 0) continue;
    auto record = reader.getRecord(name);
    storages->addStorage(name.substr(dir.size()),
                         c10::Storage(c10::Storage::use_byte_size_t(), std::get<1>(record),
                                      std::move(std::get<0>(record)), /*allocator=*/nullptr, /*resizable=*/false));
  }
  return torch::jit::readArchiveAndTensors("data", /*pickle_prefix=*/"", /*tensor_prefix=*/"", {}, {}, {}, reader,
                                           torch::jit::Unpickler::defaultTypeParser, storages);
}

// Whether every element `t` addresses lies inside its storage. LibTorch's
// unpickler (1.13) takes a tensor's sizes, strides and offset from the file
// without checking them against the storage record it read, so a corrupt
// file could make the first read of the tensor go far outside it (found by
// fuzzing: a SEGV). Overflow-checked: the numbers are the file's.
bool within_storage(const torch::Tensor& t) {
  if (t.numel() == 0) return true;
  if (!t.has_storage() || t.storage_offset() < 0) return false;
  int64_t last = t.storage_offset();  // index of the last element addressed
  for (int64_t d = 0; d < t.dim(); ++d) {
    int64_t span = 0;
    if (t.stride(d) < 0 || __builtin_mul_overflow(t.size(d) - 1, t.stride(d), &span) ||
        __builtin_add_overflow(last, span, &last))
      return false;
  }
  int64_t bytes = 0;
  if (__builtin_mul_overflow(last + 1, static_cast<int64_t>(t.element_size()), &bytes)) return false;
  return static_cast<uint64_t>(bytes) <= t.storage().nbytes();
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
  if (const auto damage = zip_damage(bytes.data(), bytes.size()))
    throw InputError(path + ": not a torch.save/pickle_save file, or a damaged one (" + *damage + ")");
  c10::IValue iv;
  try {
    iv = unpickle(bytes);
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
    if (!within_storage(src))
      throw InputError(path + ": key '" + name + "' addresses bytes outside its stored data (corrupt file)");
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
