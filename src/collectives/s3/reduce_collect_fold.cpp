// Reduce: every peer uploads, the root lists, reads and folds as they arrive.
//
// Steps: each non-root PUTs in.<p>. The root LISTs c/<seq>/ once per round
// and GETs the contributions that appeared (parallel_transfers at a time;
// with n = 2 it polls the one contribution by GET, which reads it too):
//   - commutative and associative: each is folded into the result right
//     after it arrives (out = out (+) x_p), using parallel_transfers scratch
//     blocks whatever n is;
//   - otherwise strictly left to right over peer ids: x_0 (+) x_1 (+) ...,
//     each block kept until all lower peers' are folded (n blocks of scratch).
//     The root's own value takes its place in that order (root != 0 does
//     not go first: the original's defect).
// The caller's `in` is never written; in == out is allowed.
//
// Requests (n peers, B bytes, k = ceil(B/T); polls that found nothing on top):
//   PUT  (n - 1) * (1, or k + 2 if B > T)                 non-roots
//   LIST 1 + rounds that did not yet see everyone (n > 2)  root
//   GET  (n - 1) * max(1, k), 0 when B = 0 and n > 2       root
// Bytes: (n - 1) B up, (n - 1) B down; n - 1 applications of the function.
#include "collectives/s3/algorithms.hpp"

#include <algorithm>

namespace fmi::detail::s3 {
namespace {

bool overlaps(ConstBytes a, ConstBytes b) {
    return !a.empty() && !b.empty() && a.data() < b.data() + b.size() && b.data() < a.data() + a.size();
}

// Commutative and associative: fold each contribution on arrival.
void fold_as_they_arrive(const S3Collective& c, ConstBytes in, MutableBytes out, int root, const ReduceFn& fn) {
    const std::size_t bytes = in.size();
    const std::size_t count = bytes / fn.element_size;
    const std::size_t width = std::max<std::size_t>(1, c.parallel_reads);
    MutableBytes blocks = c.scratch.get(width * bytes);
    copy_bytes(out, in);
    // A single awaited contribution is read by the wait itself, into block 0.
    auto first_block = [&](int) { return blocks.first(bytes); };
    c.store.collect(c.others(root), bytes, c.ctx, first_block, [&](std::span<const Arrival> arrivals) {
        for (std::size_t first = 0; first < arrivals.size(); first += width) {
            auto wave = arrivals.subspan(first, std::min(width, arrivals.size() - first));
            std::vector<int> slot_of(static_cast<std::size_t>(c.size()), 0);
            for (std::size_t i = 0; i < wave.size(); ++i) slot_of[wave[i].peer] = static_cast<int>(i);
            c.store.read_arrivals(
                wave, [&](int p) { return blocks.subspan(static_cast<std::size_t>(slot_of[p]) * bytes, bytes); },
                c.ctx);
            for (std::size_t i = 0; i < wave.size(); ++i) {
                fn.apply(out.data(), blocks.data() + i * bytes, out.data(), count);
                c.store.consumed(wave[i].key, wave[i].size);
            }
        }
    });
}

// Neither reorderable: strictly ((x_0 (+) x_1) (+) x_2) ..., as blocks allow.
void fold_in_peer_order(const S3Collective& c, ConstBytes in, MutableBytes out, int root, const ReduceFn& fn) {
    const std::size_t bytes = in.size();
    const std::size_t count = bytes / fn.element_size;
    const int n = c.size();
    MutableBytes blocks = c.scratch.get(static_cast<std::size_t>(n) * bytes);
    auto block = [&](int p) { return blocks.subspan(static_cast<std::size_t>(p) * bytes, bytes); };
    // The root's own value, kept aside if writing `out` would destroy it.
    ConstBytes own = in;
    if (root != 0 && overlaps(in, out)) {
        copy_bytes(block(root), in);
        own = block(root);
    }
    auto value = [&](int p) -> ConstBytes { return p == root ? own : ConstBytes(block(p)); };
    std::vector<char> arrived(static_cast<std::size_t>(n), 0);
    arrived[root] = 1;
    int next = 0;  // the lowest peer not yet folded
    auto advance = [&] {
        for (; next < n && arrived[next]; ++next) {
            if (next == 0)
                copy_bytes(out, value(0));
            else
                fn.apply(out.data(), value(next).data(), out.data(), count);
        }
    };
    advance();
    c.store.collect(c.others(root), bytes, c.ctx, block, [&](std::span<const Arrival> arrivals) {
        c.store.read_arrivals(arrivals, block, c.ctx);
        for (const Arrival& a : arrivals) {
            arrived[a.peer] = 1;
            c.store.consumed(a.key, a.size);
        }
        advance();
    });
}

}  // namespace

void reduce_at_root(const S3Collective& c, ConstBytes in, MutableBytes out, int root, const ReduceFn& fn) {
    if (fn.reorderable())
        fold_as_they_arrive(c, in, out, root, fn);
    else
        fold_in_peer_order(c, in, out, root, fn);
}

void reduce_collect_fold(const S3Collective& c, ConstBytes in, MutableBytes out, int root, const ReduceFn& fn) {
    if (c.size() == 1) {
        copy_bytes(out, in);
        return;
    }
    if (c.rank() != root) {
        c.contribute(in);
        return;
    }
    reduce_at_root(c, in, out, root, fn);
    c.store.everyone_entered(c.ctx.seq);
}

}  // namespace fmi::detail::s3
