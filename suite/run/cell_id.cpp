#include "suite/run/cell_id.h"
#include "datasets/sha256.h"
#include "suite/run/run.h"
#include "suite/run/run_fields.h"

namespace nrs::matrix {
using nlohmann::json;

namespace {

std::string sha12(const std::string& text) {
  data::Sha256 h;
  h.update(text.data(), text.size());
  return h.hex_digest().substr(0, 12);
}

// Members of `v` that differ from `d`; null when nothing differs.
json difference(const json& v, const json& d) {
  if (v.is_object() && d.is_object()) {
    json out = json::object();
    for (const auto& [k, x] : v.items()) {
      if (!d.contains(k)) {
        out[k] = x;  // a field the defaults do not know (removed flag): keep it
        continue;
      }
      json sub = difference(x, d.at(k));
      if (!sub.is_null()) out[k] = std::move(sub);
    }
    return out.empty() ? json(nullptr) : out;
  }
  return v == d ? json(nullptr) : v;
}

}  // namespace

const std::vector<std::string>& id_excluded_fields() {
  static const std::vector<std::string> f = run_id_excluded_keys();
  return f;
}

json canonical_config(const json& config, const json& defaults) {
  json c = config;
  json d = defaults;
  for (const auto& k : id_excluded_fields()) {
    c.erase(k);
    d.erase(k);
  }
  json diff = difference(c, d);
  return diff.is_null() ? json::object() : diff;
}

std::string config_id(const json& config, const json& defaults) {
  return sha12("nrsbench-cell-id-2:" + canonical_config(config, defaults).dump());
}

std::string config_id(const json& config) {
  static const RunConfig default_config;  // a named object: GCC 12 misreads a temporary here (-Wmaybe-uninitialized)
  static const json defaults = default_config.to_json();
  return config_id(config, defaults);
}

std::string cell_id(const RunConfig& c) { return config_id(c.to_json()); }

std::string config_id_v1(const json& config) {
  json j = config;
  for (const char* k : {"seed", "threads", "data_dir", "save_weights"}) j.erase(k);
  return sha12(j.dump());
}

}  // namespace nrs::matrix
