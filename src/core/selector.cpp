#include "core/selector.hpp"

#include <fmi/errors.hpp>

#include <algorithm>
#include <string>

namespace fmi::detail {

Selector::Selector(std::vector<ChannelKind> available, std::optional<ChannelKind> pinned)
    : available_(std::move(available)), pinned_(pinned) {
    if (available_.empty()) throw ConfigError("channels", "no channel is enabled (enable direct, redis or s3)");
    if (pinned_ && std::find(available_.begin(), available_.end(), *pinned_) == available_.end())
        throw ConfigError("channel", std::string("pinned channel '") + to_string(*pinned_) +
                                         "' is not enabled");
}

ChannelKind Selector::choose(OpKind, std::size_t, Hint) const {
    if (pinned_) return *pinned_;
    for (ChannelKind preferred : {ChannelKind::direct, ChannelKind::redis, ChannelKind::s3})
        if (std::find(available_.begin(), available_.end(), preferred) != available_.end()) return preferred;
    return available_.front();
}

}  // namespace fmi::detail
