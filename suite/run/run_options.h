// The run flags (`nrsbench run --lr ...`), generated from the run field
// table (run_fields.h) and shared by the command line and by protocol files,
// whose cells are written in the same flag names: one source for names,
// defaults, parsing and error messages.
#pragma once
#include "suite/run/run.h"

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace nrs {

// Adds every RunConfig flag of the run field table (run_fields.h) to `d`,
// bound to `c`. A malformed --milestones list throws std::invalid_argument
// from po::notify.
void add_run_options(boost::program_options::options_description& d, RunConfig& c);

// Only the run flags named in `flags` (without "--"), bound to `c`, with the
// run's names, defaults and help: the block `hessian` and `landscape` share
// to select the samples a run trained on. Throws std::logic_error for a name
// the table does not have.
void add_run_flags(boost::program_options::options_description& d, RunConfig& c, const std::vector<std::string>& flags);

// The Hessian settings of hessian/hessian_fields.h as --PREFIX-NAME flags
// bound to `h` (`run` and `hessian` use "hessian-"); with `only`, just those
// names ("seed" for `landscape`).
void add_hessian_flags(boost::program_options::options_description& d, hessian::HessianOptions& h,
                       const std::string& prefix, const std::vector<std::string>& only = {});

// The landscape settings of hessian/landscape_fields.h that have a flag
// (--landscape-samples, ...), bound to `o`: `run` and `landscape` take them.
void add_landscape_flags(boost::program_options::options_description& d, hessian::LandscapeOptions& o);

// --precision and fp16's --loss-scale-* flags (run and step-cost).
void add_precision_flags(boost::program_options::options_description& d, std::string& precision,
                         optim::LossScaleOptions& loss_scale);

// The method and official-code flags of optim/strategy_fields.h (--rho,
// --looksam-k, --sam-m, ...) bound to `o` with no defaults, for a command
// whose variants each bring their own settings (step-cost); the flags given
// are read back with given_strategy_flags.
void add_strategy_override_flags(boost::program_options::options_description& d, optim::StrategyOptions& o);
std::vector<std::string> given_strategy_flags(const boost::program_options::variables_map& vm);

// Builds a RunConfig from a JSON object of flags, e.g. {"lr": 0.1,
// "optimizer": "sam", "nesterov": true, "milestones": [60, 120]}. Errors throw
// std::invalid_argument starting with `where` (file and cell) and the flag.
RunConfig config_from_flags(const nlohmann::json& flags, const std::string& where);

// The same flags as command-line words ("--lr", "0.1", ...), for sbatch
// scripts and for showing a cell as the single `nrsbench run` it equals.
std::vector<std::string> flags_to_args(const nlohmann::json& flags, const std::string& where);

}  // namespace nrs
