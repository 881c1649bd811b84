// In-run checkpoints through the real binary: a run stopped by SIGTERM
// mid-epoch, or SIGKILLed after an epoch checkpoint, and then resumed ends
// with weights bitwise identical to an uninterrupted run's, and with every
// metric of its result identical except timings. Also: a checkpoint of
// another configuration is refused; --keep-checkpoint; `run` and `hessian`
// measure the Hessian on the same samples.
// CTest label: cli
#include "models/registry.h"
#include "suite/io/weights.h"
#include "tests/support/result_files.h"
#include "tests/support/run_binary.h"

#include <gtest/gtest.h>

#include <torch/version.h>
#include <tuple>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using nlohmann::json;
using nrs::test::nrsbench;
using nrs::test::read_json;
using nrs::test::run_cmd;

namespace {

// 2048 synthetic samples / batch 32 = 64 steps per epoch, 3 epochs = 192 steps.
std::string run_args(const std::string& optimizer_flags) {
  return "run --model small-cnn-mini --dataset synthetic-1x8x8-3 --epochs 3 --batch-size 32 --threads 1 "
         "--lr 0.05 --weight-decay 5e-4 --augment basic --pad 1 --hessian-top-k 2 --hessian-samples 128 --quiet " +
         optimizer_flags;
}

const auto metrics = nrs::test::result_metrics;

void expect_same_weights(const std::string& a, const std::string& b) {
  auto ma = nrs::models::make_model("small-cnn-mini", {1, 8, 8, 3});
  auto mb = nrs::models::make_model("small-cnn-mini", {1, 8, 8, 3});
  nrs::load_weights(*ma, a);
  nrs::load_weights(*mb, b);
  auto pb = mb->named_parameters();
  for (const auto& kv : ma->named_parameters()) EXPECT_TRUE(torch::equal(kv.value(), pb[kv.key()])) << kv.key();
  auto bb = mb->named_buffers();
  for (const auto& kv : ma->named_buffers()) EXPECT_TRUE(torch::equal(kv.value(), bb[kv.key()])) << kv.key();
}

struct Case {
  const char* name;
  const char* flags;
};

class Resume : public ::testing::TestWithParam<Case> {};

TEST_P(Resume, InterruptedRunsEndBitwiseLikeUninterruptedOnes) {
  if (std::string(GetParam().flags).find("fp16") != std::string::npos && TORCH_VERSION_MAJOR < 2)
    GTEST_SKIP() << "LibTorch " << TORCH_VERSION << ": no CPU float16 autocast";
  nrs::test::TempDir d;
  const std::string args = run_args(GetParam().flags);
  auto ref = nrsbench(args + " --no-checkpoint --save-weights " + d / "ref.pt" + " --out " + d / "ref.json");
  ASSERT_EQ(ref.code, 0) << ref.text;
  const json ref_result = read_json(d / "ref.json");
  const json want = metrics(ref_result);
  if (ref_result.contains("loss_scale")) {
    // The scaler skipped and grew during the run, so its state had to resume too.
    EXPECT_GT(ref_result["loss_scale"]["skipped_steps"].get<int>(), 0);
    EXPECT_LT(ref_result["loss_scale"]["final_scale"].get<double>(), ref_result["loss_scale"]["init"].get<double>());
  }

  // Interrupts a run with `signal` after global step `at`, checks what it left,
  // resumes it, and returns the resumed result after comparing it with ref.
  auto interrupt_and_resume = [&](const std::string& tag, const std::string& signal, int at) {
    const std::string cmd = args + " --save-weights " + d / (tag + ".pt") + " --out " + d / (tag + ".json");
    auto stopped = run_cmd("NRSBENCH_TEST_SIGNAL_AT_STEP=" + std::to_string(at) + ":" + signal + " " +
                           std::string(NRSBENCH_FAULTS_BINARY) + " " + cmd);
    if (signal == "KILL") {
      EXPECT_NE(stopped.code, 0) << stopped.text;
    } else {
      EXPECT_EQ(stopped.code, 75) << stopped.text;  // checkpointed, resumable
      EXPECT_NE(stopped.text.find("rerun the same command to resume"), std::string::npos) << stopped.text;
    }
    EXPECT_TRUE(fs::exists(d / (tag + ".json.ckpt")));
    EXPECT_FALSE(fs::exists(d / (tag + ".json")));  // no result from a stopped run
    auto resumed = nrsbench(cmd);
    EXPECT_EQ(resumed.code, 0) << resumed.text;
    const json r = read_json(d / (tag + ".json"));
    EXPECT_EQ(metrics(r), want) << tag;
    EXPECT_EQ(r.value("loss_scale", json()), ref_result.value("loss_scale", json())) << tag;
    expect_same_weights(d / "ref.pt", d / (tag + ".pt"));
    EXPECT_FALSE(fs::exists(d / (tag + ".json.ckpt")));  // removed after success
    return r;
  };

  // SIGTERM after step 100 (mid-epoch 2): checkpoint there, exit 75.
  const json ra = interrupt_and_resume("term", "TERM", 100);
  ASSERT_EQ(ra["resumes"].size(), 1u);
  EXPECT_EQ(ra["resumes"][0]["from_global_step"], 100);
  EXPECT_EQ(ra["resumes"][0]["from_epoch"], 1);      // 0-based epoch in progress
  EXPECT_EQ(ra["resumes"][0]["step_in_epoch"], 36);  // 100 - 64
  // Each segment names the binary that ran it: its commit (as `nrsbench
  // version` prints it) and its SHA-256 as coreutils' sha256sum computes it.
  // The first ran in nrsbench-faults (which raised the signal), the second in
  // nrsbench.
  const std::string binary_hash = run_cmd("sha256sum " + std::string(NRSBENCH_BINARY)).text.substr(0, 64);
  const std::string faults_hash = run_cmd("sha256sum " + std::string(NRSBENCH_FAULTS_BINARY)).text.substr(0, 64);
  ASSERT_NE(binary_hash, faults_hash);
  const json version = json::parse(nrsbench("version --json").text);
  ASSERT_EQ(ra["segments"].size(), 2u);
  EXPECT_EQ(ra["segments"][1]["from_global_step"], 100);
  EXPECT_EQ(ra["segments"][0]["binary_sha256"], faults_hash) << ra["segments"][0];
  EXPECT_EQ(ra["segments"][1]["binary_sha256"], binary_hash) << ra["segments"][1];
  for (const auto& seg : ra["segments"]) EXPECT_EQ(seg["git_commit"], version["git_commit"]) << seg;
  EXPECT_EQ(ra["binary_sha256"], binary_hash);

  // SIGKILL after step 150: the epoch-2 checkpoint (step 128) is the last one.
  const json rb = interrupt_and_resume("kill", "KILL", 150);
  ASSERT_EQ(rb["resumes"].size(), 1u);
  EXPECT_EQ(rb["resumes"][0]["from_global_step"], 128);
  for (const auto& f : fs::directory_iterator(d.str()))
    EXPECT_EQ(f.path().string().find(".tmp."), std::string::npos) << f.path();
}

INSTANTIATE_TEST_SUITE_P(
    Optimizers, Resume,
    ::testing::Values(Case{"sgd", "--optimizer sgd"}, Case{"sam", "--optimizer sam --rho 0.05"},
                      Case{"nrs_gradient", "--optimizer nrs --nrs-neighbor gradient --nrs-radius 0.05"},
                      Case{"nrs_random", "--optimizer nrs --nrs-neighbor random --nrs-samples 2 --nrs-radius 0.5"},
                      // The CPU fast path: a one-channel model in channels_last, forward passes in bf16.
                      Case{"sam_bf16_channels_last", "--optimizer sam --rho 0.05 --precision bf16 --channels-last"},
                      // Starts at 2^40: float16 overflows, steps are skipped and the scale falls, then
                      // grows every 16 clean steps (more skips), across the interruptions.
                      Case{"sam_fp16",
                           "--optimizer sam --rho 0.05 --precision fp16 --loss-scale-init 1099511627776 "
                           "--loss-scale-growth-interval 16"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Checkpoint, AnotherConfigurationIsRefusedAndKeepKeepsIt) {
  nrs::test::TempDir d;
  const std::string args = run_args("--optimizer sgd") + " --checkpoint " + d / "c.ckpt";
  auto stopped = run_cmd("NRSBENCH_TEST_SIGNAL_AT_STEP=10:USR1 " + std::string(NRSBENCH_FAULTS_BINARY) + " " + args +
                         " --out " + d / "c.json");
  ASSERT_EQ(stopped.code, 75) << stopped.text;
  auto other = nrsbench(args + " --momentum 0.5 --out " + d / "c.json");
  EXPECT_EQ(other.code, 2) << other.text;
  EXPECT_NE(other.text.find(d / "c.ckpt"), std::string::npos) << other.text;
  EXPECT_NE(other.text.find("another configuration"), std::string::npos) << other.text;
  EXPECT_EQ(std::count(other.text.begin(), other.text.end(), '\n'), 1) << other.text;
  auto kept = nrsbench(args + " --keep-checkpoint --out " + d / "c.json");
  ASSERT_EQ(kept.code, 0) << kept.text;
  EXPECT_TRUE(fs::exists(d / "c.ckpt"));
  // Rerunning with a finished checkpoint trains nothing more: same result.
  const json first = read_json(d / "c.json");
  auto again = nrsbench(args + " --keep-checkpoint --out " + d / "c2.json");
  ASSERT_EQ(again.code, 0) << again.text;
  EXPECT_EQ(metrics(read_json(d / "c2.json")), metrics(first));
}

// A checkpoint read back is verified before use (every record's CRC): one
// changed byte in its first header, in the tensor data or at its end, a cut
// copy and an empty file are each refused with one line naming the file, exit
// 2, no result written, and the file left as it was; the intact copy then
// resumes and ends like an uninterrupted run.
TEST(Checkpoint, DamagedCheckpointIsRefusedAndAnIntactCopyResumes) {
  nrs::test::TempDir d;
  const std::string args = run_args("--optimizer sgd") + " --checkpoint " + d / "c.ckpt";
  auto ref = nrsbench(run_args("--optimizer sgd") + " --no-checkpoint --out " + d / "ref.json");
  ASSERT_EQ(ref.code, 0) << ref.text;
  auto stopped = run_cmd("NRSBENCH_TEST_SIGNAL_AT_STEP=70:TERM " + std::string(NRSBENCH_FAULTS_BINARY) + " " + args +
                         " --out " + d / "c.json");
  ASSERT_EQ(stopped.code, 75) << stopped.text;
  fs::copy_file(d / "c.ckpt", d / "intact.ckpt");
  std::ifstream in(d / "intact.ckpt", std::ios::binary);
  const std::string intact((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(intact.size(), 1000u);
  std::vector<std::pair<std::string, std::string>> damaged;
  for (size_t at : {size_t{2}, intact.size() / 2, intact.size() - 3}) {
    std::string b = intact;
    for (size_t k = 0; k < 4; ++k) b[at + k] = static_cast<char>(b[at + k] ^ 0x5a);
    damaged.emplace_back("byte " + std::to_string(at), b);
  }
  damaged.emplace_back("cut", intact.substr(0, intact.size() / 3));
  damaged.emplace_back("empty", "");
  for (const auto& [what, bytes] : damaged) {
    nrs::test::write_bytes(d / "c.ckpt", bytes);
    auto o = nrsbench(args + " --out " + d / "c.json");
    EXPECT_EQ(o.code, 2) << what << ": " << o.text;
    EXPECT_NE(o.text.find(d / "c.ckpt"), std::string::npos) << what << ": " << o.text;
    EXPECT_EQ(std::count(o.text.begin(), o.text.end(), '\n'), 1) << what << ": " << o.text;
    EXPECT_FALSE(fs::exists(d / "c.json")) << what;
    EXPECT_EQ(fs::file_size(d / "c.ckpt"), bytes.size()) << what << ": the checkpoint must be left as it was";
  }
  fs::copy_file(d / "intact.ckpt", d / "c.ckpt", fs::copy_options::overwrite_existing);
  auto resumed = nrsbench(args + " --out " + d / "c.json");
  ASSERT_EQ(resumed.code, 0) << resumed.text;
  EXPECT_EQ(metrics(read_json(d / "c.json")), metrics(read_json(d / "ref.json")));
}

TEST(Checkpoint, BadEveryIsAOneLineError) {
  auto r = nrsbench(run_args("") + " --checkpoint-every 2h --out /tmp/nrsbench-never.json");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.text.find("--checkpoint-every '2h'"), std::string::npos) << r.text;
}

// The Hessian and the landscape of `run` and of `nrsbench hessian` and
// `nrsbench landscape` on the saved weights, given the run's own flags: the
// same fixed random training subset, the same samples, the same numbers.
TEST(SharedSetup, RunHessianAndLandscapeTakeTheSameFlagsAndSeeTheSameSamples) {
  nrs::test::TempDir d;
  const std::string common =
      "--model small-cnn-mini --dataset synthetic-1x8x8-3 --threads 1 --train-subset 300 --val-split 100 --seed 4";
  const std::string hessian = " --hessian-top-k 2 --hessian-samples 150";
  const std::string landscape = " --landscape-samples 32 --landscape-points 3";
  auto r = nrsbench("run " + common + hessian + " --landscape" + landscape +
                    " --epochs 1 --batch-size 32 --quiet --no-checkpoint --save-weights " + d / "w.pt" + " --out " +
                    d / "r.json");
  ASSERT_EQ(r.code, 0) << r.text;
  auto h = nrsbench("hessian " + common + hessian + " --weights " + d / "w.pt" + " --out " + d / "h.json");
  ASSERT_EQ(h.code, 0) << h.text;
  auto l = nrsbench("landscape " + common + landscape + " --weights " + d / "w.pt" + " --out " + d / "l.json");
  ASSERT_EQ(l.code, 0) << l.text;
  const json run = read_json(d / "r.json"), hess = read_json(d / "h.json"), land = read_json(d / "l.json");
  EXPECT_EQ(run["dataset"]["train_sha256"], hess["dataset"]["train_sha256"]);
  EXPECT_EQ(run["dataset"]["train_sha256"], land["dataset"]["train_sha256"]);
  EXPECT_EQ(run["dataset"]["train_size"], 300);  // the subset of what the 100 held out left
  EXPECT_EQ(run["hessian"]["eigenvalues"], hess["hessian"]["eigenvalues"]);
  ASSERT_EQ(run["landscape"]["slices"].size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const auto& a = run["landscape"]["slices"][i];
    const auto& b = land["slices"][i];
    EXPECT_EQ(a["kind"], b["kind"]);
    EXPECT_EQ(a["train_loss"], b["train_loss"]) << a["kind"];
  }

  // The flags these commands took before they took the run's refuse to mean
  // something else: each names its replacement.
  for (const auto& [cmd, old_flag, new_flag] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"hessian", "--samples 150", "--hessian-samples"},
           {"hessian", "--top-k 2", "--hessian-top-k"},
           {"hessian", "--data-seed 4", "--seed"},
           {"landscape", "--sample-seed 1", "--hessian-seed"},
           {"landscape", "--data-seed=4", "--seed"}}) {
    auto bad = nrsbench(cmd + " " + common + " " + old_flag + " --weights " + d / "w.pt" + " --out " + d / "x.json");
    EXPECT_EQ(bad.code, 2) << cmd << " " << old_flag;
    EXPECT_NE(bad.text.find("now takes " + new_flag + ","), std::string::npos) << bad.text;
    EXPECT_FALSE(std::filesystem::exists(d / "x.json"));
  }
}

}  // namespace

namespace {

// A Hessian that cannot run (here: a memory budget too small for its basis)
// is recorded in the result; the run still ends ok with its weights saved.
TEST(Checkpoint, FailedHessianIsRecordedAndWeightsAreKept) {
  nrs::test::TempDir d;
  // resnet18-mini: ~78k parameters, 0.6 MB a float64 vector; 1 MB holds one, top-2 needs 9.
  auto r = nrsbench(
      "run --model resnet18-mini --dataset synthetic-3x8x8-4 --train-subset 256 --test-subset 64"
      " --epochs 1 --batch-size 64 --threads 1"
      " --hessian-top-k 2 --hessian-memory-mb 1 --quiet --no-checkpoint --save-weights " +
      d / "w.pt" + " --out " + d / "r.json");
  ASSERT_EQ(r.code, 0) << r.text;
  const json j = read_json(d / "r.json");
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["hessian"]["status"], "failed");
  EXPECT_NE(j["hessian"]["error"].get<std::string>().find("--hessian-memory-mb"), std::string::npos) << j["hessian"];
  EXPECT_TRUE(fs::exists(d / "w.pt"));
  EXPECT_TRUE(j["final"]["test_acc"].is_number());
}

}  // namespace

