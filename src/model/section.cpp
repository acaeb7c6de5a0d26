// The "model" section of a configuration: ours (SI units, docs/model.md) or
// the original FMI's (MB/s and ms, fmi-facts), read over the defaults. Every
// field is checked: unknown names, wrong types and out-of-range values throw
// ConfigError naming "model.<field>" and the origin.
#include "model/algorithm_list.hpp"

#include <fmi/errors.hpp>
#include <fmi/model.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

namespace fmi::model {

namespace {

using json = nlohmann::json;

struct Reader {
    const json& object;
    std::string path;  // "model.redis"
    std::string origin;
    std::set<std::string> seen;

    [[noreturn]] void fail(const std::string& field, const std::string& problem) const {
        throw ConfigError(path + "." + field, problem + " (in " + origin + ")");
    }

    const json* raw(const std::string& field) {
        seen.insert(field);
        auto it = object.find(field);
        return it == object.end() ? nullptr : &*it;
    }

    /// A finite number >= min (and > 0 when positive is set).
    void number(const std::string& field, double& out, bool positive = false, double scale = 1.0) {
        const json* v = raw(field);
        if (!v) return;
        if (!v->is_number()) fail(field, "expected a number, got " + std::string(v->type_name()));
        double x = v->get<double>();
        if (!std::isfinite(x) || x < 0 || (positive && x == 0))
            fail(field, "must be " + std::string(positive ? "positive" : "at least 0") + ", got " + v->dump());
        out = x * scale;
    }

    void boolean(const std::string& field, bool& out) {
        const json* v = raw(field);
        if (!v) return;
        if (!v->is_boolean()) fail(field, "expected true or false, got " + std::string(v->type_name()));
        out = v->get<bool>();
    }

    Reader sub(const std::string& field) {
        const json* v = raw(field);
        static const json empty = json::object();
        if (v && !v->is_object()) fail(field, "expected an object, got " + std::string(v->type_name()));
        return Reader{v ? *v : empty, path + "." + field, origin, {}};
    }

    bool has(const std::string& field) const { return object.contains(field); }

