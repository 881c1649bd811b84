// The bad-input catalogue (README, "Bad input"): weights of another model or
// not weights at all, outputs that cannot be written, and a result another
// live process is writing. Each gives one line naming the file and exit code 2,
// and leaves no partial file behind.
// CTest label: cli
#include "models/registry.h"
#include "suite/core/errors.h"
#include "suite/io/file_lock.h"
#include "suite/io/weights.h"
#include "tests/support/result_files.h"
#include "tests/support/run_binary.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>
#include <torch/serialize.h>
#include <torch/version.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>

namespace {
namespace fs = std::filesystem;
using nrs::test::nrsbench;
using nrs::test::TempDir;

// A one-epoch run of mlp-mini on a small synthetic set: seconds.
const std::string kRun =
    "run --dataset synthetic-1x8x8-4 --train-subset 64 --test-subset 32 --model mlp-mini --epochs 1 "
    "--batch-size 32 --threads 1 --quiet ";

void expect_bad_input(const nrs::test::CmdOut& o, const std::string& needle) {
  EXPECT_EQ(o.code, 2) << o.text;
  EXPECT_NE(o.text.find(needle), std::string::npos) << "expected '" << needle << "' in:\n" << o.text;
  EXPECT_EQ(std::count(o.text.begin(), o.text.end(), '\n'), 1) << "one line expected:\n" << o.text;
}

// The state dict of mlp-mini for 1x8x8 inputs and 4 classes, with `edit`
// applied to it, written as a pickle like save_weights writes.
template <class Edit>
std::string weights_file(const TempDir& d, const std::string& name, Edit edit) {
  auto m = nrs::models::make_model("mlp-mini", nrs::models::ModelSpec{1, 8, 8, 4});
  c10::Dict<std::string, torch::Tensor> dict;
  for (const auto& kv : m->named_parameters()) dict.insert(kv.key(), kv.value().detach().clone());
  for (const auto& kv : m->named_buffers()) dict.insert(kv.key(), kv.value().detach().clone());
  edit(dict);
  const auto bytes = torch::pickle_save(c10::IValue(dict));
  const std::string path = d / name;
  nrs::test::write_bytes(path, std::string(bytes.begin(), bytes.end()));
  return path;
}

TEST(BadInput, WeightsOfTheRightModelAreAccepted) {
  // The control for the cases below: the unedited file loads and the run ends 0.
  TempDir d;
  const auto w = weights_file(d, "ok.pt", [](auto&) {});
  auto o = nrsbench(kRun + "--init-weights " + w + " --no-checkpoint --out " + d / "r.json");
  EXPECT_EQ(o.code, 0) << o.text;
}

TEST(BadInput, WeightsOfAnotherModelExit2) {
  TempDir d;
  auto m = nrs::models::make_model("small-cnn-mini", nrs::models::ModelSpec{1, 8, 8, 4});
  nrs::save_weights(*m, d / "cnn.pt");
  expect_bad_input(nrsbench(kRun + "--init-weights " + d / "cnn.pt" + " --out " + d / "r.json"), d / "cnn.pt");
  EXPECT_FALSE(fs::exists(d / "r.json"));
}

TEST(BadInput, NotATorchFileExit2) {
  TempDir d;
  nrs::test::write_bytes(d / "w.pt", "these are not weights\n");
  expect_bad_input(nrsbench(kRun + "--init-weights " + d / "w.pt" + " --out " + d / "r.json"),
                   "not a torch.save/pickle_save file");
}

TEST(BadInput, WrongShapeExit2) {
  TempDir d;
  const auto w = weights_file(d, "w.pt", [](auto& dict) {
    const std::string key = dict.begin()->key();
    dict.insert_or_assign(key, torch::zeros({3, 3}));
  });
  expect_bad_input(nrsbench(kRun + "--init-weights " + w + " --out " + d / "r.json"), "has shape");
}

TEST(BadInput, WrongDtypeExit2) {
  TempDir d;
  const auto w = weights_file(d, "w.pt", [](auto& dict) {
    const std::string key = dict.begin()->key();
    const torch::Tensor value = dict.begin()->value();
    dict.insert_or_assign(key, value.to(torch::kInt64));
  });
  expect_bad_input(nrsbench(kRun + "--init-weights " + w + " --out " + d / "r.json"), "has dtype");
}

TEST(BadInput, OutputDirectoryThatCannotBeCreatedExit2BeforeTraining) {
  TempDir d;
  nrs::test::write_bytes(d / "file", "a file, not a directory\n");
  auto o = nrsbench(kRun + "--out " + d / "file/sub/r.json");
  expect_bad_input(o, d / "file/sub/r.json");
  EXPECT_EQ(o.text.find("epoch"), std::string::npos) << "refused only after training:\n" << o.text;
}

TEST(BadInput, FullDiskExit2AndLeavesNoPartialResult) {
  // RLIMIT_FSIZE of 1 KiB stands for a full disk: write() fails with EFBIG
  // (SIGXFSZ ignored) once the result exceeds it.
  TempDir d;
  auto o = nrs::test::run_cmd("bash -c 'ulimit -f 1; trap \"\" XFSZ; exec " + std::string(NRSBENCH_BINARY) + " " +
                              kRun + "--no-checkpoint --out " + d / "r.json" + "'");
  EXPECT_EQ(o.code, 2) << o.text;
  EXPECT_NE(o.text.find(d / "r.json"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("write failed"), std::string::npos) << o.text;
  EXPECT_FALSE(fs::exists(d / "r.json"));
  for (const auto& e : fs::directory_iterator(d.str()))
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << "left behind: " << e.path();
}

TEST(BadInput, ResultLockedByALiveProcessExit2NamingIt) {
  TempDir d;
  nrs::FileLock held(d / "r.json.lock");  // this test process is the live holder
  ASSERT_TRUE(held.held());
  auto o = nrsbench(kRun + "--out " + d / "r.json");
  expect_bad_input(o, "pid " + std::to_string(::getpid()));
  EXPECT_FALSE(fs::exists(d / "r.json"));
}

}  // namespace

namespace {

// The module tests/fuzz/fuzz_weights.cpp loads into (its seed tiny.pt was
// saved from it by save_weights).
struct FuzzTiny : torch::nn::Module {
  FuzzTiny() {
    register_module("fc", torch::nn::Linear(3, 2));
    register_module("bn", torch::nn::BatchNorm1d(2));
  }
};

}  // namespace

// Found by fuzzing: LibTorch's unpickler takes a tensor's sizes, strides and
// offset from the file without checking them against the stored record, and
// the first read then went outside it (a SEGV for a far stride or offset;
// silently past the end of a short record). The files are tiny.pt with one
// entry changed by Python's zipfile (tests/fuzz/make_corpus.py), and the
// fuzzer's own input whose pickle declares a 1.6 GB string (LibTorch
// allocated it before failing; suite/io/pickle_bounds.h).
TEST(BadInput, WeightsAddressingOutsideTheirDataAreRefused) {
  const std::string dir = std::string(NRSBENCH_SOURCE_DIR) + "/tests/fuzz/corpus/fuzz_weights/";
  FuzzTiny ok;
  EXPECT_NO_THROW(nrs::load_weights(ok, dir + "tiny.pt"));
  for (const char* name :
       {"regress-short-record.pt", "regress-huge-stride.pt", "regress-huge-offset.pt", "regress-huge-string.pt"}) {
    FuzzTiny m;
    try {
      nrs::load_weights(m, dir + name);
      ADD_FAILURE() << name << " was accepted";
    } catch (const nrs::InputError& e) {
      EXPECT_NE(std::string(e.what()).find(dir + name), std::string::npos) << e.what();
    }
  }
}

// --precision fp16 on CPU: refused by the Debian 1.13 build, which has no CPU
// float16 autocast, with one line naming the flag; run by a 2.x build, whose
// result then records the loss scaler. A scale that is not a power of two is
// refused in both.
TEST(BadInput, Fp16OnCpuNeedsLibTorch2AndRecordsItsScaler) {
  TempDir d;
  auto o = nrsbench(kRun + "--optimizer sam --precision fp16 --no-checkpoint --out " + d / "r.json");
#if TORCH_VERSION_MAJOR < 2
  expect_bad_input(o, "--precision fp16");
  EXPECT_FALSE(fs::exists(d / "r.json"));
#else
  ASSERT_EQ(o.code, 0) << o.text;
  const auto r = nrs::test::read_json(d / "r.json");
  EXPECT_EQ(r["config"]["precision"], "fp16");
  EXPECT_EQ(r["config"]["loss_scale"]["init"], 65536.0);
  EXPECT_EQ(r["loss_scale"]["steps"], 2);  // 64 samples / batch 32
  EXPECT_EQ(r["loss_scale"]["skipped_steps"], 0);
  EXPECT_EQ(r["loss_scale"]["final_scale"], 65536.0);
#endif
  // Checked before the device is: the same line with or without a GPU.
  expect_bad_input(nrsbench(kRun + "--precision fp16 --loss-scale-init 1000 --device cuda --out " + d / "s.json"),
                   "--loss-scale-init");
}
