// Our configuration format: every field read, the round trip through
// config_to_json, and every kind of bad input giving a ConfigError that names
// the field and the file.
#include "config/config_json.hpp"
#include "config_test_util.hpp"

#include <fmi/config.hpp>
#include <fmi/errors.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace fmi {
namespace {

using namespace std::chrono_literals;
using test::catch_config_error;
using test::expect_same_config;
using ::testing::HasSubstr;

// A Config whose every field differs from the default.
Config every_field_changed() {
    Config c;
    c.timeout = 1234ms;
    c.hint = Hint::fast;
    c.channel = ChannelKind::redis;
    c.log_level = "debug";
    c.faas_memory_mib = 2048;
    c.model_json = R"({"Direct":{"bandwidth":400.0,"overhead":0.34}})";
    c.direct.enabled = false;
    c.direct.rendezvous_host = "rv.example.org";
    c.direct.rendezvous_port = 7000;
    c.direct.listen_host = "10.1.2.3";
    c.direct.connect_timeout = 4500ms;
    c.direct.secret = "s3cr3t";
    c.direct.socket_buffer_bytes = 1u << 20;
    c.direct.spin = std::chrono::microseconds(20);
    c.direct.relay = DirectOptions::Relay::never;
    c.direct.punch_timeout = 2500ms;
    c.redis.enabled = true;
    c.redis.host = "redis.local";
    c.redis.port = 6380;
    c.redis.user = "alice";
    c.redis.password = "pw";
    c.redis.database = 3;
    c.redis.connect_timeout = 1500ms;
    c.redis.command_timeout = 2500ms;
    c.redis.key_prefix = "job42";
    c.redis.key_ttl = 600s;
    c.redis.chunk_bytes = 1u << 16;
    c.s3.enabled = true;
    c.s3.endpoint = "http://127.0.0.1:9000";
    c.s3.region = "eu-central-1";
    c.s3.bucket = "fmi-bucket";
    c.s3.path_style = true;
    c.s3.access_key_id = "AK";
    c.s3.secret_access_key = "SK";
    c.s3.session_token = "TOK";
    c.s3.profile = "dev";
    c.s3.key_prefix = "runs/fmi";
    c.s3.connect_timeout = 2000ms;
    c.s3.request_timeout = 45000ms;
    c.s3.poll_initial = 10ms;
    c.s3.poll_max = 500ms;
    c.s3.max_retries = 7;
    c.s3.multipart_threshold = 32u << 20;
    c.s3.parallel_transfers = 8;
    c.s3.finalize_timeout = std::chrono::milliseconds(9000);
    return c;
}

// The same values written by hand, as a user would.
constexpr const char* every_field_document = R"({
  "timeout_ms": 1234,
  "hint": "fast",
  "channel": "redis",
  "log_level": "debug",
  "faas_memory_mib": 2048,
  "direct": {
    "enabled": false,
    "rendezvous": "rv.example.org:7000",
    "listen_host": "10.1.2.3",
    "connect_timeout_ms": 4500,
    "secret": "s3cr3t",
    "socket_buffer_bytes": 1048576,
    "spin_us": 20,
    "relay": "never",
    "punch_timeout_ms": 2500
  },
  "redis": {
    "enabled": true, "host": "redis.local", "port": 6380, "user": "alice", "password": "pw",
    "database": 3, "connect_timeout_ms": 1500, "command_timeout_ms": 2500,
    "key_prefix": "job42", "key_ttl_s": 600, "chunk_bytes": 65536
  },
  "s3": {
    "enabled": true, "endpoint": "http://127.0.0.1:9000", "region": "eu-central-1",
    "bucket": "fmi-bucket", "path_style": true, "access_key_id": "AK", "secret_access_key": "SK",
    "session_token": "TOK", "profile": "dev", "key_prefix": "runs/fmi",
    "connect_timeout_ms": 2000, "request_timeout_ms": 45000, "poll_initial_ms": 10,
    "poll_max_ms": 500, "max_retries": 7, "multipart_threshold_bytes": 33554432,
    "parallel_transfers": 8, "finalize_timeout_ms": 9000
  },
  "model": {"Direct": {"bandwidth": 400.0, "overhead": 0.34}}
})";

TEST(OurFormat, EmptyDocumentGivesTheDefaults) {
    expect_same_config(parse_config("{}"), Config{});
}

