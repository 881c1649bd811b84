// The two kinds of user error the CLI maps to exit code 2 (README, "Bad
// input"): an input file or value that is not what was expected, and an
// output that cannot be written (a directory that cannot be created, a full
// disk, a result another live process is writing). Everything else that
// escapes to main is an internal failure (exit 1).
#pragma once
#include <stdexcept>
#include <string>

namespace nrs {

// An input file that is missing, unreadable, of the wrong kind or shape.
// Derives from std::invalid_argument, which the CLI already maps to 2.
struct InputError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// An output that cannot be written. Nothing already written is touched:
// writes go to a temporary file that is renamed only when complete.
struct OutputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace nrs
