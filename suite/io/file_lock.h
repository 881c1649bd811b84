// An advisory lock on PATH (flock(2), non-blocking): the kernel releases it
// when the holder dies, so a SIGKILLed run never leaves a result locked. The
// holder writes its pid into the file, so a refused process can name it.
// Used per cell by the matrix runner and per result by a single `run`.
#pragma once
#include <string>

namespace nrs {

class FileLock {
 public:
  // Creates PATH (and its directory) and tries to lock it; throws
  // OutputError when the file cannot be created.
  explicit FileLock(const std::string& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  bool held() const { return held_; }
  // The pid the holder wrote ("" when unknown); meaningful when !held().
  std::string holder() const;

 private:
  std::string path_;
  int fd_ = -1;
  bool held_ = false;
};

}  // namespace nrs
