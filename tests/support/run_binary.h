// Running the real nrsbench binary (or any command) from a test.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace nrs::test {

struct CmdOut {
  int code = -1;
  std::string text;
};

inline CmdOut run_cmd(const std::string& cmd) {
  CmdOut o;
  FILE* f = popen((cmd + " 2>&1").c_str(), "r");
  char buf[1024];
  while (fgets(buf, sizeof buf, f)) o.text += buf;
  const int st = pclose(f);
  o.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return o;
}

inline CmdOut nrsbench(const std::string& args) { return run_cmd(std::string(NRSBENCH_BINARY) + " " + args); }

}  // namespace nrs::test
