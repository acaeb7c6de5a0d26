#include "channels/s3/credentials.hpp"

#include <fmi/errors.hpp>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace fmi::detail::s3 {
namespace {

std::string trim(std::string_view s) {
    std::size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return std::string(s.substr(b, e - b));
}

std::string non_empty(const EnvLookup& env, std::string_view name) {
    auto v = env(name);
    return v ? *v : std::string();
}

}  // namespace

std::map<std::string, std::map<std::string, std::string>> parse_credentials_file(
    std::string_view text, std::string_view origin) {
    std::map<std::string, std::map<std::string, std::string>> sections;
    std::string current;
    bool in_section = false;
    std::size_t line_no = 0;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string line = trim(text.substr(pos, end - pos));
        pos = end + 1;
        ++line_no;
        if (line.empty() || line[0] == '#' || line[0] == ';') continue;
        if (line.front() == '[') {
            if (line.back() != ']')
                throw ConfigError(std::string(origin) + ":" + std::to_string(line_no),
                                  "unterminated section header '" + line + "'");
            current = trim(std::string_view(line).substr(1, line.size() - 2));
            // The config file spells sections "[profile x]"; accept it here too.
            if (current.rfind("profile ", 0) == 0) current = trim(current.substr(8));
            sections[current];
            in_section = true;
            continue;
        }
        auto eq = line.find('=');
        if (eq == std::string::npos)
            throw ConfigError(std::string(origin) + ":" + std::to_string(line_no),
                              "expected 'key = value', got '" + line + "'");
        if (!in_section)
            throw ConfigError(std::string(origin) + ":" + std::to_string(line_no),
                              "'" + line + "' appears before any [section]");
        std::string key = trim(std::string_view(line).substr(0, eq));
        for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        sections[current][key] = trim(std::string_view(line).substr(eq + 1));
    }
    return sections;
}

Credentials resolve_credentials(const S3Options& options, const EnvLookup& env) {
    // 1. Explicit keys.
    if (!options.access_key_id.empty() || !options.secret_access_key.empty()) {
        if (options.access_key_id.empty() || options.secret_access_key.empty())
            throw ConfigError("s3.access_key_id",
                              "access_key_id and secret_access_key must be given together");
        return {options.access_key_id, options.secret_access_key, options.session_token};
    }
    // 2. The environment, unless a profile was asked for explicitly.
    if (options.profile.empty()) {
        std::string id = non_empty(env, "AWS_ACCESS_KEY_ID");
        std::string secret = non_empty(env, "AWS_SECRET_ACCESS_KEY");
        if (!id.empty() || !secret.empty()) {
            if (id.empty() || secret.empty())
                throw ConfigError("AWS_ACCESS_KEY_ID",
                                  "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together");
            std::string token = non_empty(env, "AWS_SESSION_TOKEN");
            if (token.empty()) token = non_empty(env, "AWS_SECURITY_TOKEN");
            return {id, secret, token};
        }
    }
    // 3. The shared credentials file.
    std::string path = non_empty(env, "AWS_SHARED_CREDENTIALS_FILE");
    if (path.empty()) {
        std::string home = non_empty(env, "HOME");
        if (!home.empty()) path = home + "/.aws/credentials";
    }
    std::string profile = options.profile;
    if (profile.empty()) profile = non_empty(env, "AWS_PROFILE");
    if (profile.empty()) profile = "default";

    std::ifstream file(path);
    if (path.empty() || !file) {
        if (!options.profile.empty())
            throw ConfigError("s3.profile", "profile '" + profile + "' asked for but the credentials file '" +
                                                path + "' cannot be read");
        throw ConfigError("s3.access_key_id",
                          "no S3 credentials: not in the configuration, not in AWS_ACCESS_KEY_ID/"
                          "AWS_SECRET_ACCESS_KEY, and no credentials file at '" + path + "'");
    }
    std::stringstream text;
    text << file.rdbuf();
    auto sections = parse_credentials_file(text.str(), path);
    auto it = sections.find(profile);
    if (it == sections.end())
        throw ConfigError("s3.profile", "profile '" + profile + "' not found in '" + path + "'");
    const auto& values = it->second;
    auto get = [&](const char* key) {
        auto v = values.find(key);
        return v == values.end() ? std::string() : v->second;
    };
    Credentials c{get("aws_access_key_id"), get("aws_secret_access_key"), get("aws_session_token")};
    if (c.session_token.empty()) c.session_token = get("aws_security_token");
    if (c.access_key_id.empty() || c.secret_access_key.empty())
        throw ConfigError("s3.profile", "profile '" + profile + "' in '" + path +
                                            "' lacks aws_access_key_id or aws_secret_access_key");
    return c;
}

EnvLookup getenv_lookup() {
    return [](std::string_view name) -> std::optional<std::string> {
        const char* v = std::getenv(std::string(name).c_str());
        if (!v) return std::nullopt;
        return std::string(v);
    };
}

}  // namespace fmi::detail::s3
