// Reads the fields of one JSON object into typed values. Each getter names
// the field it reads, so finish() can reject every field nobody asked for: a
// typo ("prot") is an error naming the field and the closest known name, not
// a silently ignored setting. Values of the wrong type or out of range throw
// ConfigError with the dotted path ("redis.port") and the origin (the file).
#pragma once

#include "config/values.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace fmi::detail {

/// Parses a JSON document; a syntax error or a duplicate key (which JSON
/// parsers otherwise resolve silently) throws ConfigError naming the origin,
/// the line and the column.
nlohmann::json parse_json_document(std::string_view text, const std::string& origin);

class JsonObjectReader {
public:
    /// How strictly values must be typed. The original FMI read its file with
    /// boost::property_tree, which stores every value as text, so files written
    /// for it may spell numbers and booleans as strings ("port": "6379").
    enum class Typing { strict, allow_strings };

    /// `path` is the dotted path of the object itself ("" for the document).
    JsonObjectReader(const nlohmann::json& object, std::string path, std::string origin,
                     Typing typing = Typing::strict);

    /// Reads a field if present (returns false and leaves `out` alone if not).
    bool read_bool(std::string_view key, bool& out);
    bool read_string(std::string_view key, std::string& out);
    /// An integer in [min, max]; integral floating-point values (1e3) are accepted.
    bool read_integer(std::string_view key, std::int64_t& out, std::int64_t min, std::int64_t max,
                      std::string_view unit = {});
    bool read_millis(std::string_view key, std::chrono::milliseconds& out, std::int64_t min_ms);
    bool read_seconds(std::string_view key, std::chrono::seconds& out, std::int64_t min_s);
    template <class Int>
    bool read_small_integer(std::string_view key, Int& out, std::int64_t min, std::int64_t max,
                            std::string_view unit = {}) {
        std::int64_t value = 0;
        if (!read_integer(key, value, min, max, unit)) return false;
        out = static_cast<Int>(value);
        return true;
    }
    /// The raw value of a field (nullptr if absent), marked as known.
    const nlohmann::json* read_raw(std::string_view key);
    /// A nested object; throws if the field is present but not an object.
    /// Returns nullptr if absent.
    const nlohmann::json* read_object(std::string_view key);

    /// The dotted path of a field of this object ("redis" + "port").
    std::string path_of(std::string_view key) const;
    ValueSource source_of(std::string_view key) const;

    /// Throws for the first field that no getter asked for. `context` is
    /// appended to the message (e.g. why a field is not allowed here).
    void finish(std::string_view context = {}) const;

private:
    const nlohmann::json* find(std::string_view key);

    const nlohmann::json& object_;
    std::string path_;
    std::string origin_;
    Typing typing_;
    std::set<std::string, std::less<>> known_;
};

/// The name a JSON value's type goes by in messages ("a string", "an object").
std::string json_type_name(const nlohmann::json& value);

/// Edit distance, for "did you mean" suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate a misspelled `name` most likely meant: the closest within a
/// few edits, else one that extends or shortens it ("timeout" for
/// "timeout_ms"); empty if none is plausible.
std::string suggest_name(std::string_view name, const std::vector<std::string_view>& candidates);

}  // namespace fmi::detail
