// What every peer-to-peer algorithm receives: the channel, the tag and
// deadline of the operation, the backend's scratch buffers and options.
#pragma once

#include "channels/peer_channel.hpp"
#include "collectives/p2p/p2p_options.hpp"
#include "collectives/p2p/scratch.hpp"
#include "core/deadline.hpp"

#include <fmi/ops.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace fmi::detail::p2p {

struct P2PRun {
    PeerChannel& channel;
    MessageTag tag;
    const Deadline& deadline;
    ScratchBuffers& scratch;
    const P2POptions& options;

    int rank() const noexcept { return channel.rank(); }
    int size() const noexcept { return channel.size(); }

    void send(int peer, ConstBytes data) const { channel.send(peer, tag, data, deadline); }
    void recv(int peer, MutableBytes data) const { channel.recv(peer, tag, data, deadline); }
    void sendrecv(int dest, ConstBytes out, int src, MutableBytes in) const {
        channel.sendrecv(dest, out, src, in, tag, deadline);
    }
};

/// out = left (+) right over `bytes` bytes (whole elements): one call of the
/// type-erased function per chunk, its loop runs over plain arrays. out may
/// alias left or right.
inline void combine(const ReduceFn& fn, const std::byte* left, const std::byte* right, std::byte* out,
                    std::size_t bytes) {
    if (bytes != 0) fn.apply(left, right, out, bytes / fn.element_size);
}

/// Copies unless source and destination are the same bytes (in-place calls).
inline void copy_bytes(std::byte* dst, const std::byte* src, std::size_t bytes) {
    if (bytes != 0 && dst != src) std::memmove(dst, src, bytes);
}

/// True when the two byte ranges share at least one byte.
inline bool overlaps(ConstBytes a, ConstBytes b) noexcept {
    if (a.empty() || b.empty()) return false;
    auto a0 = reinterpret_cast<std::uintptr_t>(a.data()), b0 = reinterpret_cast<std::uintptr_t>(b.data());
    return a0 < b0 + b.size() && b0 < a0 + a.size();
}

}  // namespace fmi::detail::p2p
