// The original FMI's configuration format, accepted unchanged, and its
// mapping onto our Config (docs/configuration.md, "The original FMI format").
#include "config_test_util.hpp"

#include <fmi/config.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace fmi {
namespace {

using namespace std::chrono_literals;
using test::catch_config_error;
using ::testing::HasSubstr;

// The published sample (fmi-facts.md), verbatim.
constexpr const char* published_sample = R"({
  "backends": {
    "S3":     {"enabled": false, "bucket_name": "...", "s3_region": "eu-central-1",
               "timeout": 100, "max_timeout": 1000},
    "Redis":  {"enabled": false, "host": "127.0.0.1", "port": 6379,
               "timeout": 1, "max_timeout": 1000},
    "Direct": {"enabled": true, "host": "127.0.0.1", "port": 10000, "max_timeout": 1000}
  },
  "model": {
    "FaaS":   {"gib_second_price": 0.0000166667},
    "S3":     {"bandwidth": 50.0, "overhead": 40.4, "transfer_price": 0.0,
               "download_price": 0.00000043, "upload_price": 0.0000054},
    "Redis":  {"bandwidth_single": 100.0, "bandwidth_multiple": 400.0, "overhead": 5.2,
               "transfer_price": 0.0, "instance_price": 0.038, "requests_per_hour": 1000,
               "include_infrastructure_costs": true},
    "Direct": {"bandwidth": 400.0, "overhead": 0.34, "transfer_price": 0.0,
               "vm_price": 0.0134, "requests_per_hour": 1000,
               "include_infrastructure_costs": true}
  }
})";

TEST(OriginalFormat, PublishedSampleIsAcceptedWithTheDocumentedMapping) {
    const Config c = parse_config(published_sample, "fmi.json");
    const Config defaults;

    EXPECT_TRUE(c.direct.enabled);
    EXPECT_EQ(c.direct.rendezvous_host, "127.0.0.1");
    EXPECT_EQ(c.direct.rendezvous_port, 10000);

    EXPECT_FALSE(c.redis.enabled);
    EXPECT_EQ(c.redis.host, "127.0.0.1");
    EXPECT_EQ(c.redis.port, 6379);

    EXPECT_FALSE(c.s3.enabled);
    EXPECT_EQ(c.s3.bucket, "...");
    EXPECT_EQ(c.s3.region, "eu-central-1");
    EXPECT_EQ(c.s3.poll_initial, 100ms);  // "timeout": the polling interval
    EXPECT_EQ(c.s3.poll_max, 1000ms);     // "max_timeout": the cap of the back-off

    // max_timeout (1 s) must not become a deadline: it failed the original's jobs.
    EXPECT_EQ(c.timeout, defaults.timeout);
    EXPECT_EQ(c.direct.connect_timeout, defaults.direct.connect_timeout);
    EXPECT_EQ(c.redis.command_timeout, defaults.redis.command_timeout);
    EXPECT_EQ(c.redis.connect_timeout, defaults.redis.connect_timeout);

    // Settings the original format cannot express keep our defaults.
    EXPECT_EQ(c.hint, defaults.hint);
    EXPECT_FALSE(c.channel.has_value());
    EXPECT_EQ(c.faas_memory_mib, defaults.faas_memory_mib);

    const auto model = nlohmann::json::parse(c.model_json);
    EXPECT_EQ(model, nlohmann::json::parse(published_sample)["model"]);
    EXPECT_DOUBLE_EQ(model["Direct"]["overhead"].get<double>(), 0.34);
}

TEST(OriginalFormat, OlderPerformanceSectionIsTheModel) {
    const Config c = parse_config(R"({
      "backends": {"Direct": {"enabled": true, "host": "192.168.0.166", "port": 10000, "max_timeout": 1000}},
      "performance": {"Direct": {"bandwidth": 250.0, "overhead": 0.34}}
    })");
    EXPECT_EQ(nlohmann::json::parse(c.model_json),
              nlohmann::json::parse(R"({"Direct": {"bandwidth": 250.0, "overhead": 0.34}})"));
    EXPECT_EQ(c.direct.rendezvous_host, "192.168.0.166");
}

TEST(OriginalFormat, OnlyListedBackendsAreEnabled) {
    const Config c = parse_config(R"({"backends": {"Redis": {"enabled": true, "host": "r", "port": 6380}}})");
    EXPECT_TRUE(c.redis.enabled);
    EXPECT_FALSE(c.direct.enabled);
    EXPECT_FALSE(c.s3.enabled);
    EXPECT_EQ(c.model_json, "{}");
}

