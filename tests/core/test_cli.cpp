// CLI: bad input gives one line naming the flag or file and exit code 2.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace {

struct Out {
  int code;
  std::string text;
};

Out run(const std::string& args) {
  std::string cmd = std::string("env -u NRSBENCH_DATA ") + NRSBENCH_BINARY + " " + args + " 2>&1";
  Out o{0, ""};
  FILE* f = popen(cmd.c_str(), "r");
  char buf[512];
  while (fgets(buf, sizeof buf, f)) o.text += buf;
  int st = pclose(f);
  o.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return o;
}

void expect_usage_error(const std::string& args, const std::string& needle) {
  auto o = run(args);
  EXPECT_EQ(o.code, 2) << args << "\n" << o.text;
  EXPECT_NE(o.text.find(needle), std::string::npos) << args << "\n" << o.text;
  EXPECT_EQ(std::count(o.text.begin(), o.text.end(), '\n'), 1) << "one line expected:\n" << o.text;
}

}  // namespace

TEST(Cli, UnknownCommand) { expect_usage_error("frobnicate", "unknown command 'frobnicate'"); }
TEST(Cli, UnknownFlag) { expect_usage_error("run --no-such-flag 3", "no-such-flag"); }
TEST(Cli, NonNumericValue) { expect_usage_error("run --lr abc", "lr"); }
TEST(Cli, NegativeLearningRate) { expect_usage_error("run --lr -1 --dataset synthetic", "--lr"); }
TEST(Cli, UnknownOptimizer) { expect_usage_error("run --optimizer adam --dataset synthetic", "--optimizer 'adam'"); }
TEST(Cli, UnknownModel) { expect_usage_error("run --model resnet9000 --dataset synthetic", "--model 'resnet9000'"); }
TEST(Cli, MissingData) { expect_usage_error("run --dataset mnist --data-dir /nonexistent/x", "/nonexistent/x"); }
TEST(Cli, BadNeighbor) { expect_usage_error("run --optimizer nrs --nrs-neighbor up --dataset synthetic", "--nrs-neighbor"); }

TEST(Cli, HelpOnEverySubcommand) {
  for (const char* sub : {"run", "list", "version", "hessian"}) {
    auto o = run(std::string(sub) + " --help");
    EXPECT_EQ(o.code, 0) << sub;
    EXPECT_NE(o.text.find("usage: nrsbench"), std::string::npos) << sub;
  }
}

TEST(Cli, ListShowsRegistries) {
  auto o = run("list");
  EXPECT_EQ(o.code, 0);
  for (const char* name : {"small-cnn", "resnet18", "fashion-mnist", "cifar10-jpeg", "nrs", "--nrs-radius"})
    EXPECT_NE(o.text.find(name), std::string::npos) << name;
}

TEST(Cli, VersionNamesLibTorchAndCommit) {
  auto o = run("version --json");
  EXPECT_EQ(o.code, 0);
  EXPECT_NE(o.text.find("libtorch_version"), std::string::npos);
  EXPECT_NE(o.text.find("git_commit"), std::string::npos);
}
