// The two configuration file formats fmi reads (docs/configuration.md):
// ours, which maps 1:1 to fmi::Config, and the original FMI's
// {"backends": ..., "model": ...}, accepted unchanged. parse_config() tells
// them apart by the presence of a top-level "backends" field.
#pragma once

#include <fmi/config.hpp>

#include <nlohmann/json.hpp>

#include <string>

namespace fmi::detail {

/// Our format: "timeout_ms", "hint", "channel", "log_level",
/// "faas_memory_mib", "direct", "redis", "s3", "model".
Config read_our_format(const nlohmann::json& document, const std::string& origin);

/// The original FMI's format: "backends" {"S3", "Redis", "Direct"} and "model".
Config read_original_format(const nlohmann::json& document, const std::string& origin);

/// Reads a "model" section: any JSON object, kept as compact text.
std::string read_model_section(const nlohmann::json& value, const std::string& field,
                               const std::string& origin);

}  // namespace fmi::detail
