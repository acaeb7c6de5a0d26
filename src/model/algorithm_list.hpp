// The algorithms of one operation on every channel, as error messages list
// them: "direct: recursive_doubling, rabenseifner, ring; redis: exchange,
// reduce_publish; s3: collect_publish"; and which channels run one of them.
#pragma once

#include <fmi/model.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace fmi::model {

inline std::string algorithm_list(Operation op) {
    std::string out;
    for (ChannelKind kind : {ChannelKind::direct, ChannelKind::redis, ChannelKind::s3}) {
        out += out.empty() ? "" : "; ";
        out += to_string(kind);
        const char* separator = ": ";
        for (const std::string& name : algorithms(kind, op)) {
            out += separator + name;
            separator = ", ";
        }
    }
    return out;
}

/// The channels, enabled or not, that run `algorithm` for `op`.
inline std::vector<ChannelKind> channels_running(Operation op, const std::string& algorithm) {
    std::vector<ChannelKind> out;
    for (ChannelKind kind : {ChannelKind::direct, ChannelKind::redis, ChannelKind::s3}) {
        const std::vector<std::string> names = algorithms(kind, op);
        if (std::find(names.begin(), names.end(), algorithm) != names.end()) out.push_back(kind);
    }
    return out;
}

/// "direct, redis" (with `separator` between the names).
inline std::string channel_names(const std::vector<ChannelKind>& kinds, const char* separator) {
    std::string out;
    for (ChannelKind kind : kinds) out += (out.empty() ? "" : separator) + std::string(to_string(kind));
    return out;
}

}  // namespace fmi::model
