#include "config/config_json.hpp"

#include "config/values.hpp"

#include <fmi/errors.hpp>

#include <nlohmann/json.hpp>

namespace fmi::detail {

std::string config_to_json(const Config& config) {
    using nlohmann::ordered_json;  // keep the documented field order
    ordered_json document;
    document["timeout_ms"] = config.timeout.count();
    document["hint"] = to_string(config.hint);
    document["channel"] = config.channel ? ordered_json(to_string(*config.channel)) : ordered_json(nullptr);
    document["log_level"] = config.log_level;
    document["faas_memory_mib"] = config.faas_memory_mib;

    const DirectOptions& direct = config.direct;
    document["direct"] = {
        {"enabled", direct.enabled},
        {"rendezvous_host", direct.rendezvous_host},
        {"rendezvous_port", direct.rendezvous_port},
        {"listen_host", direct.listen_host},
        {"connect_timeout_ms", direct.connect_timeout.count()},
        {"secret", direct.secret},
        {"socket_buffer_bytes", direct.socket_buffer_bytes},
        {"spin_us", direct.spin.count()},
        {"relay", to_string(direct.relay)},
        {"punch_timeout_ms", direct.punch_timeout.count()},
    };

    const RedisOptions& redis = config.redis;
    document["redis"] = {
        {"enabled", redis.enabled},
        {"host", redis.host},
        {"port", redis.port},
        {"user", redis.user},
        {"password", redis.password},
        {"database", redis.database},
        {"connect_timeout_ms", redis.connect_timeout.count()},
        {"command_timeout_ms", redis.command_timeout.count()},
        {"key_prefix", redis.key_prefix},
        {"key_ttl_s", redis.key_ttl.count()},
        {"chunk_bytes", redis.chunk_bytes},
    };

    const S3Options& s3 = config.s3;
    document["s3"] = {
        {"enabled", s3.enabled},
        {"endpoint", s3.endpoint},
        {"region", s3.region},
        {"bucket", s3.bucket},
        {"path_style", s3.path_style},
        {"access_key_id", s3.access_key_id},
        {"secret_access_key", s3.secret_access_key},
        {"session_token", s3.session_token},
        {"profile", s3.profile},
        {"key_prefix", s3.key_prefix},
        {"connect_timeout_ms", s3.connect_timeout.count()},
        {"request_timeout_ms", s3.request_timeout.count()},
        {"poll_initial_ms", s3.poll_initial.count()},
        {"poll_max_ms", s3.poll_max.count()},
        {"max_retries", s3.max_retries},
        {"multipart_threshold_bytes", s3.multipart_threshold},
        {"parallel_transfers", s3.parallel_transfers},
        {"finalize_timeout_ms", s3.finalize_timeout.count()},
    };

    // model_json was validated as an object when it was parsed; a Config
    // built in code may hold anything.
    ordered_json model = ordered_json::parse(config.model_json, nullptr, /*allow_exceptions=*/false);
    if (!model.is_object())
        throw ConfigError("model", "model_json is not the text of a JSON object");
    document["model"] = std::move(model);
    return document.dump(2) + "\n";
}

}  // namespace fmi::detail
