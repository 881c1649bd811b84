// Cell ids as a versioned promise: new flags at their defaults leave every id
// alone, the canonical form holds only what a cell changes, old (scheme-1)
// directories migrate after verification, and every committed result still
// matches its protocol cell.
#include "suite/io/results.h"
#include "suite/matrix/migrate.h"
#include "suite/matrix/protocol.h"
#include "suite/matrix/runner.h"
#include "suite/run/cell_id.h"
#include "suite/run/run_options.h"
#include "tests/support/result_files.h"

#include <gtest/gtest.h>

#include <filesystem>

using nlohmann::json;
namespace fs = std::filesystem;
namespace m = nrs::matrix;

namespace {

json config_of(const json& flags) { return nrs::config_from_flags(flags, "test").to_json(); }

}  // namespace

TEST(CellId, CanonicalFormHoldsOnlyNonDefaultFields) {
  // The defaults as `nrsbench run --help` documents them (docs/cli.md), written out by hand.
  const json defaults = nrs::RunConfig{}.to_json();
  EXPECT_EQ(defaults["model"], "small-cnn");
  EXPECT_EQ(defaults["dataset"], "fashion-mnist");
  EXPECT_EQ(defaults["epochs"], 3);
  EXPECT_EQ(defaults["batch_size"], 128);
  EXPECT_EQ(defaults["schedule"]["base_lr"], 0.1);
  EXPECT_EQ(defaults["sgd"]["momentum"], 0.9);
  EXPECT_EQ(defaults["sgd"]["weight_decay"], 0.0);
  EXPECT_EQ(defaults["optimizer"]["rho"], 0.05);
  // Flags at those values, and operational ones (seed, threads, paths), leave nothing in the canonical form.
  const json same = config_of({{"model", "small-cnn"},
                               {"epochs", 3},
                               {"batch-size", 128},
                               {"lr", 0.1},
                               {"rho", 0.05},
                               {"seed", 9},
                               {"threads", 2},
                               {"data-dir", "/elsewhere"}});
  EXPECT_EQ(m::canonical_config(same, defaults), json::object());
  // Written by hand from the flag table: --lr is schedule.base_lr, --rho is optimizer.rho.
  const json c = config_of({{"lr", 0.25}, {"optimizer", "sam"}, {"rho", 0.1}, {"seed", 7}, {"threads", 1}});
  EXPECT_EQ(m::canonical_config(c, nrs::RunConfig{}.to_json()),
            json::parse(R"({"schedule": {"base_lr": 0.25}, "optimizer": {"name": "sam", "rho": 0.1}})"));
}

TEST(CellId, NewFlagAtItsDefaultLeavesIdsUnchanged) {
  const json defaults = nrs::RunConfig{}.to_json();
  const json cfg = config_of({{"model", "mlp-mini"}, {"optimizer", "nrs"}, {"nrs-radius", 0.05}, {"epochs", 4}});
  const std::string before = m::config_id(cfg, defaults);
  // A later version adds a top-level flag and a nested one, both with defaults.
  json defaults2 = defaults, cfg2 = cfg;
  for (json* j : {&defaults2, &cfg2}) {
    (*j)["dummy_new_flag"] = 3;
    (*j)["hessian"]["dummy_nested"] = "off";
  }
  EXPECT_EQ(m::config_id(cfg2, defaults2), before);
  // An old result, written before the flag existed, still has the same id.
  EXPECT_EQ(m::config_id(cfg, defaults2), before);
  // A cell that sets the new flag to another value is another cell.
  cfg2["dummy_new_flag"] = 4;
  EXPECT_NE(m::config_id(cfg2, defaults2), before);
}

TEST(CellId, OperationalFieldsDoNotEnter) {
  const json a = config_of({{"lr", 0.1}});
  json b = config_of({{"lr", 0.1}, {"threads", 2}, {"seed", 9}, {"data-dir", "/x"}, {"save-weights", "w.pt"}});
  EXPECT_EQ(m::config_id(a), m::config_id(b));
  EXPECT_NE(m::config_id(a), m::config_id(config_of({{"lr", 0.2}})));
  // 0.1 written as a float and 1 vs 1.0 are the same value.
  b["epochs"] = static_cast<double>(b["epochs"].get<int64_t>());
  EXPECT_EQ(m::config_id(a), m::config_id(b));
}

