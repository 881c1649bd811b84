// nrsbench: entry point; dispatches subcommands and turns every input error
// into one line on stderr with exit code 2.
#include "datasets/dataset.h"
#include "suite/cli/cli_common.h"
#include "suite/core/errors.h"

#include <iostream>

namespace nrs::cli {

std::string join_command_line(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) {
    if (i) s += ' ';
    std::string a = argv[i];
    s += a.find_first_of(" \t\"'") == std::string::npos ? a : "'" + a + "'";
  }
  return s;
}

bool parse_or_help(const std::string& sub, const std::string& usage, const po::options_description& desc,
                   const std::vector<std::string>& args, po::variables_map& vm,
                   const po::positional_options_description* pos) {
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      std::cout << "usage: nrsbench " << sub << " " << usage << "\n\n" << desc << "\n";
      return false;
    }
  }
  try {
    auto parser = po::command_line_parser(args).options(desc);
    if (pos) parser.positional(*pos);
    po::store(parser.run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(std::string(e.what()) + " (see nrsbench " + sub + " --help)");
  }
  return true;
}

}  // namespace nrs::cli

namespace {

const char* kUsage =
    "usage: nrsbench <command> [options]\n\n"
    "commands:\n"
    "  run        train one cell from flags, or a protocol's matrix (--protocol P --out DIR)\n"
    "  slurm      sbatch job-array script running a protocol in shards\n"
    "  check      compare a results directory with reference numbers and claims\n"
    "  leaderboard  leaderboard.json + leaderboard.html of a results directory\n"
    "  step-cost  ms per training step of each optimizer (CUDA events on GPUs), ratios to SGD\n"
    "  hessian    top-k Hessian eigenvalues / trace / spectral density of saved weights\n"
    "  landscape  loss-landscape slices of saved weights (random, eigenvector, interpolation, 2-D)\n"
    "  table      comparison table of a results directory\n"
    "  list       models, datasets and optimizers with their parameters\n"
    "  version    suite version, git commit, LibTorch, build type, CUDA\n"
    "  migrate-ids  re-stamp a results directory with the current cell-id scheme\n\n"
    "`nrsbench <command> --help` lists each command's options.\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace nrs::cli;
  // Allocator settings: suite/run/allocator.cpp (linked into every program).
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string sub = argv[1];
  if (sub == "--help" || sub == "-h" || sub == "help") {
    std::cout << kUsage;
    return 0;
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  const std::string cmdline = join_command_line(argc, argv);
  try {
    if (sub == "run") return cmd_run(args, cmdline);
    if (sub == "list") return cmd_list(args);
    if (sub == "version" || sub == "--version") return cmd_version(args);
    if (sub == "hessian") return cmd_hessian(args, cmdline);
    if (sub == "landscape") return cmd_landscape(args, cmdline);
    if (sub == "table") return cmd_table(args);
    if (sub == "check") return cmd_check(args);
    if (sub == "step-cost") return cmd_step_cost(args);
    if (sub == "leaderboard") return cmd_leaderboard(args);
    if (sub == "slurm") return cmd_slurm(args, argv[0]);
    if (sub == "migrate-ids") return cmd_migrate_ids(args);
    std::cerr << "nrsbench: unknown command '" << sub
              << "' (expected run, slurm, check, leaderboard, step-cost, hessian, landscape, table, list, version or "
                 "migrate-ids)\n";
    return 2;
  } catch (const UsageError& e) {
    std::cerr << "nrsbench " << sub << ": " << e.what() << "\n";
    return 2;
  } catch (const nrs::data::DataError& e) {
    std::cerr << "nrsbench " << sub << ": " << e.what() << "\n";
    return 2;
  } catch (const std::invalid_argument& e) {  // nrs::InputError too
    std::cerr << "nrsbench " << sub << ": " << e.what() << "\n";
    return 2;
  } catch (const nrs::OutputError& e) {
    std::cerr << "nrsbench " << sub << ": " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::string msg = e.what();
    // LibTorch errors carry a C++ backtrace; the first line says what failed.
    msg = msg.substr(0, msg.find('\n'));
    std::cerr << "nrsbench " << sub << ": error: " << msg << "\n";
    return 1;
  }
}