// The fault points (suite/core/fault_points.h) exist in nrsbench-faults only:
// the product binary holds none of their variables' names and runs through a
// step at which nrsbench-faults stops.
TEST(FaultPoints, OnlyTheTestsBinaryHasThem) {
  const auto holds = [](const std::string& binary, const std::string& text) {
    std::ifstream f(binary, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    return bytes.find(text) != std::string::npos;
  };
  for (const char* var : {"NRSBENCH_TEST_SIGNAL_AT_STEP", "NRSBENCH_TEST_SIGNAL_RANK", "NRSBENCH_TEST_KILL_AT_WRITE"}) {
    EXPECT_FALSE(holds(NRSBENCH_BINARY, var)) << var;
    EXPECT_TRUE(holds(NRSBENCH_FAULTS_BINARY, var)) << var;
  }
  nrs::test::TempDir d;
  const std::string args =
      "run --model mlp-mini --dataset synthetic-1x8x8-3 --train-subset 256 --epochs 1 "
      "--batch-size 32 --threads 1 --quiet --out ";
  const auto product =
      run_cmd("NRSBENCH_TEST_SIGNAL_AT_STEP=3:TERM " + std::string(NRSBENCH_BINARY) + " " + args + d / "p.json");
  EXPECT_EQ(product.code, 0) << product.text;
  EXPECT_TRUE(fs::exists(d / "p.json"));
  const auto faults =
      run_cmd("NRSBENCH_TEST_SIGNAL_AT_STEP=3:TERM " + std::string(NRSBENCH_FAULTS_BINARY) + " " + args + d / "f.json");
  EXPECT_EQ(faults.code, 75) << faults.text;
  EXPECT_FALSE(fs::exists(d / "f.json"));
}
