#include "config/json_reader.hpp"

#include <fmi/errors.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

namespace fmi::detail {

namespace {

using nlohmann::json;

// Where a parse error happened, counted the way editors count (from 1).
std::string line_and_column(std::string_view text, std::size_t byte_position) {
    // nlohmann counts bytes from 1; `index` is the offending byte counted from 0.
    std::size_t index = std::min(byte_position == 0 ? 0 : byte_position - 1, text.size());
    auto line = 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + index, '\n'));
    std::size_t newline = index == 0 ? std::string_view::npos : text.rfind('\n', index - 1);
    std::size_t column = newline == std::string_view::npos ? index + 1 : index - newline;
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

// nlohmann's message without its "[json.exception.parse_error.101] parse
// error at line 1, column 2: " preamble (we print our own position).
std::string parser_reason(const json::parse_error& error) {
    std::string what = error.what();
    auto bracket = what.find("] ");
    if (bracket != std::string::npos) what = what.substr(bracket + 2);
    if (what.starts_with("parse error at line")) {
        auto colon = what.find(": ");
        if (colon != std::string::npos) what = what.substr(colon + 2);
    }
    return what;
}

// Tracks the open objects while parsing, to name a duplicate key by its path.
class DuplicateKeyDetector {
public:
    explicit DuplicateKeyDetector(std::string origin) : origin_(std::move(origin)) {}

    bool operator()(int /*depth*/, json::parse_event_t event, json& parsed) {
        switch (event) {
            case json::parse_event_t::object_start: frames_.push_back({true, child_name(), {}, {}}); break;
            case json::parse_event_t::array_start: frames_.push_back({false, child_name(), {}, {}}); break;
            case json::parse_event_t::object_end:
            case json::parse_event_t::array_end:
                if (!frames_.empty()) frames_.pop_back();
                break;
            case json::parse_event_t::key: {
                Frame& top = frames_.back();
                std::string key = parsed.get<std::string>();
                if (!top.keys.insert(key).second)
                    fail({path_to(key), origin_},
                         "duplicate key (JSON parsers would silently keep only one of the values)");
                top.current_key = std::move(key);
                break;
            }
            case json::parse_event_t::value: break;
        }
        return true;
    }

private:
    struct Frame {
        bool is_object;
        std::string name;
        std::set<std::string> keys;
        std::string current_key;
    };

    std::string child_name() const {
        if (frames_.empty()) return {};
        return frames_.back().is_object ? frames_.back().current_key : "[]";
    }

    std::string path_to(const std::string& key) const {
        std::string path;
        for (std::size_t i = 1; i < frames_.size(); ++i) {
            const std::string& name = frames_[i].name;
            if (!path.empty() && name != "[]") path += '.';
            path += name;
        }
        if (!path.empty()) path += '.';
        return path + key;
    }

    std::string origin_;
    std::vector<Frame> frames_;
};

}  // namespace

json parse_json_document(std::string_view text, const std::string& origin) {
    try {
        DuplicateKeyDetector detector(origin);
        return json::parse(text.begin(), text.end(), std::ref(detector));
    } catch (const json::parse_error& error) {
        throw ConfigError(origin, "invalid JSON at " + line_and_column(text, error.byte) + ": " +
                                      parser_reason(error));
    }
}

