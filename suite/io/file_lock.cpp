#include "suite/io/file_lock.h"
#include "suite/core/errors.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace nrs {
namespace fs = std::filesystem;

FileLock::FileLock(const std::string& path) : path_(path) {
  std::error_code ec;
  if (fs::path(path).has_parent_path()) fs::create_directories(fs::path(path).parent_path(), ec);
  fd_ = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (fd_ < 0) throw OutputError(path + ": cannot create lock file (" + std::strerror(errno) + ")");
  held_ = ::flock(fd_, LOCK_EX | LOCK_NB) == 0;
  if (held_) {
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd_, 0) == 0) (void)!::pwrite(fd_, pid.data(), pid.size(), 0);
  }
}

FileLock::~FileLock() {
  // Unlink before unlocking: a process that opened the old file then
  // re-checks the result, which is already written.
  if (held_) ::unlink(path_.c_str());
  ::close(fd_);
}

std::string FileLock::holder() const {
  std::ifstream in(path_);
  std::string pid;
  in >> pid;
  return pid;
}

}  // namespace nrs
