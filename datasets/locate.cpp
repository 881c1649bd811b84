#include "datasets/locate.h"

#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;

namespace nrs::data {

std::vector<std::string> candidate_dirs(const DatasetOptions& opts, const std::string& subdir,
                                        const std::vector<std::string>& system_dirs) {
  std::vector<std::string> roots;
  if (!opts.data_dir.empty()) roots.push_back(opts.data_dir);
  if (const char* env = std::getenv("NRSBENCH_DATA"); env && *env) roots.push_back(env);
  if (const auto shared = find_beside_executable("shared/data"); !shared.empty()) roots.push_back(shared);
  std::vector<std::string> out;
  for (const auto& r : roots) {
    out.push_back((fs::path(r) / subdir).string());
    out.push_back(r);
  }
  for (const auto& s : system_dirs) out.push_back(s);
  return out;
}

std::string executable_dir() {
  std::error_code ec;
  const auto exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "" : exe.parent_path().string();
}

std::string find_beside_executable(const std::string& rel, int levels) {
  fs::path dir = executable_dir();
  for (int i = 0; i <= levels && !dir.empty(); ++i) {
    std::error_code ec;
    if (fs::is_directory(dir / rel, ec)) return (dir / rel).string();
    if (dir == dir.parent_path()) break;
    dir = dir.parent_path();
  }
  return "";
}

std::string existing_maybe_gz(const std::string& path) {
  if (fs::exists(path)) return path;
  if (fs::exists(path + ".gz")) return path + ".gz";
  return "";
}

std::string locate_dataset(const std::string& name, const DatasetOptions& opts, const std::string& subdir,
                           const std::vector<std::string>& required, const std::string& how_to_get,
                           const std::vector<std::string>& system_dirs, bool allow_gz) {
  const auto dirs = candidate_dirs(opts, subdir, system_dirs);
  for (const auto& d : dirs) {
    bool all = true;
    for (const auto& f : required) {
      const auto p = (fs::path(d) / f).string();
      if (!(allow_gz ? !existing_maybe_gz(p).empty() : fs::exists(p))) {
        all = false;
        break;
      }
    }
    if (all) return d;
  }
  std::string looked;
  for (const auto& d : dirs) looked += (looked.empty() ? "" : ", ") + d;
  throw DataError("dataset '" + name + "': " + required.front() + " not found (looked in " + looked + "); " +
                  how_to_get);
}

}  // namespace nrs::data
