// Combining the contributions of several peers with a reduction, shared by
// reduce, allreduce and scan.
//
// When the function is commutative and associative, contributions are
// applied in the order they arrive, chunk by chunk as each chunk is read (the
// accumulator starts as this peer's own contribution): nobody waits for a slow
// low-numbered peer. Otherwise the fold runs strictly left to right over peer
// ids, ((x_a (+) x_b) (+) x_c)...: the first contribution is read straight
// into the output, each later one applied as its chunks arrive, and a peer's
// chunks wait in Redis until every lower peer's are applied.
//
// Arrival order changes between runs, so a floating-point sum folded as it
// arrives may differ in its last bits from run to run (never between the
// peers of one allreduce, which all receive the combining peer's result).
// Users who need bitwise reproducibility mark the function non-commutative.
#pragma once

#include "channels/redis/mailbox.hpp"

#include <fmi/ops.hpp>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace fmi::detail::redis {

/// Buffers a fold reuses across operations (touched once, not per call).
struct FoldScratch {
    std::vector<std::byte> own;    ///< a copy of our contribution when it aliases out
    std::vector<std::byte> piece;  ///< one chunk of a contribution
};

struct FoldInputs {
    std::vector<std::pair<int, std::string>> messages;  ///< (peer, stream) of each remote contribution
    Take take = Take::consume;
    /// With Take::share, the number of readers of src's message.
    std::function<int(int src)> readers;
    std::string waiting_for;  ///< for timeout messages
};

/// out = the fold of the remote contributions and of this peer's own (at
/// position own_peer). own may alias out.
void fold(Mailbox& mb, const FoldInputs& inputs, int own_peer, ConstBytes own, MutableBytes out, const ReduceFn& fn,
          const OpContext& ctx, FoldScratch& scratch);

}  // namespace fmi::detail::redis
