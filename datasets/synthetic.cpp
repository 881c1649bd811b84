#include "datasets/synthetic.h"

#include <regex>

namespace nrs::data {

bool parse_synthetic_name(const std::string& name, SyntheticSpec* spec) {
  static const std::regex re(R"(synthetic(?:-(\d+)x(\d+)x(\d+)(?:-(\d+))?)?)");
  std::smatch m;
  if (!std::regex_match(name, m, re)) return false;
  if (spec && m[1].matched) {
    spec->channels = std::stoll(m[1]);
    spec->height = std::stoll(m[2]);
    spec->width = std::stoll(m[3]);
    if (m[4].matched) spec->num_classes = std::stoll(m[4]);
  }
  return true;
}

Dataset make_synthetic(const SyntheticSpec& s) {
  if (s.num_classes < 2) throw DataError("synthetic dataset: need at least 2 classes");
  auto gen = at::make_generator<at::CPUGeneratorImpl>(s.seed + 0x51u);
  auto centres = torch::randn({s.num_classes, s.channels, s.height, s.width}, gen) * s.separation;
  auto make_split = [&](int64_t n) {
    auto labels = torch::arange(n, torch::kInt64).remainder(s.num_classes);
    labels = labels.index_select(0, torch::randperm(n, gen, torch::kInt64));
    auto images = centres.index_select(0, labels) + torch::randn({n, s.channels, s.height, s.width}, gen);
    return Split{images.contiguous(), labels};
  };
  Dataset ds;
  ds.info.name = "synthetic-" + std::to_string(s.channels) + "x" + std::to_string(s.height) + "x" +
                 std::to_string(s.width) + "-" + std::to_string(s.num_classes);
  ds.info.channels = s.channels;
  ds.info.height = s.height;
  ds.info.width = s.width;
  ds.info.num_classes = s.num_classes;
  ds.info.mean.assign(s.channels, 0.0);
  ds.info.std.assign(s.channels, 1.0);
  for (int64_t c = 0; c < s.num_classes; ++c) ds.info.class_names.push_back("class" + std::to_string(c));
  ds.info.source = "generated (seed " + std::to_string(s.seed) + ")";
  ds.train = make_split(s.train);
  ds.test = make_split(s.test);
  return ds;
}

}  // namespace nrs::data
