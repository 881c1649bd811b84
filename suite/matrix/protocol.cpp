#include "suite/matrix/protocol.h"
#include "datasets/locate.h"
#include "datasets/registry.h"
#include "datasets/sha256.h"
#include "models/registry.h"
#include "suite/core/errors.h"
#include "suite/io/results.h"
#include "suite/run/run_options.h"

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace nrs::matrix {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string sha256_of(const std::string& text) {
  data::Sha256 h;
  h.update(text.data(), text.size());
  return h.hex_digest();
}

void merge_into(json& dst, const json& src) {
  for (const auto& [k, v] : src.items()) dst[k] = v;
}

// What a level of the file may hold; anything else is a typo worth an error.
void check_keys(const json& node, const std::set<std::string>& allowed, const std::string& where) {
  if (!node.is_object()) throw std::invalid_argument(where + ": expected an object");
  for (const auto& [k, v] : node.items())
    if (!allowed.count(k)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      throw std::invalid_argument(where + ": unknown key \"" + k + "\" (expected " + list + ")");
    }
}

struct Entry {
  std::string label;  // from "label" or the grid values
  json flags;
};

// At most this many cells per protocol (the largest shipped, paper-cifar, has
// 102). Grids and axes multiply: without a bound a 500-byte file asking for
// 10^5 cells kept nrsbench resolving them for minutes; refusing while
// expanding keeps a hostile or mistyped protocol cheap.
constexpr size_t kMaxCells = 1000;

void check_cell_count(size_t n, const std::string& where) {
  if (n > kMaxCells)
    throw InputError(where + ": expands to more than " + std::to_string(kMaxCells) +
                     " cells (grids and axes multiply); split it into several protocols");
}

// "nrs-radius": 0.1 -> "radius0.1": labels already say which method.
std::string grid_suffix(const std::string& key, const json& v) {
  const std::string k = key.rfind("nrs-", 0) == 0 ? key.substr(4) : key;
  return k + (v.is_string() ? v.get<std::string>() : v.dump());
}

// An axis entry: a name (shorthand for {axis_flag: name}) or an object of
// flags with optional "label" and "grid" (flag -> list of values).
std::vector<Entry> expand_entry(const json& e, const std::string& axis_flag, const std::string& where) {
  json flags;
  std::string label;
  if (e.is_string()) {
    flags = {{axis_flag, e}};
  } else if (e.is_object()) {
    flags = e;
    if (flags.contains("label")) {
      if (!flags["label"].is_string()) throw std::invalid_argument(where + ": \"label\" must be a string");
      label = flags["label"].get<std::string>();
      flags.erase("label");
    }
  } else {
    throw std::invalid_argument(where + ": expected a name or an object of run flags");
  }
  json grid = json::object();
  if (flags.contains("grid")) {
    grid = flags["grid"];
    flags.erase("grid");
    if (!grid.is_object()) throw std::invalid_argument(where + ": \"grid\" must map flags to lists of values");
  }
  if (!flags.contains(axis_flag) || !flags[axis_flag].is_string())
    throw std::invalid_argument(where + ": entry needs \"" + axis_flag + "\" (a string)");
  if (label.empty()) label = flags[axis_flag].get<std::string>();
  std::vector<Entry> out{{label, flags}};
  for (const auto& [k, values] : grid.items()) {
    if (!values.is_array() || values.empty())
      throw std::invalid_argument(where + ": grid \"" + k + "\" must be a non-empty list");
    check_cell_count(out.size() * values.size(), where);
    std::vector<Entry> next;
    for (const auto& e0 : out)
      for (const auto& v : values) {
        Entry e1 = e0;
        e1.flags[k] = v;
        // Two appends, not "-" + suffix: GCC 12 in C++20 mode warns falsely
        // (-Wrestrict) on the temporary's insert.
        e1.label += '-';
        e1.label += grid_suffix(k, v);
        next.push_back(e1);
      }
    out = std::move(next);
  }
  return out;
}

struct Scope {
  json defaults = json::object();
  json datasets, models, optimizers;
  json overrides = json::array();
  std::string group;
};

bool matches(const json& when, const json& flags, const std::string& label, const std::string& group) {
  for (const auto& [k, v] : when.items()) {
    if (k == "label") {
      if (v != label) return false;
    } else if (k == "group") {
      if (v != group) return false;
    } else if (!flags.contains(k) || flags[k] != v) {
      return false;
    }
  }
  return true;
}

void expand(const json& node, Scope scope, const std::string& where, std::vector<Cell>& cells, bool top) {
  static const std::set<std::string> top_keys = {"name",     "description", "seeds",      "defaults",
                                                 "datasets", "models",      "optimizers", "overrides",
                                                 "groups",   "notes",       "budget"};
  static const std::set<std::string> group_keys = {"label",      "description", "defaults", "datasets", "models",
                                                   "optimizers", "overrides",   "groups",   "notes"};
  check_keys(node, top ? top_keys : group_keys, where);
  if (node.contains("defaults")) {
    if (!node["defaults"].is_object())
      throw std::invalid_argument(where + ": \"defaults\" must be an object of run flags");
    merge_into(scope.defaults, node["defaults"]);
  }
  for (const char* axis : {"datasets", "models", "optimizers"}) {
    if (!node.contains(axis)) continue;
    if (!node[axis].is_array() || node[axis].empty())
      throw std::invalid_argument(where + ": \"" + axis + "\" must be a non-empty list");
    (std::string(axis) == "datasets" ? scope.datasets
     : std::string(axis) == "models" ? scope.models
                                     : scope.optimizers) = node[axis];
  }
  if (node.contains("overrides")) {
    if (!node["overrides"].is_array()) throw std::invalid_argument(where + ": \"overrides\" must be a list");
    for (const auto& o : node["overrides"]) {
      check_keys(o, {"when", "set"}, where + ": override");
      if (!o.contains("when") || !o["when"].is_object() || !o.contains("set") || !o["set"].is_object())
        throw std::invalid_argument(where + ": an override needs \"when\" and \"set\" objects");
      scope.overrides.push_back(o);
    }
  }
  if (!top && node.contains("label")) {
    if (!node["label"].is_string()) throw std::invalid_argument(where + ": group \"label\" must be a string");
    scope.group =
        scope.group.empty() ? node["label"].get<std::string>() : scope.group + "/" + node["label"].get<std::string>();
  }
  if (node.contains("groups")) {
    if (!node["groups"].is_array() || node["groups"].empty())
      throw std::invalid_argument(where + ": \"groups\" must be a non-empty list");
    for (size_t g = 0; g < node["groups"].size(); ++g)
      expand(node["groups"][g], scope, where + ": groups[" + std::to_string(g) + "]", cells, false);
    return;
  }
  if (scope.models.is_null() || scope.optimizers.is_null())
    throw std::invalid_argument(where + ": no \"models\" or \"optimizers\" list");
  json datasets = scope.datasets.is_null() ? json::array({json::object()}) : scope.datasets;
  for (size_t d = 0; d < datasets.size(); ++d) {
    // Without a datasets axis the dataset comes from the defaults.
    std::vector<Entry> ds = datasets[d].empty()
                                ? std::vector<Entry>{{"", json::object()}}
                                : expand_entry(datasets[d], "dataset", where + ": datasets[" + std::to_string(d) + "]");
    for (size_t m = 0; m < scope.models.size(); ++m) {
      auto ms = expand_entry(scope.models[m], "model", where + ": models[" + std::to_string(m) + "]");
      for (size_t o = 0; o < scope.optimizers.size(); ++o) {
        auto os = expand_entry(scope.optimizers[o], "optimizer", where + ": optimizers[" + std::to_string(o) + "]");
        for (const auto& de : ds)
          for (const auto& me : ms)
            for (const auto& oe : os) {
              json flags = scope.defaults;
              merge_into(flags, de.flags);
              merge_into(flags, me.flags);
              merge_into(flags, oe.flags);
              for (const auto& ov : scope.overrides)
                if (matches(ov["when"], flags, oe.label, scope.group)) merge_into(flags, ov["set"]);
              if (flags.contains("seed"))
                throw std::invalid_argument(where +
                                            ": \"seed\" belongs in the protocol's \"seeds\" list, not in run flags");
              for (const char* k : {"checkpoint", "save-weights", "out"})
                if (flags.contains(k))
                  throw std::invalid_argument(
                      where + ": \"" + k +
                      "\" is a path per cell-seed, which the matrix runner chooses; not a protocol flag");
              check_cell_count(cells.size() + 1, where);
              Cell c;
              c.label = oe.label;
              c.group = scope.group;
              c.flags = flags;
              cells.push_back(std::move(c));
            }
      }
    }
  }
}

void resolve(Cell& c, const std::string& where) {
  const std::string at = where + ": cell " + (c.group.empty() ? "" : c.group + "/") + c.label;
  for (const auto& part : {c.label, c.group})
    for (char ch : part)
      if (!std::isalnum(static_cast<unsigned char>(ch)) && !std::strchr("._+-=/", ch))
        throw std::invalid_argument(at + ": labels may hold letters, digits and . _ + - = only");
  c.config = config_from_flags(c.flags, at);
  try {
    c.config.validate(/*check_device=*/false);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(at + ": " + e.what());
  }
  if (!models::has_model(c.config.model))
    throw std::invalid_argument(at + ": --model '" + c.config.model + "': unknown (nrsbench list)");
  if (!data::has_dataset(c.config.dataset))
    throw std::invalid_argument(at + ": --dataset '" + c.config.dataset + "': unknown (nrsbench list)");
  c.name = c.config.dataset + "/" + c.config.model + "/" + (c.group.empty() ? "" : c.group + "/") + c.label;
  c.id = cell_id(c.config);
}

}  // namespace