std::string json_type_name(const json& value) {
    switch (value.type()) {
        case json::value_t::null: return "null";
        case json::value_t::boolean: return "a boolean";
        case json::value_t::number_integer:
        case json::value_t::number_unsigned: return "an integer";
        case json::value_t::number_float: return "a number with a fraction";
        case json::value_t::string: return "a string";
        case json::value_t::array: return "an array";
        case json::value_t::object: return "an object";
        default: return "an unsupported value";
    }
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    std::iota(row.begin(), row.end(), std::size_t{0});
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::string suggest_name(std::string_view name, const std::vector<std::string_view>& candidates) {
    std::string_view closest;
    std::size_t best = std::numeric_limits<std::size_t>::max();
    for (std::string_view candidate : candidates) {
        std::size_t distance = edit_distance(name, candidate);
        if (distance < best) best = distance, closest = candidate;
    }
    if (!closest.empty() && best <= std::max<std::size_t>(2, name.size() / 3)) return std::string(closest);
    for (std::string_view candidate : candidates) {
        bool related = candidate.starts_with(name) || name.starts_with(candidate);
        if (related && std::min(candidate.size(), name.size()) >= 3) return std::string(candidate);
    }
    return {};
}

JsonObjectReader::JsonObjectReader(const json& object, std::string path, std::string origin,
                                   Typing typing)
    : object_(object), path_(std::move(path)), origin_(std::move(origin)), typing_(typing) {
    if (!object_.is_object())
        fail({path_.empty() ? origin_ : path_, origin_},
             "expected an object, got " + json_type_name(object_));
}

std::string JsonObjectReader::path_of(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

ValueSource JsonObjectReader::source_of(std::string_view key) const {
    return {path_of(key), origin_};
}

const json* JsonObjectReader::find(std::string_view key) {
    known_.emplace(key);
    auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
}

const json* JsonObjectReader::read_raw(std::string_view key) { return find(key); }

const json* JsonObjectReader::read_object(std::string_view key) {
    const json* value = find(key);
    if (value && !value->is_object())
        fail(source_of(key), "expected an object, got " + json_type_name(*value));
    return value;
}

bool JsonObjectReader::read_bool(std::string_view key, bool& out) {
    const json* value = find(key);
    if (!value) return false;
    if (value->is_boolean()) {
        out = value->get<bool>();
    } else if (value->is_string() && typing_ == Typing::allow_strings) {
        out = parse_bool_text(value->get_ref<const std::string&>(), source_of(key));
    } else {
        fail(source_of(key), "expected a boolean (true or false), got " + json_type_name(*value));
    }
    return true;
}

bool JsonObjectReader::read_string(std::string_view key, std::string& out) {
    const json* value = find(key);
    if (!value) return false;
    if (!value->is_string())
        fail(source_of(key), "expected a string, got " + json_type_name(*value));
    out = value->get<std::string>();
    return true;
}

bool JsonObjectReader::read_integer(std::string_view key, std::int64_t& out, std::int64_t min,
                                    std::int64_t max, std::string_view unit) {
    const json* value = find(key);
    if (!value) return false;
    const ValueSource source = source_of(key);
    std::int64_t number = 0;
    switch (value->type()) {
        case json::value_t::number_integer: number = value->get<std::int64_t>(); break;
        case json::value_t::number_unsigned: {
            auto big = value->get<std::uint64_t>();
            if (big > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
                fail(source, "integer " + std::to_string(big) + " is out of range");
            number = static_cast<std::int64_t>(big);
            break;
        }
        case json::value_t::number_float: {
            double real = value->get<double>();
            if (!std::isfinite(real) || std::floor(real) != real)
                fail(source, "expected an integer, got " + value->dump());
            if (std::fabs(real) > 9.0e18) fail(source, "integer " + value->dump() + " is out of range");
            number = static_cast<std::int64_t>(real);
            break;
        }
        case json::value_t::string:
            if (typing_ == Typing::allow_strings) {
                number = parse_integer_text(value->get_ref<const std::string&>(), source);
                break;
            }
            [[fallthrough]];
        default: fail(source, "expected an integer, got " + json_type_name(*value));
    }
    out = check_range(number, min, max, source, unit);
    return true;
}

bool JsonObjectReader::read_millis(std::string_view key, std::chrono::milliseconds& out,
                                   std::int64_t min_ms) {
    std::int64_t value = 0;
    if (!read_integer(key, value, min_ms, limits::max_duration_ms, "ms")) return false;
    out = std::chrono::milliseconds(value);
    return true;
}

bool JsonObjectReader::read_seconds(std::string_view key, std::chrono::seconds& out,
                                    std::int64_t min_s) {
    std::int64_t value = 0;
    if (!read_integer(key, value, min_s, limits::max_duration_s, "s")) return false;
    out = std::chrono::seconds(value);
    return true;
}

void JsonObjectReader::finish(std::string_view context) const {
    for (auto it = object_.begin(); it != object_.end(); ++it) {
        const std::string& key = it.key();
        if (known_.count(key)) continue;
        std::string message = "unknown field";
        std::string closest = suggest_name(key, std::vector<std::string_view>(known_.begin(), known_.end()));
        if (!closest.empty()) message += " (did you mean '" + closest + "'?)";
        if (!context.empty()) message += "; " + std::string(context);
        std::string names;
        for (const std::string& candidate : known_) names += (names.empty() ? "" : ", ") + candidate;
        message += "; known fields here: " + names;
        fail(source_of(key), message);
    }
}

}  // namespace fmi::detail
