// The original FMI's configuration file, accepted unchanged:
//
//   {"backends": {"S3": {...}, "Redis": {...}, "Direct": {...}}, "model": {...}}
//
// Mapping (docs/configuration.md has the full table):
//   - a backend is enabled by its "enabled" flag; a listed backend without the
//     flag is enabled (the original's Configuration treated it so), an absent
//     backend is disabled;
//   - Direct host/port name the rendezvous server (the original's TCPunch
//     server); Redis host/port the Redis server;
//   - S3 bucket_name/s3_region; S3 "timeout" (its polling interval, ms) becomes
//     our first poll interval, "max_timeout" the cap of our poll back-off;
//   - Redis "timeout" was its GET-polling interval: our Redis channel blocks
//     server-side instead, so it has no meaning and is ignored;
//   - Redis and Direct "max_timeout" were per-wait / per-socket-transfer
//     timeouts (1 s in the published file) that failed jobs with a single
//     straggler or cold start. They are validated and ignored: every operation
//     has one deadline, "timeout_ms" of our format or FMI_TIMEOUT_MS (60 s);
//   - "model" (or the older name "performance") is kept as text for the
//     channel selection.
// The original read its file with boost::property_tree, which stores every
// value as text, so numbers and booleans written as strings are accepted here.
#include "config/formats.hpp"
#include "config/json_reader.hpp"

#include <algorithm>

namespace fmi::detail {

namespace {

using nlohmann::json;
using Typing = JsonObjectReader::Typing;

bool read_enabled(JsonObjectReader& reader) {
    bool enabled = true;
    reader.read_bool("enabled", enabled);
    return enabled;
}

void read_s3_backend(const json& object, const std::string& origin, S3Options& s3) {
    JsonObjectReader reader(object, "backends.S3", origin, Typing::allow_strings);
    s3.enabled = read_enabled(reader);
    reader.read_string("bucket_name", s3.bucket);
    std::string region;
    if (reader.read_string("s3_region", region))
        s3.region = check_host(region, reader.source_of("s3_region"));
    reader.read_millis("timeout", s3.poll_initial, 1);
    bool has_max = reader.read_millis("max_timeout", s3.poll_max, 1);
    // Without max_timeout, a long polling interval simply raises the cap.
    if (!has_max) s3.poll_max = std::max(s3.poll_max, s3.poll_initial);
    if (s3.poll_initial > s3.poll_max)
        fail(reader.source_of("timeout"),
             "the polling interval must not exceed max_timeout (" +
                 std::to_string(s3.poll_initial.count()) + " > " + std::to_string(s3.poll_max.count()) +
                 " ms)");
    reader.finish();
}

void read_redis_backend(const json& object, const std::string& origin, RedisOptions& redis) {
    JsonObjectReader reader(object, "backends.Redis", origin, Typing::allow_strings);
    redis.enabled = read_enabled(reader);
    std::string host;
    if (reader.read_string("host", host)) redis.host = check_host(host, reader.source_of("host"));
    reader.read_small_integer("port", redis.port, 1, 65535);
    std::int64_t ignored = 0;
    reader.read_integer("timeout", ignored, 0, limits::max_duration_ms, "ms");
    reader.read_integer("max_timeout", ignored, 0, limits::max_duration_ms, "ms");
    reader.finish();
}

void read_direct_backend(const json& object, const std::string& origin, DirectOptions& direct) {
    JsonObjectReader reader(object, "backends.Direct", origin, Typing::allow_strings);
    direct.enabled = read_enabled(reader);
    std::string host;
    if (reader.read_string("host", host))
        direct.rendezvous_host = check_host(host, reader.source_of("host"));
    reader.read_small_integer("port", direct.rendezvous_port, 0, 65535);
    std::int64_t ignored = 0;
    reader.read_integer("max_timeout", ignored, 0, limits::max_duration_ms, "ms");
    reader.finish();
}

}  // namespace

Config read_original_format(const json& document, const std::string& origin) {
    Config config;
    // Only the backends listed in the file are used.
    config.direct.enabled = false;
    config.redis.enabled = false;
    config.s3.enabled = false;

    JsonObjectReader top(document, "", origin);
    const json* backends_value = top.read_object("backends");
    JsonObjectReader backends(*backends_value, "backends", origin);
    if (const json* s3 = backends.read_object("S3")) read_s3_backend(*s3, origin, config.s3);
    if (const json* redis = backends.read_object("Redis")) read_redis_backend(*redis, origin, config.redis);
    if (const json* direct = backends.read_object("Direct")) read_direct_backend(*direct, origin, config.direct);
    backends.finish("the original format knows the backends S3, Redis and Direct");

    const json* model = top.read_raw("model");
    const json* performance = top.read_raw("performance");
    if (model && performance)
        fail(top.source_of("performance"),
             "give either 'model' or its older name 'performance', not both");
    if (model) config.model_json = read_model_section(*model, "model", origin);
    if (performance) config.model_json = read_model_section(*performance, "performance", origin);

    top.finish("a file with 'backends' is read as the original FMI format, which has only "
               "'backends' and 'model'; use our format (docs/configuration.md) or FMI_* variables "
               "for other settings");
    return config;
}

}  // namespace fmi::detail
