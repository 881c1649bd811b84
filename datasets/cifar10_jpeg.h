// `cifar10-jpeg`: the JPEG copy of CIFAR-10 in ../shared/data/cifar10-jpeg,
// decoded once into a cache in the official binary layout and then read like
// `cifar10`. The decoded files are checked against the published Pillow
// (libjpeg-turbo) hashes; a mismatch is reported, never hidden.
#pragma once
#include "datasets/dataset.h"

namespace nrs::data {

// $NRSBENCH_CACHE, else $XDG_CACHE_HOME/nrsbench, else ~/.cache/nrsbench.
std::string cache_root();

// Official label index of a CIFAR-10 class name, or -1.
int cifar10_label_of(const std::string& class_name);

// Decodes `tree`/{train,test}/<class>/*.jpg into `out_dir`: records sorted by
// (label index, file name), `per_file` records per file, written as
// data_batch_1.. and test_batch.bin plus batches.meta.txt. Throws DataError on
// an undecodable image or an unknown class (a cache must be complete).
void write_cifar_cache_from_tree(const std::string& tree, const std::string& out_dir, int64_t per_file, int threads);

struct HashCheck {
  bool checked = false;                 // a reference hash file was found
  std::vector<std::string> mismatched;  // files whose hash differs or is missing
  std::string summary;                  // one line for provenance and logs
};
// Compares every "<hex>  <file>" line of `reference` with `dir`/<file>.
HashCheck verify_against(const std::string& dir, const std::string& reference);

// Unpacks + decodes on first use (atomically: temp dir + rename) and returns
// the cache directory; `check` receives the recorded verdict.
std::string ensure_cifar10_jpeg_cache(const DatasetOptions& opts, HashCheck* check);
Dataset load_cifar10_jpeg(const DatasetOptions& opts);

}  // namespace nrs::data
