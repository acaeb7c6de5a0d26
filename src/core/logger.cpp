#include "core/logger.hpp"

#include <fmi/errors.hpp>

#include <chrono>
#include <cstdio>
#include <string>

namespace fmi::detail {

LogLevel parse_log_level(std::string_view text, const std::string& field) {
    if (text == "trace") return LogLevel::trace;
    if (text == "debug") return LogLevel::debug;
    if (text == "info") return LogLevel::info;
    if (text == "warn" || text == "warning") return LogLevel::warn;
    if (text == "error") return LogLevel::error;
    if (text == "off") return LogLevel::off;
    throw ConfigError(field, "unknown log level '" + std::string(text) +
                                 "' (expected trace, debug, info, warn, error or off)");
}

void Logger::log(LogLevel level, std::string_view message) const {
    if (!enabled(level)) return;
    static constexpr const char* names[] = {"trace", "debug", "info", "warn", "error", "off"};
    // One fwrite per line so lines of concurrent communicators do not interleave.
    std::string line = "fmi ";
    line += names[static_cast<int>(level)];
    line += " [";
    line += prefix_;
    line += "] ";
    line += message;
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace fmi::detail
