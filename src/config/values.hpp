// Value parsing shared by the two places configuration comes from: JSON files
// (typed values) and FMI_* environment variables (text). Every parser names the
// offending field (dotted path or variable name) and where it came from, so a
// ConfigError alone tells the user what to fix.
#pragma once

#include <fmi/config.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fmi::detail {

/// The value being parsed: its field ("redis.port", "FMI_REDIS_PORT") and its
/// origin (a file path, or "the environment").
struct ValueSource {
    std::string field;
    std::string origin;
};

/// Throws ConfigError(source.field, problem + " (in <origin>)").
[[noreturn]] void fail(const ValueSource& source, const std::string& problem);

/// Limits shared by both formats, so the file and the environment agree.
namespace limits {
/// Longest duration accepted anywhere (30 days): far beyond any sensible
/// deadline, and small enough that now() + duration never overflows.
inline constexpr std::int64_t max_duration_ms = 30LL * 24 * 3600 * 1000;
inline constexpr std::int64_t max_duration_s = max_duration_ms / 1000;
/// Redis refuses bulk strings larger than 512 MiB.
inline constexpr std::int64_t max_redis_chunk_bytes = 512LL << 20;
inline constexpr std::int64_t max_socket_buffer_bytes = 1LL << 30;
inline constexpr std::int64_t max_multipart_threshold_bytes = 5LL << 40;  // S3 object limit: 5 TiB
inline constexpr std::int64_t max_retries = 100;
inline constexpr std::int64_t max_faas_memory_mib = 1LL << 20;  // 1 TiB
}  // namespace limits

/// Checks min <= value <= max; `unit` (may be empty) is named in the message.
std::int64_t check_range(std::int64_t value, std::int64_t min, std::int64_t max,
                         const ValueSource& source, std::string_view unit = {});

/// A decimal integer, optionally negative, with nothing else around it.
std::int64_t parse_integer_text(std::string_view text, const ValueSource& source);

/// true/false, 1/0, yes/no, on/off (any case).
bool parse_bool_text(std::string_view text, const ValueSource& source);

/// "fast" or "cheap".
Hint parse_hint(std::string_view text, const ValueSource& source);

/// "direct", "redis", "s3", or "auto" (nullopt: chosen per operation).
std::optional<ChannelKind> parse_channel(std::string_view text, const ValueSource& source);

/// Validates a log level (see core/logger.hpp) and returns its canonical name
/// ("warning" becomes "warn").
std::string canonical_log_level(std::string_view text, const ValueSource& source);

/// "auto", "force" or "never" (direct.relay); anything else fails naming the field.
DirectOptions::Relay parse_relay_mode(std::string_view text, const ValueSource& source);
const char* to_string(DirectOptions::Relay mode) noexcept;

/// A host name or address (or a region name): non-empty, no whitespace or
/// control characters.
std::string check_host(std::string_view text, const ValueSource& source);

/// A key prefix for Redis keys or S3 object names: non-empty, printable ASCII
/// without spaces (keys are built from it, docs/configuration.md).
std::string check_key_prefix(std::string_view text, const ValueSource& source);

/// An S3 endpoint URL: empty (AWS) or starting with http:// or https://.
std::string check_endpoint(std::string_view text, const ValueSource& source);

struct HostPort {
    std::string host;
    std::uint16_t port = 0;
};

/// "host:port", "1.2.3.4:port" or "[v6-address]:port", port 1..65535.
HostPort parse_host_port(std::string_view text, const ValueSource& source);

}  // namespace fmi::detail
