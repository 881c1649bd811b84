// Name -> factory registry for models, timm style. A family matches a name
// pattern (e.g. "wrn-D-K[-mini]") and builds the model for a dataset's shape.
#pragma once
#include <functional>
#include <vector>
#include "models/init.h"
#include "models/net.h"

namespace nrs::models {

struct ModelEntry {
  std::string pattern;      // as `nrsbench list` shows it
  std::string description;  // constructor parameters and conventions
  std::function<bool(const std::string&)> matches;
  std::function<NetPtr(const std::string& name, const ModelSpec&)> make;
};

const std::vector<ModelEntry>& model_registry();
// Builds and initialises (models/init.h) the named model. Throws
// std::invalid_argument naming the model when unknown or malformed.
NetPtr make_model(const std::string& name, const ModelSpec& spec, const InitOptions& init = {});
bool has_model(const std::string& name);

}  // namespace nrs::models