Protocol parse_protocol(const json& j, const std::string& where) {
  if (!j.is_object()) throw std::invalid_argument(where + ": expected a JSON object");
  Protocol p;
  if (!j.contains("name") || !j["name"].is_string() || j["name"].get<std::string>().empty())
    throw std::invalid_argument(where + ": needs a \"name\" string");
  p.name = j["name"].get<std::string>();
  if (j.contains("description") && !j["description"].is_string())
    throw InputError(where + ": \"description\" must be a string");
  p.description = j.value("description", "");
  if (!j.contains("seeds") || !j["seeds"].is_array() || j["seeds"].empty())
    throw std::invalid_argument(where + ": needs a non-empty \"seeds\" list");
  for (const auto& s : j["seeds"]) {
    if (!s.is_number_unsigned()) throw std::invalid_argument(where + ": \"seeds\" must hold integers >= 0");
    p.seeds.push_back(s.get<uint64_t>());
  }
  if (std::set<uint64_t>(p.seeds.begin(), p.seeds.end()).size() != p.seeds.size())
    throw std::invalid_argument(where + ": \"seeds\" has duplicates");
  expand(j, Scope{}, where, p.cells, true);
  std::set<std::string> names;
  for (auto& c : p.cells) {
    resolve(c, where);
    if (!names.insert(c.name).second)
      throw std::invalid_argument(where + ": two cells are named " + c.name +
                                  " (give optimizer entries or groups distinct labels)");
  }
  p.sha256 = sha256_of(j.dump());
  return p;
}

