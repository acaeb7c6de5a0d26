// Barrier by dissemination (Hensgen, Finkel and Manber 1988).
//
// Steps: in round k = 0, 1, ..., ceil(log2 P) - 1 peer r sends an empty
// message to (r + 2^k) mod P and receives one from (r - 2^k) mod P, with one
// sendrecv. After round k every peer has heard, directly or through others,
// from the 2^(k+1) - 1 peers before it, so after the last round from all.
// Works for any P, no extra rounds for non-powers of two.
//
// Bytes on the wire: 0 payload bytes; ceil(log2 P) header-only messages per
// peer, P ceil(log2 P) in total. Time: ceil(log2 P) message latencies.
#include "collectives/p2p/barrier_dissemination.hpp"

namespace fmi::detail::p2p {

void barrier_dissemination(const P2PRun& run) {
    const int p = run.size(), r = run.rank();
    for (int distance = 1; distance < p; distance <<= 1) {
        run.sendrecv((r + distance) % p, {}, (r - distance + p) % p, {});
    }
}

}  // namespace fmi::detail::p2p
