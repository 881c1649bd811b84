#include "datasets/cifar10_jpeg.h"
#include "datasets/cifar_binary.h"
#include "datasets/image_header.h"
#include "datasets/jpeg_decoder.h"
#include "datasets/locate.h"
#include "datasets/sha256.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;

namespace nrs::data {
namespace {

void run_or_throw(const std::vector<std::string>& argv, const std::string& what) {
  const pid_t pid = fork();
  if (pid < 0) throw DataError(what + ": fork failed");
  if (pid == 0) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string cmd;
    for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
    throw DataError(what + ": `" + cmd + "` failed (exit " +
                    std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + "); it needs tar and xz-utils");
  }
}

// Leftovers of runs that were killed while building: their pid is gone.
void remove_stale_temps(const fs::path& root) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    const auto name = e.path().filename().string();
    const std::string prefix = ".cifar10-jpeg.tmp-";
    if (name.rfind(prefix, 0) != 0) continue;
    const long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
    if (pid > 0 && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) fs::remove_all(e.path(), ec);
  }
}

void write_file(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw DataError(p.string() + ": write failed (disk full or not writable?)");
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Decodes one 32x32 JPEG into its 3072-byte R, G, B plane record body.
void decode_record(const std::string& path, uint8_t* dst) {
  std::ifstream in(path, std::ios::binary);
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The size from the header first: nothing is allocated for what a corrupt
  // header claims (image_header.h).
  const auto dims = jpeg_or_png_size(bytes.data(), bytes.size());
  if (!dims) throw DataError(path + ": cannot decode image (not a JPEG or PNG, or its header is cut short)");
  if (dims->width != 32 || dims->height != 32)
    throw DataError(path + ": image is " + std::to_string(dims->width) + "x" + std::to_string(dims->height) +
                    ", expected 32x32");
  const RgbImage img = decode_jpeg(bytes.data(), bytes.size(), path.c_str());
  if (img.width != 32 || img.height != 32)
    throw DataError(path + ": image is " + std::to_string(img.width) + "x" + std::to_string(img.height) +
                    ", expected 32x32");
  for (int y = 0; y < 32; ++y)
    for (int x = 0; x < 32; ++x)
      for (int c = 0; c < 3; ++c) dst[c * 1024 + y * 32 + x] = img.pixels[(y * 32 + x) * 3 + c];  // RGB -> planes
}

struct Sample {
  int64_t label;
  std::string name, path;
};

std::vector<Sample> scan_split(const fs::path& dir) {
  if (!fs::is_directory(dir)) throw DataError(dir.string() + ": missing (expected <class>/NNNN.jpg)");
  std::vector<Sample> out;
  for (const auto& c : fs::directory_iterator(dir)) {
    if (!c.is_directory()) continue;
    const auto cls = c.path().filename().string();
    const int label = cifar10_label_of(cls);
    if (label < 0) throw DataError(c.path().string() + ": unknown CIFAR-10 class '" + cls + "'");
    for (const auto& f : fs::directory_iterator(c.path()))
      if (f.is_regular_file() && f.path().extension() == ".jpg")
        out.push_back({label, f.path().filename().string(), f.path().string()});
  }
  // The published hashes fix this order: (label index, file name bytes).
  std::sort(out.begin(), out.end(),
            [](const Sample& a, const Sample& b) { return std::tie(a.label, a.name) < std::tie(b.label, b.name); });
  return out;
}

void write_split(const std::vector<Sample>& samples, const fs::path& out_dir, bool train, int64_t per_file,
                 int threads) {
  const int64_t n = static_cast<int64_t>(samples.size());
  if (n == 0) throw DataError(out_dir.string() + ": no images to decode");
  const int64_t rec = 1 + kCifarPixels;
  std::string all(static_cast<size_t>(n * rec), '\0');
  std::vector<std::string> errors(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      try {
        for (int64_t i = t; i < n; i += threads) {
          auto* dst = reinterpret_cast<uint8_t*>(&all[static_cast<size_t>(i * rec)]);
          dst[0] = static_cast<uint8_t>(samples[i].label);
          decode_record(samples[i].path, dst + 1);
        }
      } catch (const std::exception& e) {
        errors[t] = e.what();
      }
    });
  for (auto& th : pool) th.join();
  for (const auto& e : errors)
    if (!e.empty()) throw DataError(e);
  const int64_t files = (n + per_file - 1) / per_file;
  if (!train && files != 1)
    throw DataError(out_dir.string() + ": test split has " + std::to_string(n) + " images, more than one file");
  for (int64_t f = 0; f < files; ++f) {
    const int64_t a = f * per_file, b = std::min(n, a + per_file);
    const auto name = train ? "data_batch_" + std::to_string(f + 1) + ".bin" : std::string("test_batch.bin");
    write_file(out_dir / name, all.substr(static_cast<size_t>(a * rec), static_cast<size_t>((b - a) * rec)));
  }
}

}  // namespace

