// Runs an element-wise reduction collective (allreduce, scan) on every peer
// of a harness, in place or into a separate output, and keeps what the
// tests check: each peer's result and whether its input stayed intact.
#pragma once

#include "rank_harness.hpp"
#include "reductions.hpp"
#include "typed_calls.hpp"

#include <cstddef>
#include <vector>

namespace fmi::test {

template <class T>
struct ElementwiseOutcome {
    std::vector<std::vector<T>> results;  ///< by rank
    std::vector<int> input_intact;        ///< by rank; in place counts as intact
};

/// `call(peer, in, out)` runs the collective once; `in` and `out` are the
/// same buffer when `in_place`.
template <class T, class Call>
ElementwiseOutcome<T> run_elementwise(int size, const HarnessOptions& h, const ReductionCase<T>& c,
                                      std::size_t count, bool in_place, Call&& call) {
    ElementwiseOutcome<T> outcome;
    outcome.results.resize(static_cast<std::size_t>(size));
    outcome.input_intact.assign(static_cast<std::size_t>(size), 0);
    expect_all_succeed(size, h, [&](TestPeer& peer) {
        const auto r = static_cast<std::size_t>(peer.rank());
        std::vector<T> in = inputs_of(c, peer.rank(), count);
        const std::vector<T> original = in;
        if (in_place) {
            call(peer, bytes_of(in), writable(in));
            outcome.results[r] = in;
            outcome.input_intact[r] = 1;
        } else {
            std::vector<T> out(count);
            call(peer, bytes_of(in), writable(out));
            outcome.results[r] = out;
            outcome.input_intact[r] = in == original;
        }
    });
    return outcome;
}

}  // namespace fmi::test
