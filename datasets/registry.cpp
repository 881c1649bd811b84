#include "datasets/registry.h"
#include "datasets/cifar10_jpeg.h"
#include "datasets/cifar_binary.h"
#include "datasets/image_folder.h"
#include "datasets/mnist_idx.h"
#include "datasets/streaming_folder.h"
#include "datasets/synthetic.h"

namespace nrs::data {
namespace {

std::function<bool(const std::string&)> exactly(std::string n) {
  return [n](const std::string& s) { return s == n; };
}

}  // namespace

const std::vector<DatasetEntry>& dataset_registry() {
  static const std::vector<DatasetEntry> entries = {
      {"fashion-mnist", "Fashion-MNIST 28x28x1, 10 classes, 60k/10k (IDX; Debian dataset-fashion-mnist)",
       exactly("fashion-mnist"), [](const std::string&, const DatasetOptions& o) { return load_fashion_mnist(o); },
       60000, 10000},
      {"mnist", "MNIST 28x28x1, 10 classes, 60k/10k (IDX files under --data-dir)", exactly("mnist"),
       [](const std::string&, const DatasetOptions& o) { return load_mnist(o); }, 60000, 10000},
      {"cifar10", "CIFAR-10 32x32x3, 10 classes, 50k/10k (official binary files under --data-dir)", exactly("cifar10"),
       [](const std::string&, const DatasetOptions& o) { return load_cifar10(o); }, 50000, 10000},
      {"cifar100[-fine|-coarse]",
       "CIFAR-100 32x32x3, 100 fine or 20 coarse classes, 50k/10k (official binary; default --cifar100-labels)",
       [](const std::string& n) { return n == "cifar100" || n == "cifar100-fine" || n == "cifar100-coarse"; },
       [](const std::string& n, const DatasetOptions& o) {
         // A suffix in the name wins over the option so a name alone fixes the task.
         const std::string labels = n == "cifar100" ? o.cifar100_labels : n.substr(9);
         return load_cifar100(o, labels);
       },
       50000, 10000},
      {"cifar10-jpeg",
       "CIFAR-10 JPEG q75 copy from ../shared/data/cifar10-jpeg, decoded once into a cache (lossy: not cifar10)",
       exactly("cifar10-jpeg"), [](const std::string&, const DatasetOptions& o) { return load_cifar10_jpeg(o); }, 50000,
       10000},
      {"imagefolder[-SIZE]",
       "DIR/{train,val}/<class>/<image> JPEG/PNG from --data-dir, decoded once at SIZE (default 224)",
       [](const std::string& n) { return parse_image_folder_name(n, nullptr); },
       [](const std::string& n, const DatasetOptions& o) { return load_image_folder(n, o); }},
      {"imagefolder-stream[-SIZE][-dct]",
       "DIR/{train,val}/<class>/<image> from --data-dir, larger than memory: decoded per epoch on "
       "worker threads (random-resized crop + flip to SIZE for training, resize + centre crop for eval; -dct: "
       "training JPEGs decoded at 1/2-1/8 scale where the crop keeps SIZE pixels)",
       [](const std::string& n) { return parse_streaming_folder_name(n, nullptr); },
       [](const std::string& n, const DatasetOptions&) -> Dataset {
         // Never held whole: the training loop builds a BatchSource instead.
         throw DataError("--dataset " + n +
                         ": a streamed dataset cannot be loaded whole; it is read through "
                         "open_streaming_folder and make_stream_source (datasets/stream_source.h)");
       }},
      {"synthetic[-CxHxW[-K]]", "seeded Gaussian class clusters (default 3x32x32, 10 classes), float32",
       [](const std::string& n) { return parse_synthetic_name(n, nullptr); },
       [](const std::string& n, const DatasetOptions& o) {
         SyntheticSpec spec;
         parse_synthetic_name(n, &spec);
         spec.train = o.synthetic_train;
         spec.test = o.synthetic_test;
         spec.seed = o.seed;
         auto ds = make_synthetic(spec);
         if (o.val_split > 0) carve_validation(ds, o.val_split, o.seed);
         return ds;
       },
       DatasetOptions{}.synthetic_train, DatasetOptions{}.synthetic_test},
  };
  return entries;
}

bool has_dataset(const std::string& name) {
  for (const auto& e : dataset_registry())
    if (e.matches(name)) return true;
  return false;
}

const DatasetEntry& dataset_entry(const std::string& name) {
  for (const auto& e : dataset_registry())
    if (e.matches(name)) return e;
  std::string names;
  for (const auto& e : dataset_registry()) names += (names.empty() ? "" : ", ") + e.pattern;
  throw DataError("--dataset '" + name + "': unknown dataset (expected one of: " + names + ")");
}

Dataset make_dataset(const std::string& name, const DatasetOptions& opts) {
  return dataset_entry(name).make(name, opts);
}

}  // namespace nrs::data
