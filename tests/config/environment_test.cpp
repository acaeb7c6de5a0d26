// FMI_* environment overrides: every variable sets its field, invalid values
// name the variable, whole-config checks run after the environment, and
// misspelled variables are caught.
#include "config/environment.hpp"
#include "config_test_util.hpp"

#include <fmi/config.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <map>
#include <set>

namespace fmi {
namespace {

using namespace std::chrono_literals;
using test::catch_config_error;
using ::testing::HasSubstr;

EnvLookup lookup_in(std::map<std::string, std::string> variables) {
    return [variables = std::move(variables)](std::string_view name) -> std::optional<std::string> {
        auto it = variables.find(std::string(name));
        if (it == variables.end()) return std::nullopt;
        return it->second;
    };
}

Config with_environment(Config config, std::map<std::string, std::string> variables) {
    apply_environment(config, lookup_in(std::move(variables)));
    return config;
}

// One variable, a value, and what it must change.
struct Override {
    std::string name;
    std::string value;
    std::function<void(const Config&)> check;
};

const std::vector<Override>& overrides() {
    static const std::vector<Override> table = {
        {"FMI_TIMEOUT_MS", "2500", [](const Config& c) { EXPECT_EQ(c.timeout, 2500ms); }},
        {"FMI_HINT", "fast", [](const Config& c) { EXPECT_EQ(c.hint, Hint::fast); }},
        {"FMI_CHANNEL", "direct", [](const Config& c) { EXPECT_EQ(c.channel, ChannelKind::direct); }},
        {"FMI_LOG_LEVEL", "warning", [](const Config& c) { EXPECT_EQ(c.log_level, "warn"); }},
        {"FMI_FAAS_MEMORY_MIB", "1769", [](const Config& c) { EXPECT_EQ(c.faas_memory_mib, 1769u); }},
        {"FMI_RENDEZVOUS", "10.0.0.7:7100", [](const Config& c) {
             EXPECT_EQ(c.direct.rendezvous_host, "10.0.0.7");
             EXPECT_EQ(c.direct.rendezvous_port, 7100);
         }},
        {"FMI_DIRECT_ENABLED", "off", [](const Config& c) { EXPECT_FALSE(c.direct.enabled); }},
        {"FMI_DIRECT_SECRET", "token-1", [](const Config& c) { EXPECT_EQ(c.direct.secret, "token-1"); }},
        {"FMI_DIRECT_LISTEN_HOST", "127.0.0.1", [](const Config& c) { EXPECT_EQ(c.direct.listen_host, "127.0.0.1"); }},
        {"FMI_DIRECT_CONNECT_TIMEOUT_MS", "9000", [](const Config& c) { EXPECT_EQ(c.direct.connect_timeout, 9000ms); }},
        {"FMI_DIRECT_RELAY", "force", [](const Config& c) { EXPECT_EQ(c.direct.relay, DirectOptions::Relay::force); }},
        {"FMI_DIRECT_PUNCH_TIMEOUT_MS", "1234", [](const Config& c) { EXPECT_EQ(c.direct.punch_timeout, 1234ms); }},
        {"FMI_DIRECT_SPIN_US", "0", [](const Config& c) { EXPECT_EQ(c.direct.spin, std::chrono::microseconds(0)); }},
        {"FMI_REDIS_ENABLED", "yes", [](const Config& c) { EXPECT_TRUE(c.redis.enabled); }},
        {"FMI_REDIS_HOST", "cache.internal", [](const Config& c) { EXPECT_EQ(c.redis.host, "cache.internal"); }},
        {"FMI_REDIS_PORT", "6390", [](const Config& c) { EXPECT_EQ(c.redis.port, 6390); }},
        {"FMI_REDIS_USER", "bob", [](const Config& c) { EXPECT_EQ(c.redis.user, "bob"); }},
        {"FMI_REDIS_PASSWORD", "hunter2", [](const Config& c) { EXPECT_EQ(c.redis.password, "hunter2"); }},
        {"FMI_REDIS_DB", "5", [](const Config& c) { EXPECT_EQ(c.redis.database, 5); }},
        {"FMI_REDIS_KEY_PREFIX", "exp7", [](const Config& c) { EXPECT_EQ(c.redis.key_prefix, "exp7"); }},
        {"FMI_REDIS_KEY_TTL_S", "120", [](const Config& c) { EXPECT_EQ(c.redis.key_ttl, 120s); }},
        {"FMI_S3_ENABLED", "true", [](const Config& c) { EXPECT_TRUE(c.s3.enabled); }},
        {"FMI_S3_ENDPOINT", "https://s3.example.org", [](const Config& c) { EXPECT_EQ(c.s3.endpoint, "https://s3.example.org"); }},
        {"FMI_S3_BUCKET", "bucket-9", [](const Config& c) { EXPECT_EQ(c.s3.bucket, "bucket-9"); }},
        {"FMI_S3_REGION", "ap-south-1", [](const Config& c) { EXPECT_EQ(c.s3.region, "ap-south-1"); }},
        {"FMI_S3_PATH_STYLE", "1", [](const Config& c) { EXPECT_TRUE(c.s3.path_style); }},
        {"FMI_S3_KEY_PREFIX", "tmp/fmi", [](const Config& c) { EXPECT_EQ(c.s3.key_prefix, "tmp/fmi"); }},
        {"FMI_S3_ACCESS_KEY_ID", "AKID", [](const Config& c) { EXPECT_EQ(c.s3.access_key_id, "AKID"); }},
        {"FMI_S3_SECRET_ACCESS_KEY", "SECRET", [](const Config& c) { EXPECT_EQ(c.s3.secret_access_key, "SECRET"); }},
        {"FMI_S3_SESSION_TOKEN", "TOKEN", [](const Config& c) { EXPECT_EQ(c.s3.session_token, "TOKEN"); }},
        {"FMI_S3_PROFILE", "prod", [](const Config& c) { EXPECT_EQ(c.s3.profile, "prod"); }},
    };
    return table;
}

TEST(Environment, EveryVariableOverridesItsField) {
    for (const Override& o : overrides()) {
        SCOPED_TRACE(o.name + "=" + o.value);
        Config base;
        // Keep the whole-config checks satisfied (a pinned channel enabled,
        // a bucket for s3) so each variable is tested alone.
        base.s3.bucket = "base-bucket";
        Config c = with_environment(base, {{o.name, o.value}});
        o.check(c);
    }
}

TEST(Environment, EveryDocumentedVariableIsTested) {
    std::set<std::string> tested;
    for (const Override& o : overrides()) tested.insert(o.name);
    for (const auto& variable : detail::config_variables())
        EXPECT_TRUE(tested.count(std::string(variable.name))) << variable.name << " has no test";
    EXPECT_EQ(tested.size(), detail::config_variables().size());
}

TEST(Environment, OverridesTheFile) {
    Config file = parse_config(R"({"timeout_ms": 1000, "redis": {"enabled": true, "port": 7000}})");
    Config c = with_environment(file, {{"FMI_REDIS_PORT", "7001"}, {"FMI_TIMEOUT_MS", "0"}});
    EXPECT_EQ(c.redis.port, 7001);
    EXPECT_EQ(c.timeout, 0ms);
    EXPECT_TRUE(c.redis.enabled);  // untouched fields keep the file's value
}

TEST(Environment, NoVariablesChangeNothing) {
    Config file = parse_config(R"({"hint": "fast", "redis": {"port": 7000}})");
    test::expect_same_config(with_environment(file, {}), file);
}

TEST(Environment, ChannelAutoUnpinsTheFile) {
    Config file = parse_config(R"({"channel": "direct"})");
    EXPECT_FALSE(with_environment(file, {{"FMI_CHANNEL", "auto"}}).channel.has_value());
}

TEST(Environment, EmptySecretsAreValues) {
    Config file = parse_config(R"({"redis": {"password": "from-file"}, "direct": {"secret": "x"}})");
    Config c = with_environment(file, {{"FMI_REDIS_PASSWORD", ""}, {"FMI_DIRECT_SECRET", ""}});
    EXPECT_EQ(c.redis.password, "");
    EXPECT_EQ(c.direct.secret, "");
}

struct BadVariable {
    const char* name;
    const char* value;
    const char* message_part;
};

void PrintTo(const BadVariable& bad, std::ostream* out) { *out << bad.name << "=" << bad.value; }

class EnvironmentRejects : public ::testing::TestWithParam<BadVariable> {};

TEST_P(EnvironmentRejects, NamingTheVariable) {
    const BadVariable& bad = GetParam();
    auto error = catch_config_error([&] { with_environment(Config{}, {{bad.name, bad.value}}); });
    ASSERT_TRUE(error);
    EXPECT_EQ(error->field(), bad.name);
    EXPECT_THAT(error->what(), HasSubstr(bad.message_part));
    EXPECT_THAT(error->what(), HasSubstr("environment"));
}

const BadVariable bad_variables[] = {
    {"FMI_REDIS_PORT", "abc", "expected an integer, got 'abc'"},
    {"FMI_REDIS_PORT", "70000", "between 1 and 65535"},
    {"FMI_REDIS_PORT", "", "expected an integer"},
    {"FMI_REDIS_PORT", " 6379", "expected an integer"},
    {"FMI_TIMEOUT_MS", "-5", "(got -5 ms)"},
    {"FMI_TIMEOUT_MS", "10s", "expected an integer, got '10s'"},
    {"FMI_TIMEOUT_MS", "99999999999999999999", "out of range"},
    {"FMI_HINT", "slow", "unknown hint 'slow'"},
    {"FMI_CHANNEL", "sqs", "unknown channel 'sqs'"},
    {"FMI_LOG_LEVEL", "loud", "unknown log level"},
    {"FMI_FAAS_MEMORY_MIB", "0", "between 1 and"},
    {"FMI_RENDEZVOUS", "localhost", "expected host:port"},
    {"FMI_RENDEZVOUS", "localhost:0", "between 1 and 65535"},
    {"FMI_RENDEZVOUS", ":7000", "expected host:port"},
    {"FMI_DIRECT_ENABLED", "maybe", "expected a boolean"},
    {"FMI_DIRECT_CONNECT_TIMEOUT_MS", "0", "between 1 and"},
    {"FMI_DIRECT_SPIN_US", "100001", "between 0 and"},
    {"FMI_DIRECT_LISTEN_HOST", "", "must not be empty"},
    {"FMI_REDIS_DB", "-1", "(got -1)"},
    {"FMI_REDIS_KEY_TTL_S", "0", "(got 0 s)"},
    {"FMI_REDIS_KEY_PREFIX", "has space", "printable ASCII"},
    {"FMI_REDIS_HOST", "", "must not be empty"},
    {"FMI_S3_ENDPOINT", "s3.amazonaws.com", "http://"},
    {"FMI_S3_PATH_STYLE", "2", "expected a boolean"},
    {"FMI_S3_REGION", "", "must not be empty"},
};

INSTANTIATE_TEST_SUITE_P(Cases, EnvironmentRejects, ::testing::ValuesIn(bad_variables),
                         [](const auto& info) {
                             return std::string(info.param.name) + "_" + std::to_string(info.index);
                         });

// ---- whole-configuration checks, after the environment -------------------

TEST(Consistency, PinnedChannelMustBeEnabled) {
    auto error = catch_config_error([] { with_environment(Config{}, {{"FMI_CHANNEL", "redis"}}); });
    ASSERT_TRUE(error);
    EXPECT_EQ(error->field(), "channel");
    EXPECT_THAT(error->what(), HasSubstr("FMI_REDIS_ENABLED"));
    Config c = with_environment(Config{}, {{"FMI_CHANNEL", "redis"}, {"FMI_REDIS_ENABLED", "1"}});
    EXPECT_EQ(c.channel, ChannelKind::redis);
}

TEST(Consistency, EnvironmentMayCompleteTheFile) {
    // The file enables s3 without a bucket; the deployment names it.
    Config file = parse_config(R"({"s3": {"enabled": true}})");
    auto error = catch_config_error([&] { with_environment(file, {}); });
    ASSERT_TRUE(error);
    EXPECT_EQ(error->field(), "s3.bucket");
    EXPECT_EQ(with_environment(file, {{"FMI_S3_BUCKET", "jobs"}}).s3.bucket, "jobs");
}

TEST(Consistency, ChecksAConfigBuiltInCode) {
    Config c;
    c.s3.poll_initial = 300ms;
    c.s3.poll_max = 100ms;
    auto error = catch_config_error([&] { apply_environment(c, lookup_in({})); });
    ASSERT_TRUE(error);
    EXPECT_EQ(error->field(), "s3.poll_initial_ms");
}

// ---- misspelled variables -------------------------------------------------

TEST(EnvironmentNames, KnownAndProcessVariablesPass) {
    std::vector<std::string> names;
    for (const auto& variable : detail::config_variables()) names.emplace_back(variable.name);
    for (auto name : {"FMI_PEER_ID", "FMI_NUM_PEERS", "FMI_COMM", "FMI_CONFIG", "FMI_S3_DNS_NAME",
                      "FMI_S3_RGW_DIR", "FMI_TEST_PEER", "FMI_BENCH_SIZES", "FMI_BUILD_DIR",
                      "FMI_RGW_KEEP_ON_FAILURE", "PATH", "HOME"})
        names.emplace_back(name);
    EXPECT_NO_THROW(detail::check_environment_names(names));
}

struct Misspelled {
    const char* name;
    const char* suggestion;  // empty: none expected
};

void PrintTo(const Misspelled& bad, std::ostream* out) { *out << bad.name; }

class EnvironmentNamesReject : public ::testing::TestWithParam<Misspelled> {};

TEST_P(EnvironmentNamesReject, NamingTheVariable) {
    const Misspelled& bad = GetParam();
    auto error = catch_config_error([&] { detail::check_environment_names({"FMI_PEER_ID", bad.name}); });
    ASSERT_TRUE(error);
    EXPECT_EQ(error->field(), bad.name);
    EXPECT_THAT(error->what(), HasSubstr("unknown configuration variable"));
    if (*bad.suggestion) {
        EXPECT_THAT(error->what(), HasSubstr(std::string("did you mean ") + bad.suggestion));
    } else {
        EXPECT_THAT(error->what(), ::testing::Not(HasSubstr("did you mean")));
    }
}

const Misspelled misspelled[] = {
    {"FMI_REDIS_PROT", "FMI_REDIS_PORT"},
    {"FMI_TIMOUT_MS", "FMI_TIMEOUT_MS"},
    {"FMI_REDIS_PASSWD", "FMI_REDIS_PASSWORD"},
    {"FMI_S3_BUCKETS", "FMI_S3_BUCKET"},
    {"FMI_NUM_PEER", "FMI_NUM_PEERS"},
    {"FMI_RENDEZVOUS_HOST", "FMI_RENDEZVOUS"},  // a section prefix, but no such variable
    {"FMI_DIRECT_TIMEOUT_MS", "FMI_DIRECT_PUNCH_TIMEOUT_MS"},  // nearest by edit distance (6 vs 7 to FMI_TIMEOUT_MS)
    {"FMI_S3_XYZZY", ""},  // a section prefix, nothing close
};

INSTANTIATE_TEST_SUITE_P(Cases, EnvironmentNamesReject, ::testing::ValuesIn(misspelled),
                         [](const auto& info) { return std::string(info.param.name); });

// Sets a variable of the real process environment for one test.
class ScopedVariable {
public:
    ScopedVariable(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
    ~ScopedVariable() { ::unsetenv(name_); }

private:
    const char* name_;
};

TEST(ProcessEnvironment, ListsAndLooksUpFmiVariables) {
    ScopedVariable probe("FMI_TEST_CONFIG_PROBE", "42");
    auto names = detail::fmi_environment_names();
    EXPECT_THAT(names, ::testing::Contains("FMI_TEST_CONFIG_PROBE"));
    for (const auto& name : names) EXPECT_TRUE(name.starts_with("FMI_")) << name;
    EXPECT_EQ(process_environment()("FMI_TEST_CONFIG_PROBE"), "42");
    EXPECT_FALSE(process_environment()("FMI_TEST_CONFIG_SURELY_UNSET").has_value());
}

TEST(ProcessEnvironment, ApplyProcessEnvironmentCatchesTypos) {
    ScopedVariable typo("FMI_REDIS_PROT", "6379");
    Config c;
    auto error = catch_config_error([&] { detail::apply_process_environment(c); });
    ASSERT_TRUE(error);
    EXPECT_EQ(error->field(), "FMI_REDIS_PROT");
}

}  // namespace
}  // namespace fmi