TEST(OurFormat, ReadsEveryField) {
    expect_same_config(parse_config(every_field_document, "every.json"), every_field_changed());
}

TEST(OurFormat, RoundTripOfEveryField) {
    const Config original = every_field_changed();
    const std::string text = detail::config_to_json(original);
    expect_same_config(parse_config(text, "round-trip"), original);
}

TEST(OurFormat, RoundTripOfTheDefaults) {
    const std::string text = detail::config_to_json(Config{});
    expect_same_config(parse_config(text, "round-trip"), Config{});
    // The written document names every section (users copy it as a template).
    for (const char* key : {"\"direct\"", "\"redis\"", "\"s3\"", "\"model\"", "\"channel\": null"})
        EXPECT_THAT(text, HasSubstr(key));
}

TEST(OurFormat, RendezvousAsSeparateFields) {
    Config c = parse_config(R"({"direct": {"rendezvous_host": "10.0.0.5", "rendezvous_port": 7001}})");
    EXPECT_EQ(c.direct.rendezvous_host, "10.0.0.5");
    EXPECT_EQ(c.direct.rendezvous_port, 7001);
}

TEST(OurFormat, RendezvousIPv6) {
    Config c = parse_config(R"({"direct": {"rendezvous": "[::1]:7002"}})");
    EXPECT_EQ(c.direct.rendezvous_host, "::1");
    EXPECT_EQ(c.direct.rendezvous_port, 7002);
}

TEST(OurFormat, ChannelNullOrAutoMeansChosenPerOperation) {
    EXPECT_FALSE(parse_config(R"({"channel": null})").channel.has_value());
    EXPECT_FALSE(parse_config(R"({"channel": "auto"})").channel.has_value());
    EXPECT_EQ(parse_config(R"({"channel": "s3"})").channel, ChannelKind::s3);
    EXPECT_EQ(parse_config(R"({"channel": "direct"})").channel, ChannelKind::direct);
}

TEST(OurFormat, LogLevelIsCanonical) {
    EXPECT_EQ(parse_config(R"({"log_level": "warning"})").log_level, "warn");
    EXPECT_EQ(parse_config(R"({"log_level": "off"})").log_level, "off");
}

TEST(OurFormat, IntegralNumbersWithExponentAreIntegers) {
    EXPECT_EQ(parse_config(R"({"timeout_ms": 1e3})").timeout, 1000ms);
    EXPECT_EQ(parse_config(R"({"timeout_ms": 0})").timeout, 0ms);  // 0: the default deadline
}

TEST(OurFormat, ModelSectionIsKeptAsText) {
    Config c = parse_config(R"({"model": {"S3": {"bandwidth": 50.0}, "list": [1, 2]}})");
    EXPECT_EQ(nlohmann::json::parse(c.model_json),
              nlohmann::json::parse(R"({"S3": {"bandwidth": 50.0}, "list": [1, 2]})"));
}

// ---- bad input: each case names the field, the problem and the origin -----

struct BadCase {
    const char* name;
    const char* document;
    const char* field;
    const char* message_part;
};

void PrintTo(const BadCase& bad, std::ostream* out) { *out << bad.name; }

class OurFormatRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(OurFormatRejects, NamingTheFieldAndTheFile) {
    const BadCase& bad = GetParam();
    auto error = catch_config_error([&] { parse_config(bad.document, "/etc/fmi/job.json"); });
    ASSERT_TRUE(error);
    EXPECT_EQ(error->field(), bad.field) << error->what();
    EXPECT_THAT(error->what(), HasSubstr(bad.message_part));
    EXPECT_THAT(error->what(), HasSubstr("/etc/fmi/job.json"));
}

