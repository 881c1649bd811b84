// TEMPORARY placeholder until the Hessian module lands (issue 5).
#include "suite/cli/cli_common.h"

namespace nrs::cli {
int cmd_hessian(const std::vector<std::string>&, const std::string&) { throw UsageError("hessian: not implemented yet"); }
}  // namespace nrs::cli
