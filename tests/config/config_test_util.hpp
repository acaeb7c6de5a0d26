// Helpers for the configuration tests: catching a ConfigError to inspect its
// field, and comparing two Configs field by field (so a failure names the
// field that differs).
#pragma once

#include <fmi/config.hpp>
#include <fmi/errors.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace fmi::test {

/// Runs `body`, which must throw ConfigError; returns it (nullopt and a test
/// failure otherwise).
template <class Body>
std::optional<ConfigError> catch_config_error(Body&& body) {
    try {
        body();
    } catch (const ConfigError& error) {
        return error;
    } catch (const std::exception& other) {
        ADD_FAILURE() << "expected ConfigError, got another exception: " << other.what();
        return std::nullopt;
    }
    ADD_FAILURE() << "expected ConfigError, nothing was thrown";
    return std::nullopt;
}

inline void expect_same_config(const Config& actual, const Config& expected) {
    EXPECT_EQ(actual.timeout, expected.timeout);
    EXPECT_EQ(actual.hint, expected.hint);
    EXPECT_EQ(actual.channel, expected.channel);
    EXPECT_EQ(actual.log_level, expected.log_level);
    EXPECT_EQ(actual.faas_memory_mib, expected.faas_memory_mib);
    EXPECT_EQ(actual.model_json, expected.model_json);

    EXPECT_EQ(actual.direct.enabled, expected.direct.enabled);
    EXPECT_EQ(actual.direct.rendezvous_host, expected.direct.rendezvous_host);
    EXPECT_EQ(actual.direct.rendezvous_port, expected.direct.rendezvous_port);
    EXPECT_EQ(actual.direct.listen_host, expected.direct.listen_host);
    EXPECT_EQ(actual.direct.connect_timeout, expected.direct.connect_timeout);
    EXPECT_EQ(actual.direct.secret, expected.direct.secret);
    EXPECT_EQ(actual.direct.socket_buffer_bytes, expected.direct.socket_buffer_bytes);
    EXPECT_EQ(actual.direct.spin, expected.direct.spin);

    EXPECT_EQ(actual.redis.enabled, expected.redis.enabled);
    EXPECT_EQ(actual.redis.host, expected.redis.host);
    EXPECT_EQ(actual.redis.port, expected.redis.port);
    EXPECT_EQ(actual.redis.user, expected.redis.user);
    EXPECT_EQ(actual.redis.password, expected.redis.password);
    EXPECT_EQ(actual.redis.database, expected.redis.database);
    EXPECT_EQ(actual.redis.connect_timeout, expected.redis.connect_timeout);
    EXPECT_EQ(actual.redis.command_timeout, expected.redis.command_timeout);
    EXPECT_EQ(actual.redis.key_prefix, expected.redis.key_prefix);
    EXPECT_EQ(actual.redis.key_ttl, expected.redis.key_ttl);
    EXPECT_EQ(actual.redis.chunk_bytes, expected.redis.chunk_bytes);

    EXPECT_EQ(actual.s3.enabled, expected.s3.enabled);
    EXPECT_EQ(actual.s3.endpoint, expected.s3.endpoint);
    EXPECT_EQ(actual.s3.region, expected.s3.region);
    EXPECT_EQ(actual.s3.bucket, expected.s3.bucket);
    EXPECT_EQ(actual.s3.path_style, expected.s3.path_style);
    EXPECT_EQ(actual.s3.access_key_id, expected.s3.access_key_id);
    EXPECT_EQ(actual.s3.secret_access_key, expected.s3.secret_access_key);
    EXPECT_EQ(actual.s3.session_token, expected.s3.session_token);
    EXPECT_EQ(actual.s3.profile, expected.s3.profile);
    EXPECT_EQ(actual.s3.key_prefix, expected.s3.key_prefix);
    EXPECT_EQ(actual.s3.connect_timeout, expected.s3.connect_timeout);
    EXPECT_EQ(actual.s3.request_timeout, expected.s3.request_timeout);
    EXPECT_EQ(actual.s3.poll_initial, expected.s3.poll_initial);
    EXPECT_EQ(actual.s3.poll_max, expected.s3.poll_max);
    EXPECT_EQ(actual.s3.max_retries, expected.s3.max_retries);
    EXPECT_EQ(actual.s3.multipart_threshold, expected.s3.multipart_threshold);
    EXPECT_EQ(actual.s3.parallel_transfers, expected.s3.parallel_transfers);
    EXPECT_EQ(actual.s3.finalize_timeout, expected.s3.finalize_timeout);
}

}  // namespace fmi::test