    void finish() const {
        for (auto it = object.begin(); it != object.end(); ++it)
            if (!seen.count(it.key())) fail(it.key(), "unknown field");
    }
};

/// A table's key: a whole number >= `least` (peers or bytes), else a
/// ConfigError naming `where` and what the key must be.
std::size_t table_key(const Reader& r, const std::string& where, const std::string& key, std::size_t least,
                      const std::string& what) {
    unsigned long long value = 0;
    try {
        std::size_t used = 0;
        value = std::stoull(key, &used);
        if (used != key.size() || key.empty() || key[0] == '-' || key[0] == '+') throw std::invalid_argument("sign");
    } catch (const std::exception&) {
        r.fail(where, "the key must be " + what);
    }
    if (value < least) r.fail(where, what + " must be at least " + std::to_string(least));
    return static_cast<std::size_t>(value);
}

/// A table's value: a finite number >= 0 (> 0 if positive).
double table_value(const Reader& r, const std::string& where, const json& value, const std::string& expected,
                   bool positive) {
    if (!value.is_number() || !std::isfinite(value.get<double>()) || value.get<double>() < 0 ||
        (positive && value.get<double>() == 0))
        r.fail(where, "expected " + expected);
    return value.get<double>();
}

/// {"<bytes>": bytes per second}, each size at least `least` bytes.
void read_bytes_table(const Reader& r, const std::string& where, const json& table, std::size_t least,
                      std::map<std::size_t, double>& out) {
    if (!table.is_object()) r.fail(where, "expected an object {\"<bytes>\": bytes per second}");
    out.clear();
    for (auto it = table.begin(); it != table.end(); ++it) {
        const std::string at = where + "." + it.key();
        out[table_key(r, at, it.key(), least, "a message size in bytes")] =
            table_value(r, at, *it, "bytes per second (a positive number)", true);
    }
}

/// {"<peers>": value}: keys are peer counts >= 1, values finite numbers >= 0 (> 0 if positive).
void read_peer_table(Reader& r, const std::string& field, const std::string& expected, bool positive,
                     std::map<int, double>& out) {
    const json* table = r.raw(field);
    if (!table) return;
    if (!table->is_object()) r.fail(field, "expected an object {\"<peers>\": " + expected + "}");
    out.clear();
    for (auto it = table->begin(); it != table->end(); ++it) {
        const std::string at = field + "." + it.key();
        out[static_cast<int>(table_key(r, at, it.key(), 1, "a peer count"))] =
            table_value(r, at, *it, expected, positive);
    }
}

/// {"<peers>": {"<bytes>": bytes per second}} or {"<peers>": bytes per
/// second} (the same at every size: kept under bytes 0).
void read_aggregate_table(Reader& r, std::map<int, std::map<std::size_t, double>>& out) {
    const std::string field = "aggregate_at_peers";
    const json* table = r.raw(field);
    if (!table) return;
    if (!table->is_object())
        r.fail(field, "expected an object {\"<peers>\": bytes per second, or {\"<bytes>\": bytes per second}}");
    out.clear();
    for (auto it = table->begin(); it != table->end(); ++it) {
        const std::string at = field + "." + it.key();
        std::map<std::size_t, double>& by_bytes = out[static_cast<int>(table_key(r, at, it.key(), 1, "a peer count"))];
        if (it->is_object()) {
            read_bytes_table(r, at, *it, 1, by_bytes);
            if (by_bytes.empty()) r.fail(at, "expected at least one {\"<bytes>\": bytes per second}");
        } else {
            by_bytes = {{0, table_value(r, at, *it, "bytes per second (a positive number), or an object by bytes", true)}};
        }
    }
}

void read_channel(Reader r, ChannelParams& c) {
    r.number("latency_s", c.latency_s);
    r.number("bandwidth_Bps", c.bandwidth_Bps, true);
    r.number("aggregate_bandwidth_Bps", c.aggregate_bandwidth_Bps);
    r.number("poll_interval_s", c.poll_interval_s);
    read_peer_table(r, "latency_at_peers", "seconds (a number >= 0)", false, c.latency_at_peers);
    read_peer_table(r, "message_latency_at_peers", "seconds (a number >= 0)", false, c.message_latency_at_peers);
    read_aggregate_table(r, c.aggregate_at_peers);
    if (const json* table = r.raw("bandwidth_at_bytes")) read_bytes_table(r, "bandwidth_at_bytes", *table, 1, c.bandwidth_at_bytes);
    r.finish();
}

/// One operation's pin: "<channel>", "<channel>/<algorithm>" or
/// "*/<algorithm>" (the algorithm on whichever channel runs it).
void read_pin(const Reader& top, const std::string& field, Operation op, const json& value, Section& s) {
    const std::string text = value.is_string() ? value.get<std::string>() : "";
    const std::size_t slash = text.find('/');
    const std::string channel = text.substr(0, slash);
    const bool any_channel = channel == "*" && slash != std::string::npos;
    std::optional<ChannelKind> kind;
    if (channel == "direct") kind = ChannelKind::direct;
    else if (channel == "redis") kind = ChannelKind::redis;
    else if (channel == "s3") kind = ChannelKind::s3;
    if (!kind && !any_channel)
        top.fail(field, "expected \"direct\", \"redis\" or \"s3\", optionally followed by \"/<algorithm>\", or "
                        "\"*/<algorithm>\", got " + value.dump());
    if (kind) s.pins[op] = *kind;
    if (slash == std::string::npos) return;
    const std::string algorithm = text.substr(slash + 1);
    const std::vector<std::string> names = kind ? algorithms(*kind, op) : algorithms(op);
    if (std::find(names.begin(), names.end(), algorithm) == names.end())
        top.fail(field, "unknown algorithm '" + algorithm + "' for " + to_string(op) +
                            (kind ? " on " + std::string(to_string(*kind)) : std::string()) + " (" +
                            algorithm_list(op) + ")");
    s.algorithm_pins[op] = algorithm;
}

void read_ours(Reader& top, Section& s) {
    if (const json* source = top.raw("source")) {
        if (!source->is_string()) top.fail("source", "expected a string");
        s.params.source = source->get<std::string>();
    }
    read_channel(top.sub("direct"), s.params.direct);
    read_channel(top.sub("redis"), s.params.redis);
    read_channel(top.sub("s3"), s.params.s3);
    top.number("reduce_Bps", s.params.reduce_Bps, true);
    {
        Reader p = top.sub("prices");
        Prices& x = s.params.prices;
        p.number("faas_gib_second", x.faas_gib_second);
        p.number("s3_put_request", x.s3_put_request);
        p.number("s3_get_request", x.s3_get_request);
        p.number("transfer_per_gb", x.transfer_per_gb);
        p.number("redis_instance_per_hour", x.redis_instance_per_hour);
        p.number("rendezvous_vm_per_hour", x.rendezvous_vm_per_hour);
        p.number("infrastructure_share", x.infrastructure_share);
        p.number("operations_per_hour", x.operations_per_hour);
        p.finish();
    }
    if (const json* pins = top.raw("pin")) {
        if (!pins->is_object())
            top.fail("pin", "expected an object {\"<operation>\": \"<channel>\", \"<channel>/<algorithm>\" or "
                            "\"*/<algorithm>\"}");
        for (auto it = pins->begin(); it != pins->end(); ++it) {
            auto op = parse_operation(it.key());
            if (!op) top.fail("pin." + it.key(), "unknown operation (send, bcast, barrier, gather, scatter, "
                                                 "allgather, reduce, allreduce, scan)");
            read_pin(top, "pin." + it.key(), *op, *it, s);
        }
    }
    {
        Reader b = top.sub("budget");
        b.number("max_seconds", s.budget.max_seconds);
        b.number("max_dollars", s.budget.max_dollars);
        b.finish();
    }
}

// The original FMI's section: bandwidth in MB/s, overhead in ms, prices per
// request and per hour; include_infrastructure_costs false drops the hourly price.
void read_original(Reader& top, Section& s) {
    Params& p = s.params;
    p.source = "the original FMI's model section";
    std::optional<double> rate;
    auto requests_per_hour = [&](Reader& r) {
        double v = 0;
        if (!r.has("requests_per_hour")) return;
        r.number("requests_per_hour", v, true);
        if (rate && *rate != v)
            r.fail("requests_per_hour", "differs from the other channel's; one rate of operations per hour "
                                        "is shared by the job");
        rate = v;
    };
    {
        Reader f = top.sub("FaaS");
        f.number("gib_second_price", p.prices.faas_gib_second);
        f.finish();
    }
    {
        Reader r = top.sub("S3");
        r.number("bandwidth", p.s3.bandwidth_Bps, true, 1e6);
        r.number("overhead", p.s3.latency_s, false, 1e-3);
        r.number("transfer_price", p.prices.transfer_per_gb);
        r.number("download_price", p.prices.s3_get_request);
        r.number("upload_price", p.prices.s3_put_request);
        r.finish();
    }
    {
        Reader r = top.sub("Redis");
        r.number("bandwidth_single", p.redis.bandwidth_Bps, true, 1e6);
        r.number("bandwidth_multiple", p.redis.aggregate_bandwidth_Bps, true, 1e6);
        r.number("overhead", p.redis.latency_s, false, 1e-3);
        r.number("transfer_price", p.prices.transfer_per_gb);
        r.number("instance_price", p.prices.redis_instance_per_hour);
        requests_per_hour(r);
        bool include = true;
        r.boolean("include_infrastructure_costs", include);
        if (!include) p.prices.redis_instance_per_hour = 0;
        r.finish();
    }
    {
        Reader r = top.sub("Direct");
        r.number("bandwidth", p.direct.bandwidth_Bps, true, 1e6);
        r.number("overhead", p.direct.latency_s, false, 1e-3);
        r.number("transfer_price", p.prices.transfer_per_gb);
        r.number("vm_price", p.prices.rendezvous_vm_per_hour);
        requests_per_hour(r);
        bool include = true;
        r.boolean("include_infrastructure_costs", include);
        if (!include) p.prices.rendezvous_vm_per_hour = 0;
        r.finish();
    }
    if (rate) p.prices.operations_per_hour = *rate;
}

/// A table keyed by peer count or bytes, as {"<key>": value}; left out when empty.
template <class Key>
void put_table(json& j, const char* field, const std::map<Key, double>& table) {
    if (table.empty()) return;
    json out = json::object();
    for (const auto& [key, value] : table) out[std::to_string(key)] = value;
    j[field] = out;
}

/// The aggregate table: a value at every size as a number, else by bytes.
void put_aggregate_table(json& j, const std::map<int, std::map<std::size_t, double>>& table) {
    if (table.empty()) return;
    json out = json::object();
    for (const auto& [peers, by_bytes] : table) {
        if (by_bytes.size() == 1 && by_bytes.begin()->first == 0) {
            out[std::to_string(peers)] = by_bytes.begin()->second;
            continue;
        }
        json sizes = json::object();
        for (const auto& [bytes, value] : by_bytes) sizes[std::to_string(bytes)] = value;
        out[std::to_string(peers)] = sizes;
    }
    j["aggregate_at_peers"] = out;
}

json channel_json(const ChannelParams& c) {
    json j = {{"latency_s", c.latency_s},
              {"bandwidth_Bps", c.bandwidth_Bps},
              {"aggregate_bandwidth_Bps", c.aggregate_bandwidth_Bps},
              {"poll_interval_s", c.poll_interval_s}};
    put_table(j, "latency_at_peers", c.latency_at_peers);
    put_table(j, "message_latency_at_peers", c.message_latency_at_peers);
    put_aggregate_table(j, c.aggregate_at_peers);
    put_table(j, "bandwidth_at_bytes", c.bandwidth_at_bytes);
    return j;
}

}  // namespace

Section parse_section(std::string_view json_text, std::string_view origin) {
    json document = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
    if (document.is_discarded() || !document.is_object())
        throw ConfigError("model", "expected a JSON object (in " + std::string(origin) + ")");
    Section s;
    s.params = default_params();
    Reader top{document, "model", std::string(origin), {}};
    const bool original = top.has("FaaS") || top.has("S3") || top.has("Redis") || top.has("Direct");
    if (original) read_original(top, s);
    else read_ours(top, s);
    top.finish();
    return s;
}

std::string to_json(const Section& s) {
    const Params& p = s.params;
    json j;
    j["source"] = p.source;
    j["direct"] = channel_json(p.direct);
    j["redis"] = channel_json(p.redis);
    j["s3"] = channel_json(p.s3);
    j["reduce_Bps"] = p.reduce_Bps;
    j["prices"] = {{"faas_gib_second", p.prices.faas_gib_second},
                   {"s3_put_request", p.prices.s3_put_request},
                   {"s3_get_request", p.prices.s3_get_request},
                   {"transfer_per_gb", p.prices.transfer_per_gb},
                   {"redis_instance_per_hour", p.prices.redis_instance_per_hour},
                   {"rendezvous_vm_per_hour", p.prices.rendezvous_vm_per_hour},
                   {"infrastructure_share", p.prices.infrastructure_share},
                   {"operations_per_hour", p.prices.operations_per_hour}};
    if (!s.pins.empty() || !s.algorithm_pins.empty()) {
        json pins = json::object();
        for (const auto& [op, kind] : s.pins) pins[to_string(op)] = to_string(kind);
        for (const auto& [op, algorithm] : s.algorithm_pins) {
            auto channel = s.pins.find(op);
            pins[to_string(op)] = (channel == s.pins.end() ? "*" : to_string(channel->second)) + ("/" + algorithm);
        }
        j["pin"] = pins;
    }
    if (s.budget.max_seconds > 0 || s.budget.max_dollars > 0)
        j["budget"] = {{"max_seconds", s.budget.max_seconds}, {"max_dollars", s.budget.max_dollars}};
    return j.dump(2);
}

}  // namespace fmi::model
