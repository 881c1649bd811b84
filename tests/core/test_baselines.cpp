// Every number in baselines/ carries its citation.
#include "suite/io/results.h"

#include <gtest/gtest.h>

#include <filesystem>

TEST(Baselines, EveryEntryIsCited) {
  int files = 0, entries = 0;
  for (const auto& f : std::filesystem::directory_iterator(std::string(NRSBENCH_SOURCE_DIR) + "/baselines")) {
    if (f.path().extension() != ".json") continue;
    ++files;
    auto j = nrs::read_json_file(f.path().string());
    ASSERT_TRUE(j.contains("source")) << f.path();
    for (const char* list : {"entries", "claims"}) {
      if (!j.contains(list)) continue;
      for (const auto& e : j[list]) {
        ++entries;
        ASSERT_TRUE(e.contains("citation")) << f.path() << " " << e.dump();
        const auto& c = e["citation"];
        EXPECT_TRUE(c.contains("arxiv") || c.contains("commit")) << e.dump();
        if (std::string(list) == "entries") {
          EXPECT_TRUE(c.contains("table") || c.contains("protocol")) << e.dump();
          EXPECT_TRUE(e["value"].is_number()) << e.dump();
        }
      }
    }
  }
  EXPECT_GE(files, 2);
  EXPECT_GT(entries, 0);
}
