#include "collectives/redis/fold.hpp"

#include "channels/redis/receiver.hpp"

#include <algorithm>

namespace fmi::detail::redis {

void fold(Mailbox& mb, const FoldInputs& inputs, int own_peer, ConstBytes own, MutableBytes out, const ReduceFn& fn,
          const OpContext& ctx, FoldScratch& scratch) {
    const std::size_t unit = fn.element_size;
    auto combine = [&](std::size_t offset, ConstBytes piece) {
        if (piece.size() % unit != 0)
            throw IoError(describe(ctx, mb.rank()) + ": a chunk of " + std::to_string(piece.size()) +
                          " bytes does not hold whole elements of " + std::to_string(unit) + " bytes");
        fn.apply(out.data() + offset, piece.data(), out.data() + offset, piece.size() / unit);
    };
    auto piece_buffer = [&](std::size_t len) {
        if (scratch.piece.size() < len) scratch.piece.resize(len);
        return MutableBytes(scratch.piece.data(), len);
    };

    Receiver receiver(mb, ctx, inputs.waiting_for);
    for (const auto& [peer, stream] : inputs.messages)
        receiver.expect(stream, peer, out.size(), inputs.take, inputs.take == Take::share ? inputs.readers(peer) : 0);

    Receiver::Sink sink;
    if (fn.reorderable()) {
        // As they arrive, into an accumulator that starts as our own.
        if (own.data() != out.data()) std::copy(own.begin(), own.end(), out.begin());
        sink.target = [&](int, std::size_t, std::size_t len) { return piece_buffer(len); };
        sink.arrived = [&](int, std::size_t offset, ConstBytes piece) { combine(offset, piece); };
        receiver.run(sink);
        return;
    }

    // Strictly left to right over peer ids.
    std::vector<int> order{own_peer};
    for (const auto& message : inputs.messages) order.push_back(message.first);
    std::sort(order.begin(), order.end());
    const int first = order.front();
    if (own.data() == out.data() && first != own_peer) {
        // out is written by the first contributions before ours is used.
        scratch.own.assign(own.begin(), own.end());
        own = scratch.own;
    }
    std::size_t next = 0;  // position in `order` of the contribution due
    auto take_own_turns = [&] {
        for (; next < order.size() && order[next] == own_peer; ++next) {
            if (own_peer != first) {
                combine(0, own);
            } else if (own.data() != out.data()) {
                std::copy(own.begin(), own.end(), out.begin());
            }
        }
    };
    take_own_turns();
    sink.may_deliver = [&](int src) { return next < order.size() && order[next] == src; };
    sink.target = [&](int src, std::size_t offset, std::size_t len) {
        return src == first ? out.subspan(offset, len) : piece_buffer(len);  // the first goes straight to out
    };
    sink.arrived = [&](int src, std::size_t offset, ConstBytes piece) {
        if (src != first) combine(offset, piece);
    };
    sink.complete = [&](int) {
        ++next;
        take_own_turns();
    };
    receiver.run(sink);
}

}  // namespace fmi::detail::redis