const BadCase bad_cases[] = {
    // Unknown fields, with a suggestion where one is close.
    {"UnknownTopLevel", R"({"timeout": 5})", "timeout", "did you mean 'timeout_ms'"},
    {"UnknownNested", R"({"redis": {"prot": 6379}})", "redis.prot", "did you mean 'port'"},
    {"UnknownS3", R"({"s3": {"buckett": "b"}})", "s3.buckett", "unknown field"},
    {"UnknownDirect", R"({"direct": {"secrets": "x"}})", "direct.secrets", "did you mean 'secret'"},
    {"BadRelayMode", R"({"direct": {"relay": "sometimes"}})", "direct.relay", "unknown relay mode"},
    {"UnknownFarFromAll", R"({"zzzzzzzzzzzzzz": 1})", "zzzzzzzzzzzzzz", "unknown field"},
    // Wrong types.
    {"TimeoutAsString", R"({"timeout_ms": "100"})", "timeout_ms", "expected an integer, got a string"},
    {"PortAsString", R"({"redis": {"port": "6379"}})", "redis.port", "expected an integer"},
    {"PortFraction", R"({"redis": {"port": 6379.5}})", "redis.port", "expected an integer"},
    {"EnabledAsNumber", R"({"direct": {"enabled": 1}})", "direct.enabled", "expected a boolean"},
    {"HintAsNumber", R"({"hint": 1})", "hint", "expected a string"},
    {"ChannelAsNumber", R"({"channel": 5})", "channel", "got an integer"},
    {"SectionAsArray", R"({"redis": []})", "redis", "expected an object, got an array"},
    {"ModelAsArray", R"({"model": [1]})", "model", "expected an object"},
    {"SecretAsNull", R"({"direct": {"secret": null}})", "direct.secret", "expected a string, got null"},
    // Bad values.
    {"NegativeTimeout", R"({"timeout_ms": -1})", "timeout_ms", "between 0 and"},
    {"TimeoutTooLong", R"({"timeout_ms": 2592000001})", "timeout_ms", "between 0 and 2592000000 ms"},
    {"PortZero", R"({"redis": {"port": 0}})", "redis.port", "between 1 and 65535 (got 0)"},
    {"PortTooLarge", R"({"redis": {"port": 70000}})", "redis.port", "(got 70000)"},
    {"RendezvousPortTooLarge", R"({"direct": {"rendezvous_port": 65536}})", "direct.rendezvous_port", "65535"},
    {"NegativeConnectTimeout", R"({"direct": {"connect_timeout_ms": -5}})", "direct.connect_timeout_ms", "(got -5 ms)"},
    {"ZeroCommandTimeout", R"({"redis": {"command_timeout_ms": 0}})", "redis.command_timeout_ms", "between 1 and"},
    {"UnknownHint", R"({"hint": "fastest"})", "hint", "unknown hint 'fastest'"},
    {"UnknownChannel", R"({"channel": "sqs"})", "channel", "unknown channel 'sqs'"},
    {"UnknownLogLevel", R"({"log_level": "loud"})", "log_level", "unknown log level 'loud'"},
    {"ZeroMemory", R"({"faas_memory_mib": 0})", "faas_memory_mib", "between 1 and"},
    {"ZeroKeyTtl", R"({"redis": {"key_ttl_s": 0}})", "redis.key_ttl_s", "(got 0 s)"},
    {"ZeroChunk", R"({"redis": {"chunk_bytes": 0}})", "redis.chunk_bytes", "between 1 and"},
    {"HugeChunk", R"({"redis": {"chunk_bytes": 1073741824}})", "redis.chunk_bytes", "536870912"},
    {"NegativeDatabase", R"({"redis": {"database": -1}})", "redis.database", "(got -1)"},
    {"TooManyRetries", R"({"s3": {"max_retries": 1000}})", "s3.max_retries", "between 0 and 100"},
    {"EmptyHost", R"({"redis": {"host": ""}})", "redis.host", "must not be empty"},
    {"HostWithSpace", R"({"redis": {"host": "my host"}})", "redis.host", "whitespace"},
    {"EndpointWithoutScheme", R"({"s3": {"endpoint": "s3.example.org"}})", "s3.endpoint", "http://"},
    {"KeyPrefixWithSpace", R"({"s3": {"key_prefix": "a b"}})", "s3.key_prefix", "printable ASCII"},
    {"EmptyKeyPrefix", R"({"redis": {"key_prefix": ""}})", "redis.key_prefix", "must not be empty"},
    {"PollInitialAboveMax", R"({"s3": {"poll_initial_ms": 500, "poll_max_ms": 100}})", "s3.poll_initial_ms", "500 > 100"},
    {"RendezvousWithoutPort", R"({"direct": {"rendezvous": "rv.example.org"}})", "direct.rendezvous", "expected host:port"},
    {"RendezvousBadPort", R"({"direct": {"rendezvous": "rv:99999"}})", "direct.rendezvous", "between 1 and 65535"},
    {"RendezvousUnbracketedV6", R"({"direct": {"rendezvous": "::1:7000"}})", "direct.rendezvous", "expected host:port"},
    {"RendezvousTwice", R"({"direct": {"rendezvous": "a:1", "rendezvous_port": 2}})", "direct.rendezvous", "not both"},
    {"DuplicateKey", R"({"redis": {"port": 6379, "port": 6380}})", "redis.port", "duplicate key"},
    {"DuplicateTopLevelKey", R"({"hint": "fast", "hint": "cheap"})", "hint", "duplicate key"},
};

