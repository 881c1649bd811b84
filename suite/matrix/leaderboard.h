// The leaderboard: per dataset/model board, methods ranked by mean test
// accuracy with their seed spread, Hessian figures, throughput and cost, and
// reference numbers kept apart from measured ones (reported vs measured,
// with the checker's verdict). Rendered as JSON and as one self-contained
// HTML page (inline CSS and script; nothing fetched).
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace nrs::matrix {

// `check_report` may be null (no baselines given).
nlohmann::json make_leaderboard(const nlohmann::json& aggregate, const nlohmann::json& check_report,
                                const std::string& title, const std::string& results_dir);

std::string render_html(const nlohmann::json& leaderboard);

std::string html_escape(const std::string& s);

}  // namespace nrs::matrix
