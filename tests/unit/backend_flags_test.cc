// Backend-declared command-line options: offered once, routed only to the backends that
// declared them, typed as declared.
#include <gtest/gtest.h>

#include "cli/backend_flags.h"

namespace decant::cli {
namespace {

const std::vector<BackendOption> kRedis = {{"split-prefix", BackendOption::Type::kString, "prefix separator"},
                                           {"match", BackendOption::Type::kList, "SCAN pattern"},
                                           {"jobs", BackendOption::Type::kInt, "workers"}};
const std::vector<BackendOption> kPostgres = {{"jobs", BackendOption::Type::kInt, "workers"},
                                              {"snapshot", BackendOption::Type::kFlag, "share a snapshot"}};

struct Parsed {
  CLI::App app;
  BackendFlags flags;
  explicit Parsed(std::vector<std::string> args) {
    flags.declare("redis source", kRedis);
    flags.declare("postgres source", kPostgres);
    flags.add_to(&app);
    std::reverse(args.begin(), args.end());  // CLI11 takes a vector in reverse order
    app.parse(args);
  }
};

TEST(BackendFlags, GivesEachBackendItsOwnOptionsTyped) {
  Parsed p({"--split-prefix", ":", "--match", "a:*", "--match", "b:*", "--jobs", "4"});
  Result<nlohmann::json> redis = p.flags.settings_for("redis source", kRedis, true);
  ASSERT_TRUE(redis) << redis.status().message();
  EXPECT_EQ(*redis, nlohmann::json({{"split-prefix", ":"}, {"match", {"a:*", "b:*"}}, {"jobs", 4}}));
}

TEST(BackendFlags, ListValuesAreTakenAsGivenOnePerFlag) {
  // CLI11 splits "[a,b]" into a list unless told not to: a glob with brackets must arrive whole.
  Parsed p({"--match", "[ab]:*", "--match", "x,y", "--match", "[k]"});
  Result<nlohmann::json> redis = p.flags.settings_for("redis source", kRedis, true);
  ASSERT_TRUE(redis) << redis.status().message();
  EXPECT_EQ(*redis, nlohmann::json({{"match", {"[ab]:*", "x,y", "[k]"}}}));
}

TEST(BackendFlags, AnotherBackendsOptionIsAUsageErrorOnlyWhenStrict) {
  Parsed p({"--split-prefix", ":", "--snapshot"});
  Result<nlohmann::json> strict = p.flags.settings_for("postgres source", kPostgres, true);
  ASSERT_FALSE(strict);
  EXPECT_EQ(strict.status().side(), Side::kUsage);
  EXPECT_EQ(strict.status().message(), "--split-prefix is an option of the redis source, not of the postgres source");
  Result<nlohmann::json> lenient = p.flags.settings_for("postgres source", kPostgres, false);
  ASSERT_TRUE(lenient);
  EXPECT_EQ(*lenient, nlohmann::json({{"snapshot", true}}));
}

TEST(BackendFlags, NothingGivenIsAnEmptyObject) {
  Parsed p({});
  Result<nlohmann::json> settings = p.flags.settings_for("redis source", kRedis, true);
  ASSERT_TRUE(settings);
  EXPECT_EQ(*settings, nlohmann::json::object());
}

TEST(BackendFlags, IntegerOptionRejectsOtherText) {
  Parsed p({"--jobs", "4x"});
  Result<nlohmann::json> settings = p.flags.settings_for("postgres source", kPostgres, true);
  ASSERT_FALSE(settings);
  EXPECT_EQ(settings.status().message(), "--jobs expects an integer, got \"4x\"");
}

}  // namespace
}  // namespace decant::cli
