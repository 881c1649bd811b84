// `--dataset imagefolder-stream[-SIZE][-dct]`: an ImageFolder tree too large to hold
// decoded (ImageNet at 224 px is ~180 GiB) described by its file index; the
// images are decoded per epoch by make_stream_source (datasets/stream_source.h).
#pragma once
#include "datasets/image_folder.h"

namespace nrs::data {

struct StreamingFolder {
  DatasetInfo info;                      // ImageNet mean/std, classes from train/
  ImageFolderIndex train, val, test;     // val carved from train/ (--val-split); test = DIR/val or DIR/test
  ImageTransform train_t;                // random-resized crop (scale 0.08-1, ratio 3/4-4/3) + flip to SIZE
  ImageTransform eval_t;                 // shorter side to round(SIZE*256/224), centre crop SIZE
  int threads = 2;                       // decode workers per source (DatasetOptions::decode_threads)
  int64_t prefetch_bytes = 512LL << 20;  // decoded bytes queued ahead per source, at most
};

enum class StreamSplit { kTrain, kVal, kTest };

// Scans DIR/train and DIR/val (or DIR/test) under the usual data search
// order; reads no image. Throws DataError naming the directory or flag.
StreamingFolder open_streaming_folder(const std::string& name, const DatasetOptions& opts);
// "imagefolder-stream[-SIZE][-dct]": -dct decodes training JPEGs at a DCT
// scale that keeps each crop >= SIZE a side (ImageTransform::dct_scaled).
bool parse_streaming_folder_name(const std::string& name, int64_t* size, bool* dct_scaled = nullptr);

// --train-subset/--test-subset for an index: the same fixed random subset the
// in-memory path takes (randperm seeded 0x5b5e7, first n, original order).
ImageFolderIndex index_subset(const ImageFolderIndex& index, int64_t n);

// The fixed sample the Hessian needs in memory: the training images
// hessian_report would pick from an in-memory split of the same index with
// this seed, decoded with the EVAL transform into a uint8 Split (sorted by
// index; undecodable files are skipped, so it may hold fewer than n).
Split load_stream_samples(const StreamingFolder& f, int64_t n, uint64_t seed);

}  // namespace nrs::data
