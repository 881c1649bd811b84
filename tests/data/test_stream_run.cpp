// `nrsbench run` on a streamed image folder end to end: training, evaluation
// and the Hessian read through the streaming source, and a run stopped by
// SIGTERM mid-epoch resumes to the same numbers as an uninterrupted one.
// CTest label: cli
#include "tests/support/result_files.h"
#include "tests/support/run_binary.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>

using nlohmann::json;

namespace {

void write_jpeg(const std::string& path, int side, int seed) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  cv::Mat coarse(4, 4, CV_8UC3);
  cv::theRNG().state = static_cast<uint64_t>(seed) + 7;
  cv::randu(coarse, cv::Scalar::all(0), cv::Scalar::all(255));
  cv::Mat m;
  cv::resize(coarse, m, cv::Size(side, side), 0, 0, cv::INTER_CUBIC);
  ASSERT_TRUE(cv::imwrite(path, m, {cv::IMWRITE_JPEG_QUALITY, 90}));
}

const auto metrics = nrs::test::result_metrics;

}  // namespace

TEST(StreamRun, TrainsEvaluatesAndResumesBitwise) {
  nrs::test::TempDir d;
  for (int k = 0; k < 3; ++k)
    for (int i = 0; i < 24; ++i) {
      write_jpeg(d / ("data/train/c" + std::to_string(k) + "/" + std::to_string(i) + ".jpg"), 24, k * 100 + i);
      if (i < 4)
        write_jpeg(d / ("data/val/c" + std::to_string(k) + "/" + std::to_string(i) + ".jpg"), 24, -k - 1 - 10 * i);
    }
  // 72 training images, batch 8: 9 steps per epoch, 2 epochs.
  const std::string base = "run --dataset imagefolder-stream-16 --data-dir " + d / "data" +
                           " --model small-cnn-mini --epochs 2 --batch-size 8 --eval-batch-size 5"
                           " --threads 1 --decode-threads 2 --stream-prefetch-mb 1 --lr 0.05 --hessian-top-k 1"
                           " --hessian-samples 12 --quiet";
  const std::string args = base + " --augment none";
  auto ref = nrs::test::nrsbench(args + " --no-checkpoint --out " + d / "ref.json");
  ASSERT_EQ(ref.code, 0) << ref.text;
  const json r = nrs::test::read_json(d / "ref.json");
  EXPECT_EQ(r["status"], "ok");
  EXPECT_EQ(r["dataset"]["streamed"], true);
  EXPECT_EQ(r["dataset"]["train_size"], 72);
  EXPECT_EQ(r["dataset"]["test_size"], 12);
  EXPECT_EQ(r["throughput"]["steps"], 18);
  EXPECT_EQ(r["hessian"]["samples_used"], 12);
  EXPECT_TRUE(r["final"]["test_acc"].is_number());

  auto stopped = nrs::test::run_cmd("NRSBENCH_TEST_SIGNAL_AT_STEP=5:TERM " + std::string(NRSBENCH_FAULTS_BINARY) + " " +
                                    args + " --out " + d / "a.json");
  ASSERT_EQ(stopped.code, 75) << stopped.text;
  auto resumed = nrs::test::nrsbench(args + " --out " + d / "a.json");
  ASSERT_EQ(resumed.code, 0) << resumed.text;
  const json a = nrs::test::read_json(d / "a.json");
  EXPECT_EQ(metrics(a), metrics(r));
  EXPECT_EQ(a["resumes"][0]["from_global_step"], 5);

  // The loader augments streamed data itself: a second augmentation is refused.
  auto twice = nrs::test::nrsbench(base + " --augment basic --no-checkpoint --out " + d / "x.json");
  EXPECT_EQ(twice.code, 2) << twice.text;
  EXPECT_NE(twice.text.find("--augment 'basic'"), std::string::npos) << twice.text;
}