TEST(CellId, MigrationVerifiesThenRestampsScheme1Directories) {
  nrs::test::TempDir d;
  const json flags = {{"model", "mlp-mini"}, {"dataset", "synthetic-1x8x8-3"}, {"lr", 0.1}};
  const json cfg = config_of(flags);
  const std::string v1 = m::config_id_v1(cfg);
  json result = {{"schema_version", 1},
                 {"config", cfg},
                 {"seed", 0},
                 {"status", "ok"},
                 {"matrix", {{"cell", "a"}, {"cell_id", v1}}}};
  json other_flags = {{"model", "mlp-mini"}, {"dataset", "synthetic-1x8x8-3"}, {"lr", 0.3}};
  json manifest = {{"kind", "nrsbench-protocol-manifest"},
                   {"name", "t"},
                   {"cells",
                    {{{"name", "a"}, {"id", v1}, {"flags", flags}},
                     {{"name", "b"}, {"id", "000000000000"}, {"flags", other_flags}}}}};
  nrs::test::write_json(d / "r/a-s0.json", result);
  nrs::test::write_json(d / "r/protocol-t.json", manifest);
  ASSERT_NE(v1, m::config_id(cfg));  // the scheme really changed the id

  const auto s = m::migrate_ids(d / "r", false);
  EXPECT_EQ(s.results, 1u);
  EXPECT_EQ(s.results_changed, 1u);
  EXPECT_EQ(s.manifest_cells_changed, 2u);
  const json r = nrs::test::read_json(d / "r/a-s0.json");
  EXPECT_EQ(r["matrix"]["cell_id"], m::config_id(cfg));
  EXPECT_EQ(r["matrix"]["cell_id_v1"], v1);
  EXPECT_EQ(r["matrix"]["cell_id_scheme"], m::kCellIdScheme);
  const json mf = nrs::test::read_json(d / "r/protocol-t.json");
  EXPECT_EQ(mf["cells"][0]["id"], m::config_id(cfg));
  EXPECT_EQ(mf["cells"][1]["id"], m::config_id(config_of(other_flags)));
  // The migrated result carries a digest of what it now holds.
  EXPECT_EQ(s.digests_stamped, 1u);
  ASSERT_TRUE(r.contains("digest"));
  EXPECT_EQ(nrs::check_digest(r), nrs::DigestCheck::kMatches);
  // Idempotent.
  const auto again = m::migrate_ids(d / "r", false);
  EXPECT_EQ(again.results_changed + again.manifest_cells_changed + again.digests_stamped, 0u);
  // A number edited after the digest was stamped stops a later migration.
  json edited = r;
  edited["seed"] = 1;
  nrs::test::write_json(d / "r/a-s0.json", edited);
  EXPECT_THROW(m::migrate_ids(d / "r", true), std::invalid_argument);

  // A hand-edited file stops the migration, naming the file, and nothing is written.
  result["config"]["schedule"]["base_lr"] = 0.2;
  nrs::test::write_json(d / "s/a-s0.json", result);
  nrs::test::write_json(d / "s/protocol-t.json", manifest);
  try {
    m::migrate_ids(d / "s", false);
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("a-s0.json"), std::string::npos) << e.what();
  }
  EXPECT_EQ(nrs::test::read_json(d / "s/protocol-t.json")["cells"][0]["id"], v1);
}

// Every committed result directory: each result file still belongs to the
// cell its protocol resolves to today, and the manifest ids agree.
TEST(CellId, CommittedResultsStillMatchTheirCells) {
  const fs::path results = fs::path(NRSBENCH_SOURCE_DIR) / "results";
  size_t checked = 0;
  for (const auto& dir : fs::directory_iterator(results)) {
    if (!dir.is_directory() || dir.path().filename() == "runs") continue;
    for (const auto& f : fs::directory_iterator(dir.path())) {
      const auto name = f.path().filename().string();
      if (name.rfind("protocol-", 0) != 0) continue;
      const json manifest = nrs::test::read_json(f.path().string());
      const auto p = m::load_protocol(
          (fs::path(NRSBENCH_SOURCE_DIR) / "suite/protocols" / (manifest["name"].get<std::string>() + ".json"))
              .string());
      ASSERT_EQ(p.cells.size(), manifest["cells"].size()) << f.path();
      for (size_t i = 0; i < p.cells.size(); ++i) {
        EXPECT_EQ(manifest["cells"][i]["id"], p.cells[i].id) << f.path() << " " << p.cells[i].name;
        for (uint64_t seed : p.seeds) {
          const auto path = m::result_path(dir.path().string(), p.cells[i], seed);
          if (!fs::exists(path)) continue;
          EXPECT_EQ(m::item_state(path, p.cells[i], seed), m::ItemState::kFinished) << path;
          EXPECT_EQ(nrs::test::read_json(path)["matrix"]["cell_id"], p.cells[i].id) << path;
          ++checked;
        }
      }
    }
  }
  EXPECT_GE(checked, 44u);  // fmnist-quick 3 + fmnist-sweep 17 + fmnist-cpu 24 (+ later studies)
}