TEST(OriginalFormat, ListedBackendWithoutEnabledFlagIsEnabled) {
    const Config c = parse_config(R"({"backends": {"Redis": {"host": "r", "port": 6380}}})");
    EXPECT_TRUE(c.redis.enabled);
}

TEST(OriginalFormat, ValuesWrittenAsStringsAreAccepted) {
    // The original read its file with boost::property_tree (all values text).
    const Config c = parse_config(R"({"backends": {
      "Redis": {"enabled": "true", "host": "r", "port": "6380", "timeout": "1", "max_timeout": "1000"},
      "S3": {"enabled": "false", "bucket_name": "b", "s3_region": "us-west-2", "timeout": "50", "max_timeout": "800"}}})");
    EXPECT_TRUE(c.redis.enabled);
    EXPECT_EQ(c.redis.port, 6380);
    EXPECT_FALSE(c.s3.enabled);
    EXPECT_EQ(c.s3.poll_initial, 50ms);
    EXPECT_EQ(c.s3.poll_max, 800ms);
}

TEST(OriginalFormat, LongS3PollIntervalWithoutMaxRaisesTheCap) {
    const Config c = parse_config(R"({"backends": {"S3": {"enabled": false, "timeout": 500}}})");
    EXPECT_EQ(c.s3.poll_initial, 500ms);
    EXPECT_EQ(c.s3.poll_max, 500ms);
}

struct BadCase {
    const char* name;
    const char* document;
    const char* field;
    const char* message_part;
};

void PrintTo(const BadCase& bad, std::ostream* out) { *out << bad.name; }

class OriginalFormatRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(OriginalFormatRejects, NamingTheFieldAndTheFile) {
    const BadCase& bad = GetParam();
    auto error = catch_config_error([&] { parse_config(bad.document, "legacy.json"); });
    ASSERT_TRUE(error);
    EXPECT_EQ(error->field(), bad.field) << error->what();
    EXPECT_THAT(error->what(), HasSubstr(bad.message_part));
    EXPECT_THAT(error->what(), HasSubstr("legacy.json"));
}

const BadCase bad_cases[] = {
    {"RedisPortOutOfRange", R"({"backends": {"Redis": {"enabled": true, "port": 70000}}})",
     "backends.Redis.port", "between 1 and 65535"},
    {"RedisPortNotANumber", R"({"backends": {"Redis": {"port": "sixty"}}})", "backends.Redis.port",
     "expected an integer, got 'sixty'"},
    {"EnabledNotABoolean", R"({"backends": {"Direct": {"enabled": "maybe"}}})", "backends.Direct.enabled",
     "expected a boolean"},
    {"UnknownBackend", R"({"backends": {"SQS": {"enabled": true}}})", "backends.SQS", "S3, Redis and Direct"},
    {"BackendWrongCase", R"({"backends": {"redis": {"enabled": true}}})", "backends.redis",
     "did you mean 'Redis'"},
    {"UnknownBackendField", R"({"backends": {"Direct": {"enabled": true, "timeout": 5}}})",
     "backends.Direct.timeout", "unknown field"},
    {"MisspelledS3Field", R"({"backends": {"S3": {"bucket": "b"}}})", "backends.S3.bucket",
     "did you mean 'bucket_name'"},
    {"OurFieldInOriginalFormat", R"({"backends": {}, "timeout_ms": 5000})", "timeout_ms",
     "original FMI format"},
    {"BackendsNotAnObject", R"({"backends": []})", "backends", "expected an object"},
    {"BackendNotAnObject", R"({"backends": {"Redis": true}})", "backends.Redis", "expected an object"},
    {"S3IntervalAboveMax", R"({"backends": {"S3": {"timeout": 2000, "max_timeout": 1000}}})",
     "backends.S3.timeout", "2000 > 1000"},
    {"NegativeMaxTimeout", R"({"backends": {"Redis": {"max_timeout": -1}}})", "backends.Redis.max_timeout",
     "(got -1 ms)"},
    {"ModelAndPerformance", R"({"backends": {}, "model": {}, "performance": {}})", "performance", "not both"},
    {"ModelNotAnObject", R"({"backends": {}, "model": 3})", "model", "expected an object"},
    {"EmptyRegion", R"({"backends": {"S3": {"s3_region": ""}}})", "backends.S3.s3_region", "must not be empty"},
};

INSTANTIATE_TEST_SUITE_P(Cases, OriginalFormatRejects, ::testing::ValuesIn(bad_cases),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace fmi
