// The algorithms of one operation on every channel, as error messages list
// them: "direct: recursive_doubling, rabenseifner, ring; redis: exchange,
// reduce_publish; s3: collect_publish".
#pragma once

#include <fmi/model.hpp>

#include <string>

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

}  // namespace fmi::model