INSTANTIATE_TEST_SUITE_P(Cases, OurFormatRejects, ::testing::ValuesIn(bad_cases),
                         [](const auto& info) { return std::string(info.param.name); });

// ---- malformed documents -------------------------------------------------

TEST(MalformedJson, NamesTheFileAndThePosition) {
    auto error = catch_config_error([] {
        parse_config("{\n  \"timeout_ms\": 10,\n  oops: 1\n}", "/tmp/broken.json");
    });
    ASSERT_TRUE(error);
    EXPECT_EQ(error->field(), "/tmp/broken.json");
    EXPECT_THAT(error->what(), HasSubstr("invalid JSON at line 3, column 3"));
}

TEST(MalformedJson, TruncatedDocument) {
    auto error = catch_config_error([] { parse_config("{\"hint\": \"fast\"", "cut.json"); });
    ASSERT_TRUE(error);
    EXPECT_THAT(error->what(), HasSubstr("invalid JSON at line 1"));
}

TEST(MalformedJson, EmptyDocument) {
    auto error = catch_config_error([] { parse_config("", "empty.json"); });
    ASSERT_TRUE(error);
    EXPECT_EQ(error->field(), "empty.json");
    EXPECT_THAT(error->what(), HasSubstr("invalid JSON at line 1, column 1"));
}

TEST(MalformedJson, TrailingGarbage) {
    auto error = catch_config_error([] { parse_config("{}\n}", "trailing.json"); });
    ASSERT_TRUE(error);
    EXPECT_THAT(error->what(), HasSubstr("line 2, column 1"));
}

TEST(MalformedJson, DocumentMustBeAnObject) {
    auto error = catch_config_error([] { parse_config("[1, 2]", "array.json"); });
    ASSERT_TRUE(error);
    EXPECT_EQ(error->field(), "array.json");
    EXPECT_THAT(error->what(), HasSubstr("must be a JSON object, got an array"));
}

// ---- files ---------------------------------------------------------------

// A temporary file removed when the test ends.
class TempFile {
public:
    explicit TempFile(const std::string& content) {
        path_ = std::filesystem::temp_directory_path() /
                ("fmi-config-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++) + ".json");
        std::ofstream(path_) << content;
    }
    ~TempFile() { std::filesystem::remove(path_); }
    const std::filesystem::path& path() const { return path_; }

private:
    static inline int counter_ = 0;
    std::filesystem::path path_;
};

TEST(LoadConfig, ReadsAFile) {
    TempFile file(every_field_document);
    expect_same_config(load_config(file.path()), every_field_changed());
}

TEST(LoadConfig, ErrorsNameTheFile) {
    TempFile file(R"({"redis": {"port": 99999}})");
    auto error = catch_config_error([&] { load_config(file.path()); });
    ASSERT_TRUE(error);
    EXPECT_EQ(error->field(), "redis.port");
    EXPECT_THAT(error->what(), HasSubstr(file.path().string()));
}

TEST(LoadConfig, MissingFile) {
    const std::filesystem::path missing = "/nonexistent/fmi/config.json";
    auto error = catch_config_error([&] { load_config(missing); });
    ASSERT_TRUE(error);
    EXPECT_EQ(error->field(), missing.string());
    EXPECT_THAT(error->what(), HasSubstr("cannot read"));
}

TEST(LoadConfig, DirectoryIsNotAConfiguration) {
    auto error = catch_config_error([] { load_config(std::filesystem::temp_directory_path()); });
    ASSERT_TRUE(error);
    EXPECT_THAT(error->what(), HasSubstr("not a regular file"));
}

}  // namespace
}  // namespace fmi
