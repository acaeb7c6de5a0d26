#include "config/values.hpp"

#include "core/logger.hpp"

#include <fmi/errors.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace fmi::detail {

namespace {

std::string quoted(std::string_view text) {
    // Cut very long values so a pasted document does not flood the message.
    constexpr std::size_t max_shown = 80;
    std::string out = "'";
    out += text.substr(0, max_shown);
    if (text.size() > max_shown) out += "...";
    out += "'";
    return out;
}

std::string lowercase(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool has_space_or_control(std::string_view text) {
    return std::any_of(text.begin(), text.end(), [](unsigned char c) {
        return std::isspace(c) || std::iscntrl(c);
    });
}

}  // namespace

void fail(const ValueSource& source, const std::string& problem) {
    throw ConfigError(source.field, problem + " (in " + source.origin + ")");
}

std::int64_t check_range(std::int64_t value, std::int64_t min, std::int64_t max,
                         const ValueSource& source, std::string_view unit) {
    if (value < min || value > max) {
        std::string suffix = unit.empty() ? "" : " " + std::string(unit);
        fail(source, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                         suffix + " (got " + std::to_string(value) + suffix + ")");
    }
    return value;
}

std::int64_t parse_integer_text(std::string_view text, const ValueSource& source) {
    std::int64_t value = 0;
    const char* begin = text.data();
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(begin, end, value);
    if (text.empty() || ec == std::errc::invalid_argument || ptr != end)
        fail(source, "expected an integer, got " + quoted(text));
    if (ec == std::errc::result_out_of_range)
        fail(source, "integer " + quoted(text) + " is out of range");
    return value;
}

bool parse_bool_text(std::string_view text, const ValueSource& source) {
    const std::string value = lowercase(text);
    if (value == "true" || value == "1" || value == "yes" || value == "on") return true;
    if (value == "false" || value == "0" || value == "no" || value == "off") return false;
    fail(source, "expected a boolean (true/false, 1/0, yes/no, on/off), got " + quoted(text));
}

Hint parse_hint(std::string_view text, const ValueSource& source) {
    if (text == "fast") return Hint::fast;
    if (text == "cheap") return Hint::cheap;
    fail(source, "unknown hint " + quoted(text) + " (expected fast or cheap)");
}

std::optional<ChannelKind> parse_channel(std::string_view text, const ValueSource& source) {
    if (text == "direct") return ChannelKind::direct;
    if (text == "redis") return ChannelKind::redis;
    if (text == "s3") return ChannelKind::s3;
    if (text == "auto") return std::nullopt;
    fail(source, "unknown channel " + quoted(text) + " (expected direct, redis, s3 or auto)");
}

std::string canonical_log_level(std::string_view text, const ValueSource& source) {
    static constexpr const char* names[] = {"trace", "debug", "info", "warn", "error", "off"};
    try {
        return names[static_cast<int>(parse_log_level(text, source.field))];
    } catch (const ConfigError&) {
        fail(source, "unknown log level " + quoted(text) +
                         " (expected trace, debug, info, warn, error or off)");
    }
}

DirectOptions::Relay parse_relay_mode(std::string_view text, const ValueSource& source) {
    if (text == "auto") return DirectOptions::Relay::automatic;
    if (text == "force") return DirectOptions::Relay::force;
    if (text == "never") return DirectOptions::Relay::never;
    fail(source, "unknown relay mode " + quoted(text) + " (expected auto, force or never)");
}

const char* to_string(DirectOptions::Relay mode) noexcept {
    switch (mode) {
        case DirectOptions::Relay::force: return "force";
        case DirectOptions::Relay::never: return "never";
        default: return "auto";
    }
}

std::string check_host(std::string_view text, const ValueSource& source) {
    if (text.empty()) fail(source, "must not be empty");
    if (has_space_or_control(text))
        fail(source, quoted(text) + " must not contain whitespace or control characters");
    return std::string(text);
}

std::string check_key_prefix(std::string_view text, const ValueSource& source) {
    if (text.empty()) fail(source, "key prefix must not be empty");
    bool printable = std::all_of(text.begin(), text.end(), [](unsigned char c) {
        return c > 0x20 && c < 0x7f;
    });
    if (!printable)
        fail(source, "key prefix " + quoted(text) +
                         " must be printable ASCII without spaces");
    return std::string(text);
}

std::string check_endpoint(std::string_view text, const ValueSource& source) {
    if (text.empty()) return {};
    if (!(text.starts_with("http://") || text.starts_with("https://")))
        fail(source, "endpoint " + quoted(text) + " must start with http:// or https://");
    if (has_space_or_control(text))
        fail(source, "endpoint " + quoted(text) + " contains whitespace or control characters");
    return std::string(text);
}

HostPort parse_host_port(std::string_view text, const ValueSource& source) {
    const std::string expected = "expected host:port (e.g. 127.0.0.1:7000 or [::1]:7000), got " +
                                 quoted(text);
    std::string_view host;
    std::string_view port;
    if (text.starts_with("[")) {  // [IPv6]:port
        auto close = text.find("]:");
        if (close == std::string_view::npos) fail(source, expected);
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos) fail(source, expected);
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        // An unbracketed IPv6 address is ambiguous ("::1:7000").
        if (host.find(':') != std::string_view::npos) fail(source, expected);
    }
    if (host.empty() || port.empty()) fail(source, expected);
    HostPort result;
    result.host = check_host(host, source);
    std::int64_t number = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (ec != std::errc() || ptr != port.data() + port.size()) fail(source, expected);
    if (number < 1 || number > 65535)
        fail(source, "port must be between 1 and 65535 (got " + std::string(port) + ")");
    result.port = static_cast<std::uint16_t>(number);
    return result;
}

}  // namespace fmi::detail
