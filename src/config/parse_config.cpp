// parse_config / load_config: the edge where a configuration file becomes a
// typed fmi::Config. Picks the format (ours, or the original FMI's, told apart
// by a top-level "backends"), and names the file in every error.
#include "config/formats.hpp"
#include "config/json_reader.hpp"

#include <fmi/config.hpp>
#include <fmi/errors.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

namespace fmi {

Config parse_config(std::string_view json_text, std::string_view origin_view) {
    const std::string origin(origin_view);
    nlohmann::json document = detail::parse_json_document(json_text, origin);
    if (!document.is_object())
        throw ConfigError(origin, "the configuration must be a JSON object, got " +
                                      detail::json_type_name(document));
    if (document.contains("backends")) return detail::read_original_format(document, origin);
    return detail::read_our_format(document, origin);
}

Config load_config(const std::filesystem::path& path) {
    const std::string name = path.string();
    std::error_code status_error;
    auto status = std::filesystem::status(path, status_error);
    if (status_error || !std::filesystem::exists(status))
        throw ConfigError(name, "cannot read the configuration file: " +
                                    (status_error ? status_error.message() : std::string("no such file")));
    // A FIFO or a device could block the reader forever.
    if (!std::filesystem::is_regular_file(status))
        throw ConfigError(name, "the configuration path is not a regular file");

    std::ifstream file(path, std::ios::binary);
    if (!file) throw ConfigError(name, std::string("cannot open the configuration file: ") + std::strerror(errno));
    std::ostringstream text;
    text << file.rdbuf();
    if (file.bad()) throw ConfigError(name, "error while reading the configuration file");
    return parse_config(text.str(), name);
}

}  // namespace fmi
