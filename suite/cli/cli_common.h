// Shared pieces of the subcommands: usage errors (exit 2) and option groups.
#pragma once
#include <boost/program_options.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace nrs::cli {

namespace po = boost::program_options;

// A bad flag value or missing input: printed on one line, exit code 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Parses args for a subcommand; --help prints `usage` + options and returns false.
bool parse_or_help(const std::string& sub, const std::string& usage, const po::options_description& desc,
                   const std::vector<std::string>& args, po::variables_map& vm,
                   const po::positional_options_description* pos = nullptr);

std::string join_command_line(int argc, char** argv);

// The name a study read from several results directories goes by (its claim
// family, its leaderboard's results_dir): the directories joined by " + ".
inline std::string study_name(const std::vector<std::string>& dirs) {
  std::string s;
  for (const auto& d : dirs) s += (s.empty() ? "" : " + ") + d;
  return s;
}

int cmd_run(const std::vector<std::string>& args, const std::string& command_line);
int cmd_list(const std::vector<std::string>& args);
int cmd_version(const std::vector<std::string>& args);
int cmd_hessian(const std::vector<std::string>& args, const std::string& command_line);
int cmd_landscape(const std::vector<std::string>& args, const std::string& command_line);
int cmd_table(const std::vector<std::string>& args);
int cmd_check(const std::vector<std::string>& args);
int cmd_step_cost(const std::vector<std::string>& args);
int cmd_leaderboard(const std::vector<std::string>& args);
int cmd_migrate_ids(const std::vector<std::string>& args);
int cmd_slurm(const std::vector<std::string>& args, const std::string& self);

}  // namespace nrs::cli
