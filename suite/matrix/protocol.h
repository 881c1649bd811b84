// Protocols: JSON files that describe a benchmark matrix (datasets x models x
// optimizers x seeds, each entry a set of `nrsbench run` flags), and their
// expansion into cells with stable ids.
//
// File format (suite/protocols/*.json; docs in README "Protocols"):
//   {"name": "...", "description": "...", "seeds": [0, 1, 2],
//    "defaults":   {"epochs": 5, "lr": 0.05, ...},           // any run flag
//    "datasets":   ["fashion-mnist", {"dataset": "cifar10", "augment": "basic"}],
//    "models":     ["small-cnn", {"model": "resnet18-mini", "lr": 0.1}],
//    "optimizers": ["sgd", {"label": "sam", "optimizer": "sam", "rho": 0.05},
//                   {"optimizer": "sam", "grid": {"rho": [0.02, 0.05]}}],
//    "overrides":  [{"when": {"model": "small-cnn", "label": "sam"}, "set": {"rho": 0.1}}],
//    "groups":     [{"label": "200ep", "defaults": {...}, "models": [...]}]}
// Flags merge in the order defaults, dataset, model, optimizer, overrides;
// a group inherits everything above it and replaces the axes it names.
#pragma once
#include "suite/run/cell_id.h"
#include "suite/run/run.h"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace nrs::matrix {

struct Cell {
  std::string name;      // dataset/model/[group/]label: unique in the protocol, the results path
  std::string label;     // method label shown in tables ("sam", "sam-rho0.02", "nrs-gradient")
  std::string group;     // group label ("" outside groups)
  nlohmann::json flags;  // resolved run flags, seed excluded
  RunConfig config;      // parsed flags (seed 0)
  std::string id;        // cell_id(config): see cell_id.h
};

struct Protocol {
  std::string name, description, path, sha256;
  std::vector<uint64_t> seeds;
  std::vector<Cell> cells;
};

// One unit of work: a cell and a seed. `index` orders the whole protocol
// (cell-major), which sharding partitions.
struct WorkItem {
  size_t cell = 0;
  uint64_t seed = 0;
  size_t index = 0;
};

struct Shard {
  int index = 0, count = 1;
};

// Reads and expands a protocol file; errors (std::invalid_argument) name the
// file and the entry.
Protocol load_protocol(const std::string& path);
Protocol parse_protocol(const nlohmann::json& j, const std::string& where);

// Resolves `--protocol NAME|PATH`: a path when it names a file, else
// NAME.json in $NRSBENCH_PROTOCOLS, ./suite/protocols, then the built-in
// protocols beside the executable (share/nrsbench/protocols of an install,
// suite/protocols of the checkout a build directory sits in).
std::string find_protocol(const std::string& name_or_path);

// Re-resolves every cell with extra flags (e.g. {"threads": 1, "device": "cuda"}).
void apply_flags(Protocol& p, const nlohmann::json& flags);

// Keeps only the cells whose name (as the protocol resolves it, before any
// command-line flags) matches `regex` (ECMAScript, search). Throws
// std::invalid_argument naming --cells on a bad regex or when none matches.
void select_cells(Protocol& p, const std::string& regex);

std::vector<WorkItem> work_items(const Protocol& p);
// Item k goes to shard k mod n: every item lands in exactly one shard and
// cells spread evenly. parse_shard reads "i/n" (0 <= i < n).
std::vector<WorkItem> select_shard(const std::vector<WorkItem>& items, const Shard& s);
Shard parse_shard(const std::string& text);

// OUT/<cell name>-s<seed>.json
std::string result_path(const std::string& out_dir, const Cell& c, uint64_t seed);

}  // namespace nrs::matrix