std::string cache_root() {
  if (const char* e = std::getenv("NRSBENCH_CACHE"); e && *e) return e;
  if (const char* e = std::getenv("XDG_CACHE_HOME"); e && *e) return (fs::path(e) / "nrsbench").string();
  if (const char* e = std::getenv("HOME"); e && *e) return (fs::path(e) / ".cache" / "nrsbench").string();
  return (fs::temp_directory_path() / "nrsbench-cache").string();
}

int cifar10_label_of(const std::string& class_name) {
  const auto& names = cifar10_class_names();
  auto it = std::find(names.begin(), names.end(), class_name);
  return it == names.end() ? -1 : static_cast<int>(it - names.begin());
}

void write_cifar_cache_from_tree(const std::string& tree, const std::string& out_dir, int64_t per_file, int threads) {
  fs::create_directories(out_dir);
  threads = std::max(1, threads);
  write_split(scan_split(fs::path(tree) / "train"), out_dir, true, per_file, threads);
  write_split(scan_split(fs::path(tree) / "test"), out_dir, false, per_file, threads);
  std::string meta;
  for (const auto& n : cifar10_class_names()) meta += n + "\n";
  write_file(fs::path(out_dir) / "batches.meta.txt", meta);
}

HashCheck verify_against(const std::string& dir, const std::string& reference) {
  HashCheck hc;
  std::ifstream in(reference);
  if (!in) {
    hc.summary = "NOT VERIFIED: reference hashes " + reference + " not found";
    return hc;
  }
  hc.checked = true;
  std::string hex, file;
  int n = 0;
  while (in >> hex >> file) {
    ++n;
    const auto p = (fs::path(dir) / file).string();
    if (!fs::exists(p) || sha256_file(p) != hex) hc.mismatched.push_back(file);
  }
  if (n == 0) {
    hc.checked = false;
    hc.summary = "NOT VERIFIED: " + reference + " holds no hashes";
  } else if (hc.mismatched.empty()) {
    hc.summary = "decoded files match decoded-pillow.sha256 (" + std::to_string(n) + "/" + std::to_string(n) +
                 " files; decoder identical to Pillow/libjpeg-turbo)";
  } else {
    std::string files;
    for (const auto& f : hc.mismatched) files += (files.empty() ? "" : ", ") + f;
    hc.summary = "HASH MISMATCH against decoded-pillow.sha256 (" + std::to_string(hc.mismatched.size()) + "/" +
                 std::to_string(n) + " files differ: " + files +
                 "); this decoder's IDCT/upsampling differs from Pillow/libjpeg-turbo";
  }
  return hc;
}

