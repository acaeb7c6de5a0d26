// A small leveled logger owned by each communicator (no global state): lines
// go to stderr prefixed with the communicator and peer.
#pragma once

#include <string>
#include <string_view>

namespace fmi::detail {

enum class LogLevel { trace, debug, info, warn, error, off };

/// Parses "trace".."off"; throws ConfigError naming `field` otherwise.
LogLevel parse_log_level(std::string_view text, const std::string& field);

class Logger {
public:
    Logger() = default;
    Logger(LogLevel level, std::string prefix) : level_(level), prefix_(std::move(prefix)) {}

    bool enabled(LogLevel level) const noexcept { return level >= level_ && level_ != LogLevel::off; }
    void log(LogLevel level, std::string_view message) const;
    void debug(std::string_view m) const { log(LogLevel::debug, m); }
    void info(std::string_view m) const { log(LogLevel::info, m); }
    void warn(std::string_view m) const { log(LogLevel::warn, m); }
    void error(std::string_view m) const { log(LogLevel::error, m); }

private:
    LogLevel level_ = LogLevel::warn;
    std::string prefix_;
};

}  // namespace fmi::detail
