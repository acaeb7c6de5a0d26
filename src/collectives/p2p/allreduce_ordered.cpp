// Allreduce for functions that are not both commutative and associative:
// ((x0 (+) x1) (+) x2) ... evaluated strictly left to right over peer ids.
//
// Steps: reduce_ordered.cpp to peer 0 (which folds the other peers' inputs
// in peer order, segment by segment), then bcast_binomial.cpp of the result
// from peer 0. One evaluation, copied to all: every peer gets the same bits.
//
// Bytes on the wire (n bytes, P peers): (P - 1) n into peer 0, then (P - 1) n
// down the tree; total 2 (P - 1) n. Latency: the reduce is limited by peer 0's
// link ((P - 1) n / bandwidth), then ceil(log2 P) message steps.
#include "collectives/p2p/allreduce_ordered.hpp"

#include "collectives/p2p/bcast_binomial.hpp"
#include "collectives/p2p/reduce_ordered.hpp"

namespace fmi::detail::p2p {

void allreduce_ordered(const P2PRun& run, ConstBytes in, MutableBytes out, const ReduceFn& fn) {
    reduce_ordered(run, in, out, 0, fn);
    bcast_binomial(run, out, 0);
}

}  // namespace fmi::detail::p2p
