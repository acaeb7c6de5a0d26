// FMI_* variables override the configuration file, field by field. Values are
// parsed with the same rules and limits as the file (config/values.hpp), and
// an invalid value throws ConfigError naming the variable.
#include "config/environment.hpp"

#include "config/consistency.hpp"
#include "config/formats.hpp"
#include "config/json_reader.hpp"

#include <fmi/errors.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <limits>

extern char** environ;  // POSIX: the process environment

namespace fmi::detail {

namespace {

constexpr const char* environment_origin = "the environment";

std::int64_t integer(std::string_view value, const ValueSource& source, std::int64_t min,
                     std::int64_t max, std::string_view unit = {}) {
    return check_range(parse_integer_text(value, source), min, max, source, unit);
}

std::chrono::milliseconds millis(std::string_view value, const ValueSource& source, std::int64_t min) {
    return std::chrono::milliseconds(integer(value, source, min, limits::max_duration_ms, "ms"));
}

// FMI_MODEL names a file with the model section (what fmi-calibrate
// writes): either {"model": {...}} or the section itself.
std::string read_model_file(std::string_view path, const ValueSource& source) {
    std::ifstream in{std::string(path)};
    if (!in) fail(source, "cannot read '" + std::string(path) + "'");
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json document = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    if (document.is_discarded() || !document.is_object())
        fail(source, "'" + std::string(path) + "' is not a JSON object");
    if (document.size() == 1 && document.contains("model")) document = document["model"];
    return read_model_section(document, source.field, std::string(path));
}

const std::vector<ConfigVariable> variables = {
    // Operations and selection.
    {"FMI_TIMEOUT_MS", "timeout_ms",
     [](Config& c, std::string_view v, const ValueSource& s) { c.timeout = millis(v, s, 0); }},
    {"FMI_HINT", "hint",
     [](Config& c, std::string_view v, const ValueSource& s) { c.hint = parse_hint(v, s); }},
    {"FMI_CHANNEL", "channel",
     [](Config& c, std::string_view v, const ValueSource& s) { c.channel = parse_channel(v, s); }},
    {"FMI_LOG_LEVEL", "log_level",
     [](Config& c, std::string_view v, const ValueSource& s) { c.log_level = canonical_log_level(v, s); }},
    {"FMI_FAAS_MEMORY_MIB", "faas_memory_mib",
     [](Config& c, std::string_view v, const ValueSource& s) {
         c.faas_memory_mib = static_cast<std::size_t>(integer(v, s, 1, limits::max_faas_memory_mib, "MiB"));
     }},
    // Direct channel.
    {"FMI_RENDEZVOUS", "direct.rendezvous",
     [](Config& c, std::string_view v, const ValueSource& s) {
         HostPort endpoint = parse_host_port(v, s);
         c.direct.rendezvous_host = endpoint.host;
         c.direct.rendezvous_port = endpoint.port;
     }},
    {"FMI_DIRECT_ENABLED", "direct.enabled",
     [](Config& c, std::string_view v, const ValueSource& s) { c.direct.enabled = parse_bool_text(v, s); }},
    {"FMI_DIRECT_SECRET", "direct.secret",
     [](Config& c, std::string_view v, const ValueSource&) { c.direct.secret = std::string(v); }},
    {"FMI_DIRECT_LISTEN_HOST", "direct.listen_host",
     [](Config& c, std::string_view v, const ValueSource& s) { c.direct.listen_host = check_host(v, s); }},
    {"FMI_DIRECT_CONNECT_TIMEOUT_MS", "direct.connect_timeout_ms",
     [](Config& c, std::string_view v, const ValueSource& s) { c.direct.connect_timeout = millis(v, s, 1); }},
    {"FMI_DIRECT_RELAY", "direct.relay",
     [](Config& c, std::string_view v, const ValueSource& s) { c.direct.relay = parse_relay_mode(v, s); }},
    {"FMI_DIRECT_PUNCH_TIMEOUT_MS", "direct.punch_timeout_ms",
     [](Config& c, std::string_view v, const ValueSource& s) { c.direct.punch_timeout = millis(v, s, 1); }},
    {"FMI_DIRECT_SPIN_US", "direct.spin_us",
     [](Config& c, std::string_view v, const ValueSource& s) {
         c.direct.spin = std::chrono::microseconds(integer(v, s, 0, 100'000, "microseconds"));
     }},
    // Redis channel.
    {"FMI_REDIS_ENABLED", "redis.enabled",
     [](Config& c, std::string_view v, const ValueSource& s) { c.redis.enabled = parse_bool_text(v, s); }},
    {"FMI_REDIS_HOST", "redis.host",
     [](Config& c, std::string_view v, const ValueSource& s) { c.redis.host = check_host(v, s); }},
    {"FMI_REDIS_PORT", "redis.port",
     [](Config& c, std::string_view v, const ValueSource& s) {
         c.redis.port = static_cast<std::uint16_t>(integer(v, s, 1, 65535));
     }},
    {"FMI_REDIS_USER", "redis.user",
     [](Config& c, std::string_view v, const ValueSource&) { c.redis.user = std::string(v); }},
    {"FMI_REDIS_PASSWORD", "redis.password",
     [](Config& c, std::string_view v, const ValueSource&) { c.redis.password = std::string(v); }},
    {"FMI_REDIS_DB", "redis.database",
     [](Config& c, std::string_view v, const ValueSource& s) {
         c.redis.database = static_cast<int>(integer(v, s, 0, std::numeric_limits<int>::max()));
     }},
    {"FMI_REDIS_KEY_PREFIX", "redis.key_prefix",
     [](Config& c, std::string_view v, const ValueSource& s) { c.redis.key_prefix = check_key_prefix(v, s); }},
    {"FMI_REDIS_KEY_TTL_S", "redis.key_ttl_s",
     [](Config& c, std::string_view v, const ValueSource& s) {
         c.redis.key_ttl = std::chrono::seconds(integer(v, s, 1, limits::max_duration_s, "s"));
     }},
    // S3 channel.
    {"FMI_S3_ENABLED", "s3.enabled",
     [](Config& c, std::string_view v, const ValueSource& s) { c.s3.enabled = parse_bool_text(v, s); }},
    {"FMI_S3_ENDPOINT", "s3.endpoint",
     [](Config& c, std::string_view v, const ValueSource& s) { c.s3.endpoint = check_endpoint(v, s); }},
    {"FMI_S3_BUCKET", "s3.bucket",
     [](Config& c, std::string_view v, const ValueSource&) { c.s3.bucket = std::string(v); }},
    {"FMI_S3_REGION", "s3.region",
     [](Config& c, std::string_view v, const ValueSource& s) { c.s3.region = check_host(v, s); }},
    {"FMI_S3_PATH_STYLE", "s3.path_style",
     [](Config& c, std::string_view v, const ValueSource& s) { c.s3.path_style = parse_bool_text(v, s); }},
    {"FMI_S3_KEY_PREFIX", "s3.key_prefix",
     [](Config& c, std::string_view v, const ValueSource& s) { c.s3.key_prefix = check_key_prefix(v, s); }},
    {"FMI_S3_ACCESS_KEY_ID", "s3.access_key_id",
     [](Config& c, std::string_view v, const ValueSource&) { c.s3.access_key_id = std::string(v); }},
    {"FMI_S3_SECRET_ACCESS_KEY", "s3.secret_access_key",
     [](Config& c, std::string_view v, const ValueSource&) { c.s3.secret_access_key = std::string(v); }},
    {"FMI_S3_SESSION_TOKEN", "s3.session_token",
     [](Config& c, std::string_view v, const ValueSource&) { c.s3.session_token = std::string(v); }},
    {"FMI_S3_PROFILE", "s3.profile",
     [](Config& c, std::string_view v, const ValueSource&) { c.s3.profile = std::string(v); }},
};

const std::vector<std::string_view> non_config = {
    "FMI_PEER_ID", "FMI_NUM_PEERS", "FMI_COMM", "FMI_CONFIG",  // set by fmirun per peer
    "FMI_S3_DNS_NAME", "FMI_S3_RGW_DIR",                       // scripts/s3/start-rgw.sh
    "FMI_MODEL",  // a file holding the model section: read whole by apply_environment (docs/model.md)
};

const std::vector<std::string_view> reserved_prefixes = {"FMI_TEST_", "FMI_BENCH_", "FMI_BUILD_"};

// Names that start like these can only be meant as configuration.
const std::vector<std::string_view> section_prefixes = {"FMI_DIRECT_", "FMI_REDIS_", "FMI_S3_",
                                                        "FMI_RENDEZVOUS"};

template <class Names>
bool contains(const Names& names, std::string_view name) {
    for (std::string_view candidate : names)
        if (candidate == name) return true;
    return false;
}

template <class Names>
bool starts_with_any(std::string_view name, const Names& prefixes) {
    for (std::string_view prefix : prefixes)
        if (name.starts_with(prefix)) return true;
    return false;
}

}  // namespace

const std::vector<ConfigVariable>& config_variables() { return variables; }
const std::vector<std::string_view>& non_config_variables() { return non_config; }
const std::vector<std::string_view>& reserved_variable_prefixes() { return reserved_prefixes; }

std::vector<std::string> fmi_environment_names() {
    std::vector<std::string> names;
    for (char** entry = environ; entry && *entry; ++entry) {
        std::string_view assignment(*entry);
        if (!assignment.starts_with("FMI_")) continue;
        names.emplace_back(assignment.substr(0, assignment.find('=')));
    }
    return names;
}

void check_environment_names(const std::vector<std::string>& names) {
    for (const std::string& name : names) {
        if (!name.starts_with("FMI_")) continue;
        if (contains(non_config, name) || starts_with_any(name, reserved_prefixes)) continue;
        std::vector<std::string_view> candidates;
        for (const ConfigVariable& variable : variables) candidates.push_back(variable.name);
        candidates.insert(candidates.end(), non_config.begin(), non_config.end());
        if (contains(candidates, name)) continue;
        std::size_t best = std::numeric_limits<std::size_t>::max();
        for (std::string_view candidate : candidates) best = std::min(best, edit_distance(name, candidate));
        if (best <= 2 || starts_with_any(name, section_prefixes)) {
            std::string message = "unknown configuration variable";
            std::string closest = suggest_name(name, candidates);
            if (!closest.empty()) message += " (did you mean " + closest + "?)";
            message += "; docs/configuration.md lists the FMI_* variables";
            fail({name, environment_origin}, message);
        }
    }
}

void apply_process_environment(Config& config) {
    check_environment_names(fmi_environment_names());
    apply_environment(config, process_environment());
}

}  // namespace fmi::detail

namespace fmi {

EnvLookup process_environment() {
    return [](std::string_view name) -> std::optional<std::string> {
        const char* value = std::getenv(std::string(name).c_str());
        if (!value) return std::nullopt;
        return std::string(value);
    };
}

void apply_environment(Config& config, const EnvLookup& env) {
    for (const detail::ConfigVariable& variable : detail::config_variables()) {
        std::optional<std::string> value = env(variable.name);
        if (value) variable.apply(config, *value, {std::string(variable.name), detail::environment_origin});
    }
    if (std::optional<std::string> path = env("FMI_MODEL"))
        config.model_json = detail::read_model_file(*path, {"FMI_MODEL", detail::environment_origin});
    detail::check_consistency(config);
}

}  // namespace fmi
