#include "suite/io/results.h"
#include "datasets/sha256.h"
#include "suite/core/build_info.h"
#include "suite/core/cpu_features.h"
#include "suite/core/errors.h"
#include "suite/core/fault_points.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;

namespace nrs {

void write_json_atomic(const std::string& path, const nlohmann::json& j) { write_text_atomic(path, j.dump(2) + "\n"); }

std::string result_digest(const nlohmann::json& result) {
  nlohmann::json body = result;
  if (body.is_object()) body.erase("digest");
  return data::sha256_hex(body.dump());
}

void write_result_atomic(const std::string& path, nlohmann::json result) {
  result["digest"] = result_digest(result);
  write_json_atomic(path, result);
}

DigestCheck check_digest(const nlohmann::json& result) {
  if (!result.is_object() || !result.contains("digest")) return DigestCheck::kAbsent;
  const auto& d = result["digest"];
  return d.is_string() && d.get<std::string>() == result_digest(result) ? DigestCheck::kMatches : DigestCheck::kDiffers;
}

void write_text_atomic(const std::string& path, const std::string& text) {
  const faults::WriteFault fault = faults::at_atomic_write();  // nothing outside nrsbench-faults
  const fs::path target(path);
  std::error_code ec;
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
  if (ec)
    throw OutputError(path + ": cannot create directory " + target.parent_path().string() + " (" + ec.message() + ")");
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw OutputError(path + ": cannot create temporary file " + tmp + " (" + std::strerror(errno) + ")");
  // Any failure below removes the temporary file and leaves `path` as it was.
  auto fail = [&](const std::string& what) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    ::unlink(tmp.c_str());
    throw OutputError(path + ": " + what + " (" + why + ")");
  };
  size_t off = 0;
  auto write_to = [&](size_t end) {
    while (off < end) {
      ssize_t n = ::write(fd, text.data() + off, end - off);
      if (n < 0) {
        if (errno == EINTR) continue;
        fail("write failed");
      }
      off += static_cast<size_t>(n);
    }
  };
  write_to(text.size() / 2);
  if (fault == faults::WriteFault::kKillHalfWritten) ::raise(SIGKILL);
  write_to(text.size());
  if (::fsync(fd) != 0) fail("fsync failed");
  if (fault == faults::WriteFault::kKillBeforeRename) ::raise(SIGKILL);
  if (::close(fd) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw OutputError(path + ": close failed (" + why + ")");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw OutputError(path + ": rename from " + tmp + " failed (" + why + ")");
  }
  // The rename itself reaches the disk with the directory's fsync.
  const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot open");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path + ": not valid JSON (" + std::string(e.what()) + ")");
  }
}

nlohmann::json upgrade_result(nlohmann::json r) {
  const int v = r.value("schema_version", 0);
  if (v < 1 || v > kResultsSchemaVersion)
    throw std::invalid_argument("results schema " + std::to_string(v) + ": this nrsbench reads schemas 1 to " +
                                std::to_string(kResultsSchemaVersion));
  if (v == 1) {
    // hessian.top_k always read 5 whatever --hessian-top-k was: drop it.
    if (r.contains("config") && r["config"].contains("hessian") && r["config"]["hessian"].is_object())
      r["config"]["hessian"].erase("top_k");
    // wd_mode "decoupled" was torch.optim.SGD's coupled decay in the optimizer
    // (now "optimizer"; "decoupled" means SGDW); "l2" is now "loss".
    if (r.contains("config") && r["config"].contains("sgd") && r["config"]["sgd"].is_object()) {
      auto& m = r["config"]["sgd"]["wd_mode"];
      if (m == "decoupled")
        m = "optimizer";
      else if (m == "l2")
        m = "loss";
    }
    r["schema_version"] = 2;
  }
  return r;
}

std::string iso8601_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

nlohmann::json environment_info(const std::string& device) {
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  nlohmann::json j = {{"suite_version", suite_version()},
                      {"git_commit", git_commit()},
                      {"libtorch_version", torch_version()},
                      {"build_type", build_type()},
                      {"hostname", host},
                      {"cpu_model", cpu_model()},
                      {"hardware_threads", std::thread::hardware_concurrency()},
                      {"cpu_features", cpu_features_json()}};
  if (device.rfind("cuda", 0) == 0) {
    const int idx = device.size() > 5 ? std::stoi(device.substr(5)) : 0;
    j["gpu"] = gpu_name(idx);
  }
  return j;
}

}  // namespace nrs
