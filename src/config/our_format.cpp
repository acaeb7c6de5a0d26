// Our configuration format: every field of fmi::Config under the same name,
// durations in milliseconds with a "_ms" suffix (key_ttl in seconds,
// "key_ttl_s"), sizes in bytes with a "_bytes" suffix. Absent fields keep the
// defaults of include/fmi/config.hpp. The field list with types, units and
// defaults is docs/configuration.md; config_json.cpp writes the same format.
#include "config/formats.hpp"
#include "config/json_reader.hpp"

#include <limits>

namespace fmi::detail {

namespace {

using nlohmann::json;

void read_direct(const json& object, const std::string& origin, DirectOptions& direct) {
    JsonObjectReader reader(object, "direct", origin);
    reader.read_bool("enabled", direct.enabled);

    // The server is given either as "host:port" or as two fields, not both.
    std::string combined;
    bool has_combined = reader.read_string("rendezvous", combined);
    std::string host;
    bool has_host = reader.read_string("rendezvous_host", host);
    bool has_port = reader.read_small_integer("rendezvous_port", direct.rendezvous_port, 0, 65535);
    if (has_combined) {
        if (has_host || has_port)
            fail(reader.source_of("rendezvous"),
                 "give either 'rendezvous' (host:port) or 'rendezvous_host'/'rendezvous_port', not both");
        HostPort endpoint = parse_host_port(combined, reader.source_of("rendezvous"));
        direct.rendezvous_host = endpoint.host;
        direct.rendezvous_port = endpoint.port;
    }
    if (has_host) direct.rendezvous_host = check_host(host, reader.source_of("rendezvous_host"));

    if (reader.read_string("listen_host", host))
        direct.listen_host = check_host(host, reader.source_of("listen_host"));
    reader.read_millis("connect_timeout_ms", direct.connect_timeout, 1);
    reader.read_string("secret", direct.secret);
    reader.read_small_integer("socket_buffer_bytes", direct.socket_buffer_bytes, 0,
                              limits::max_socket_buffer_bytes, "bytes");
    std::size_t spin_us = static_cast<std::size_t>(direct.spin.count());
    reader.read_small_integer("spin_us", spin_us, 0, 100'000, "microseconds");
    direct.spin = std::chrono::microseconds(spin_us);
    if (reader.read_string("relay", host)) direct.relay = parse_relay_mode(host, reader.source_of("relay"));
    reader.read_millis("punch_timeout_ms", direct.punch_timeout, 1);
    reader.finish();
}

void read_redis(const json& object, const std::string& origin, RedisOptions& redis) {
    JsonObjectReader reader(object, "redis", origin);
    std::string text;
    reader.read_bool("enabled", redis.enabled);
    if (reader.read_string("host", text)) redis.host = check_host(text, reader.source_of("host"));
    reader.read_small_integer("port", redis.port, 1, 65535);
    reader.read_string("user", redis.user);
    reader.read_string("password", redis.password);
    reader.read_small_integer("database", redis.database, 0, std::numeric_limits<int>::max());
    reader.read_millis("connect_timeout_ms", redis.connect_timeout, 1);
    reader.read_millis("command_timeout_ms", redis.command_timeout, 1);
    if (reader.read_string("key_prefix", text))
        redis.key_prefix = check_key_prefix(text, reader.source_of("key_prefix"));
    reader.read_seconds("key_ttl_s", redis.key_ttl, 1);
    reader.read_small_integer("chunk_bytes", redis.chunk_bytes, 1, limits::max_redis_chunk_bytes,
                              "bytes");
    reader.finish();
}

void read_s3(const json& object, const std::string& origin, S3Options& s3) {
    JsonObjectReader reader(object, "s3", origin);
    std::string text;
    reader.read_bool("enabled", s3.enabled);
    if (reader.read_string("endpoint", text))
        s3.endpoint = check_endpoint(text, reader.source_of("endpoint"));
    if (reader.read_string("region", text)) s3.region = check_host(text, reader.source_of("region"));
    reader.read_string("bucket", s3.bucket);
    reader.read_bool("path_style", s3.path_style);
    reader.read_string("access_key_id", s3.access_key_id);
    reader.read_string("secret_access_key", s3.secret_access_key);
    reader.read_string("session_token", s3.session_token);
    reader.read_string("profile", s3.profile);
    if (reader.read_string("key_prefix", text))
        s3.key_prefix = check_key_prefix(text, reader.source_of("key_prefix"));
    reader.read_millis("connect_timeout_ms", s3.connect_timeout, 1);
    reader.read_millis("request_timeout_ms", s3.request_timeout, 1);
    reader.read_millis("poll_initial_ms", s3.poll_initial, 1);
    reader.read_millis("poll_max_ms", s3.poll_max, 1);
    reader.read_small_integer("max_retries", s3.max_retries, 0, limits::max_retries);
    reader.read_small_integer("multipart_threshold_bytes", s3.multipart_threshold, 1,
                              limits::max_multipart_threshold_bytes, "bytes");
    reader.read_small_integer("parallel_transfers", s3.parallel_transfers, 1, 64);
    reader.read_millis("finalize_timeout_ms", s3.finalize_timeout, 0);
    if (s3.poll_initial > s3.poll_max)
        fail(reader.source_of("poll_initial_ms"),
             "must not exceed s3.poll_max_ms (" + std::to_string(s3.poll_initial.count()) + " > " +
                 std::to_string(s3.poll_max.count()) + " ms)");
    reader.finish();
}

}  // namespace

std::string read_model_section(const json& value, const std::string& field, const std::string& origin) {
    if (!value.is_object())
        fail({field, origin}, "expected an object, got " + json_type_name(value));
    return value.dump();
}

Config read_our_format(const json& document, const std::string& origin) {
    Config config;
    JsonObjectReader reader(document, "", origin);

    reader.read_millis("timeout_ms", config.timeout, 0);
    std::string text;
    if (reader.read_string("hint", text)) config.hint = parse_hint(text, reader.source_of("hint"));
    if (const json* channel = reader.read_raw("channel")) {
        if (channel->is_null()) {
            config.channel.reset();
        } else if (channel->is_string()) {
            config.channel = parse_channel(channel->get<std::string>(), reader.source_of("channel"));
        } else {
            fail(reader.source_of("channel"),
                 "expected \"direct\", \"redis\", \"s3\", \"auto\" or null, got " + json_type_name(*channel));
        }
    }
    if (reader.read_string("log_level", text))
        config.log_level = canonical_log_level(text, reader.source_of("log_level"));
    reader.read_small_integer("faas_memory_mib", config.faas_memory_mib, 1,
                              limits::max_faas_memory_mib, "MiB");

    if (const json* direct = reader.read_object("direct")) read_direct(*direct, origin, config.direct);
    if (const json* redis = reader.read_object("redis")) read_redis(*redis, origin, config.redis);
    if (const json* s3 = reader.read_object("s3")) read_s3(*s3, origin, config.s3);
    if (const json* model = reader.read_raw("model"))
        config.model_json = read_model_section(*model, "model", origin);

    reader.finish();
    return config;
}

}  // namespace fmi::detail
