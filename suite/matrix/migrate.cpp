#include "suite/matrix/migrate.h"
#include "suite/io/results.h"
#include "suite/run/cell_id.h"
#include "suite/run/run_options.h"

#include <filesystem>
#include <map>

namespace nrs::matrix {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct File {
  std::string path;
  json j;
};

}  // namespace

MigrationSummary migrate_ids(const std::string& dir, bool dry_run) {
  if (!fs::is_directory(dir)) throw std::invalid_argument("--results '" + dir + "': not a directory");
  std::vector<File> results, manifests;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file() || e.path().extension() != ".json") continue;
    json j = read_json_file(e.path().string());
    if (j.is_object() && j.value("kind", "") == "nrsbench-protocol-manifest")
      manifests.push_back({e.path().string(), std::move(j)});
    else if (j.is_object() && j.contains("matrix") && j.contains("config"))
      results.push_back({e.path().string(), std::move(j)});
  }

  // Verify everything before writing anything.
  std::map<std::string, std::string> renamed;  // old id -> current id
  MigrationSummary s;
  for (auto& f : results) {
    if (check_digest(f.j) == DigestCheck::kDiffers)
      throw std::invalid_argument(f.path +
                                  ": its digest does not match its content (edited after it was written); "
                                  "nothing was migrated");
    auto& m = f.j["matrix"];
    const std::string stored = m.value("cell_id", "");
    const int scheme = m.value("cell_id_scheme", 1);
    const std::string expected = scheme == 1 ? config_id_v1(f.j["config"]) : config_id(upgrade_result(f.j)["config"]);
    if (scheme < 1 || scheme > kCellIdScheme || stored != expected)
      throw std::invalid_argument(f.path + ": matrix.cell_id " + stored +
                                  " does not follow from its config under id scheme " + std::to_string(scheme) +
                                  " (expected " + expected +
                                  "); the file was edited or comes from elsewhere; nothing was migrated");
    const std::string now = config_id(upgrade_result(f.j)["config"]);
    renamed[stored] = now;
    ++s.results;
    if (scheme != kCellIdScheme || stored != now) {
      ++s.results_changed;
      if (scheme != kCellIdScheme) m["cell_id_v" + std::to_string(scheme)] = stored;
      m["cell_id"] = now;
      m["cell_id_scheme"] = kCellIdScheme;
    }
  }
  for (auto& f : manifests) {
    ++s.manifests;
    for (auto& c : f.j["cells"]) {
      const std::string old = c.value("id", "");
      auto it = renamed.find(old);
      // A cell without results here: its id follows from its flags.
      const std::string now = it != renamed.end()
                                  ? it->second
                                  : cell_id(config_from_flags(c.at("flags"), f.path + ": cell " + c.value("name", "")));
      if (now != old) {
        c["id"] = now;
        ++s.manifest_cells_changed;
      }
    }
    f.j["cell_id_scheme"] = kCellIdScheme;
  }
  // Every result leaves with a digest of what it now holds.
  for (auto& f : results)
    if (!f.j.contains("digest") || f.j["digest"] != result_digest(f.j)) ++s.digests_stamped;
  if (!dry_run) {
    for (const auto& f : results) write_result_atomic(f.path, f.j);
    for (const auto& f : manifests) write_json_atomic(f.path, f.j);
  }
  return s;
}

}  // namespace nrs::matrix
