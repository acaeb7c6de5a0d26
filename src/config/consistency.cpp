#include "config/consistency.hpp"

#include <fmi/errors.hpp>

#include <string>

namespace fmi::detail {

namespace {

bool enabled(const Config& config, ChannelKind kind) {
    switch (kind) {
        case ChannelKind::direct: return config.direct.enabled;
        case ChannelKind::redis: return config.redis.enabled;
        case ChannelKind::s3: return config.s3.enabled;
    }
    return false;
}

const char* enabling_variable(ChannelKind kind) {
    switch (kind) {
        case ChannelKind::direct: return "direct.enabled or FMI_DIRECT_ENABLED=1";
        case ChannelKind::redis: return "redis.enabled or FMI_REDIS_ENABLED=1";
        case ChannelKind::s3: return "s3.enabled or FMI_S3_ENABLED=1";
    }
    return "";
}

}  // namespace

void check_consistency(const Config& config) {
    if (config.channel && !enabled(config, *config.channel)) {
        const std::string name = to_string(*config.channel);
        throw ConfigError("channel", "every operation is pinned to the " + name +
                                         " channel, which is disabled (enable it with " +
                                         enabling_variable(*config.channel) + ")");
    }
    if (config.s3.enabled && config.s3.bucket.empty())
        throw ConfigError("s3.bucket", "the s3 channel is enabled but no bucket is named "
                                       "(set s3.bucket or FMI_S3_BUCKET)");
    if (config.s3.poll_initial.count() <= 0 || config.s3.poll_initial > config.s3.poll_max)
        throw ConfigError("s3.poll_initial_ms",
                          "must be at least 1 ms and at most s3.poll_max_ms (got " +
                              std::to_string(config.s3.poll_initial.count()) + " and " +
                              std::to_string(config.s3.poll_max.count()) + " ms)");
    if (config.timeout.count() < 0)
        throw ConfigError("timeout_ms", "must not be negative (got " +
                                            std::to_string(config.timeout.count()) + " ms)");
}

}  // namespace fmi::detail
