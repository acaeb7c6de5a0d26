// Moving whole regions between two peers, split into segments by the rule of
// segments.hpp. Both sides call the matching function with the region sizes
// they expect; a disagreement surfaces as a SizeMismatchError at the receiver.
#pragma once

#include "collectives/p2p/p2p_run.hpp"
#include "collectives/p2p/segments.hpp"

#include <algorithm>
#include <cstddef>

namespace fmi::detail::p2p {

/// Sends `data` to `peer` in segments of `unit` bytes.
inline void send_region(const P2PRun& run, int peer, ConstBytes data, std::size_t unit) {
    Segments segs(data.size(), unit);
    for (std::size_t i = 0; i < segs.count(); ++i) run.send(peer, data.subspan(segs.offset(i), segs.length(i)));
}

/// Receives a region of data.size() bytes from `peer` straight into `data`.
inline void recv_region(const P2PRun& run, int peer, MutableBytes data, std::size_t unit) {
    Segments segs(data.size(), unit);
    for (std::size_t i = 0; i < segs.count(); ++i) run.recv(peer, data.subspan(segs.offset(i), segs.length(i)));
}

/// Receives a region of `in_bytes` bytes from `peer`, segment i into
/// into(offset, length), calling received(offset, bytes) after each (see
/// exchange_region).
template <class Into, class Received>
void recv_region(const P2PRun& run, int peer, std::size_t in_bytes, std::size_t unit, Into&& into,
                 Received&& received) {
    Segments segs(in_bytes, unit);
    for (std::size_t i = 0; i < segs.count(); ++i) {
        MutableBytes target = into(segs.offset(i), segs.length(i));
        run.recv(peer, target);
        received(segs.offset(i), ConstBytes(target));
    }
}

/// Sends `out` to `dest` while receiving a region of `in_bytes` bytes from
/// `src`, segment by segment with sendrecv (two peers exchanging large
/// regions never both block in send). Segment i of the incoming region is
/// received into into(offset, length) (a MutableBytes of that length), then
/// received(offset, bytes) is called, e.g. to fold a scratch segment into
/// the result before the next one arrives. dest and src may be the same peer.
template <class Into, class Received>
void exchange_region(const P2PRun& run, int dest, ConstBytes out, int src, std::size_t in_bytes,
                     std::size_t unit, Into&& into, Received&& received) {
    Segments send_segs(out.size(), unit), recv_segs(in_bytes, unit);
    std::size_t rounds = std::max(send_segs.count(), recv_segs.count());
    for (std::size_t i = 0; i < rounds; ++i) {
        bool sending = i < send_segs.count(), receiving = i < recv_segs.count();
        ConstBytes piece = sending ? out.subspan(send_segs.offset(i), send_segs.length(i)) : ConstBytes{};
        MutableBytes target = receiving ? into(recv_segs.offset(i), recv_segs.length(i)) : MutableBytes{};
        if (sending && receiving) run.sendrecv(dest, piece, src, target);
        else if (sending) run.send(dest, piece);
        else run.recv(src, target);
        if (receiving) received(recv_segs.offset(i), ConstBytes(target));
    }
}

/// exchange_region receiving straight into `in`.
inline void exchange_region(const P2PRun& run, int dest, ConstBytes out, int src, MutableBytes in,
                            std::size_t unit) {
    exchange_region(
        run, dest, out, src, in.size(), unit,
        [&](std::size_t offset, std::size_t length) { return in.subspan(offset, length); },
        [](std::size_t, ConstBytes) {});
}

}  // namespace fmi::detail::p2p