Protocol load_protocol(const std::string& path) {
  json j;
  try {
    j = read_json_file(path);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("--protocol: ") + e.what());
  }
  // The checks above name each entry; a JSON type error they did not foresee
  // still names the file (exit 2), not escaping as an internal error.
  Protocol p;
  try {
    p = parse_protocol(j, path);
  } catch (const json::exception& e) {
    throw InputError(path + ": a value of an unexpected type (" + std::string(e.what()) + ")");
  }
  p.path = path;
  return p;
}

std::string find_protocol(const std::string& name_or_path) {
  if (fs::is_regular_file(name_or_path)) return name_or_path;
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("NRSBENCH_PROTOCOLS")) dirs.push_back(env);
  dirs.push_back("suite/protocols");
  for (const char* rel : {"share/nrsbench/protocols", "suite/protocols"})
    if (const auto d = data::find_beside_executable(rel); !d.empty()) {
      dirs.push_back(d);
      break;
    }
  for (const auto& d : dirs) {
    const auto f = fs::path(d) / (name_or_path + ".json");
    if (fs::is_regular_file(f)) return f.string();
  }
  std::string tried;
  for (const auto& d : dirs) tried += (tried.empty() ? "" : ", ") + d;
  throw std::invalid_argument("--protocol '" + name_or_path + "': no such file, and no " + name_or_path + ".json in " +
                              tried);
}

void apply_flags(Protocol& p, const json& flags) {
  if (flags.empty()) return;
  for (auto& c : p.cells) {
    merge_into(c.flags, flags);
    resolve(c, p.path.empty() ? p.name : p.path);
  }
}

void select_cells(Protocol& p, const std::string& regex) {
  std::regex re;
  try {
    re = std::regex(regex);
  } catch (const std::regex_error& e) {
    throw std::invalid_argument("--cells '" + regex + "': not a regular expression (" + e.what() + ")");
  }
  std::vector<Cell> kept;
  for (auto& c : p.cells)
    if (std::regex_search(c.name, re)) kept.push_back(std::move(c));
  if (kept.empty()) throw std::invalid_argument("--cells '" + regex + "': matches no cell of protocol " + p.name);
  p.cells = std::move(kept);
}

std::vector<WorkItem> work_items(const Protocol& p) {
  std::vector<WorkItem> items;
  for (size_t c = 0; c < p.cells.size(); ++c)
    for (uint64_t s : p.seeds) items.push_back({c, s, items.size()});
  return items;
}

std::vector<WorkItem> select_shard(const std::vector<WorkItem>& items, const Shard& s) {
  std::vector<WorkItem> out;
  for (const auto& it : items)
    if (static_cast<int>(it.index % static_cast<size_t>(s.count)) == s.index) out.push_back(it);
  return out;
}

Shard parse_shard(const std::string& text) {
  Shard s;
  char slash = 0;
  std::istringstream in(text);
  if (!(in >> s.index >> slash >> s.count) || slash != '/' || !in.eof() || s.count < 1 || s.index < 0 ||
      s.index >= s.count)
    throw std::invalid_argument("--shard '" + text + "': expected i/n with 0 <= i < n (e.g. 0/4)");
  return s;
}

std::string result_path(const std::string& out_dir, const Cell& c, uint64_t seed) {
  return (fs::path(out_dir) / (c.name + "-s" + std::to_string(seed) + ".json")).string();
}

}  // namespace nrs::matrix
