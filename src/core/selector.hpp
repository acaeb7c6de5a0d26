// Chooses the channel of each operation. Until the performance and cost model
// lands (issue 6) the rule is: a pinned channel if the config names one, else
// the first available of direct, redis, s3 — direct is both the fastest and,
// with a shared rendezvous VM, the cheapest channel in the original's
// measurements (fmi-facts: 0.41 ms vs 2.0 ms vs 37.5 ms latency).
#pragma once

#include "core/op_kind.hpp"

#include <fmi/config.hpp>

#include <cstddef>
#include <optional>
#include <vector>

namespace fmi::detail {

class Selector {
public:
    Selector(std::vector<ChannelKind> available, std::optional<ChannelKind> pinned);

    /// The channel for one operation of `bytes` payload bytes per peer.
    ChannelKind choose(OpKind op, std::size_t bytes, Hint hint) const;

    const std::vector<ChannelKind>& available() const noexcept { return available_; }

private:
    std::vector<ChannelKind> available_;
    std::optional<ChannelKind> pinned_;
};

}  // namespace fmi::detail