std::string ensure_cifar10_jpeg_cache(const DatasetOptions& opts, HashCheck* check) {
  const auto src = locate_dataset("cifar10-jpeg", opts, "cifar10-jpeg", {"cifar10-jpeg.tar.xz"},
                                  "it ships as ../shared/data/cifar10-jpeg/cifar10-jpeg.tar.xz next to the "
                                  "checkout; with internet, the original is --dataset cifar10 from "
                                  "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz");
  const auto archive = fs::path(src) / "cifar10-jpeg.tar.xz";
  // Keyed by the archive's content so a different archive never reuses a cache.
  const auto key = sha256_file(archive.string()).substr(0, 16);
  const fs::path root = cache_root();
  const fs::path final_dir = root / ("cifar10-jpeg-" + key);
  const fs::path verdict = final_dir / "decode-check.txt";
  if (!fs::exists(verdict)) {
    fs::create_directories(root);
    remove_stale_temps(root);
    const fs::path tmp = root / (".cifar10-jpeg.tmp-" + std::to_string(getpid()));
    fs::remove_all(tmp);
    fs::create_directories(tmp / "src");
    std::cerr << "cifar10-jpeg: first use, unpacking " << archive.string() << " and decoding 60000 JPEGs into "
              << final_dir.string() << " ...\n";
    run_or_throw({"tar", "-xJf", archive.string(), "-C", (tmp / "src").string()}, "cifar10-jpeg");
    const fs::path out = tmp / "out";
    write_cifar_cache_from_tree((tmp / "src").string(), out.string(), 10000, std::max(1, opts.decode_threads));
    for (const auto& [f, want] : std::vector<std::pair<std::string, int64_t>>{
             {"data_batch_1.bin", 10000}, {"data_batch_5.bin", 10000}, {"test_batch.bin", 10000}})
      if (!fs::exists(out / f) || static_cast<int64_t>(fs::file_size(out / f)) != want * (1 + kCifarPixels))
        throw DataError(archive.string() + ": unpacked tree does not give 50000 train + 10000 test images (" + f + ")");
    const auto hc = verify_against(out.string(), (fs::path(src) / "decoded-pillow.sha256").string());
    write_file(out / "decode-check.txt", hc.summary + "\n");
    std::error_code ec;
    fs::rename(out, final_dir, ec);
    // Another process may have finished first; its cache is as good as ours.
    if (ec && !fs::exists(verdict))
      throw DataError(final_dir.string() + ": cannot move cache into place: " + ec.message());
    fs::remove_all(tmp, ec);
  }
  HashCheck hc;
  auto line = read_text(verdict);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  hc.summary = line;
  hc.checked = line.rfind("NOT VERIFIED", 0) != 0;
  if (line.rfind("HASH MISMATCH", 0) == 0) hc.mismatched.push_back(line);
  if (!hc.mismatched.empty() || !hc.checked)
    std::cerr << "\n*** cifar10-jpeg WARNING: " << line << "\n*** cache: " << final_dir.string()
              << "\n*** results are named cifar10-jpeg; say which decoder produced them.\n\n";
  if (check) *check = hc;
  return final_dir.string();
}

Dataset load_cifar10_jpeg(const DatasetOptions& opts) {
  HashCheck hc;
  const auto dir = ensure_cifar10_jpeg_cache(opts, &hc);
  auto ds = load_cifar10_dir(dir, "cifar10-jpeg", opts);
  // The cache is sorted by class (the hashes fix that layout), so the first N
  // records would all be airplanes. A fixed permutation, the same for every
  // run and seed, mixes them the way the official batches are mixed; the
  // validation split and --train-subset/--test-subset (fixed random subsets,
  // suite/run/setup.h) then draw from a mixed order.
  for (Split* s : {&ds.train, &ds.val, &ds.test}) {
    if (s->size() == 0) continue;
    auto gen = at::make_generator<at::CPUGeneratorImpl>(0xc1fa10ULL);
    auto perm = torch::randperm(s->size(), gen, torch::kInt64);
    *s = Split{s->images.index_select(0, perm), s->labels.index_select(0, perm)};
  }
  ds.info.source = dir + " [" + hc.summary + "]";
  return ds;
}

}  // namespace nrs::data
