// The Backend of the peer-to-peer channel kind: runs every operation of a
// communicator over one PeerChannel with the algorithms of this folder.
// make_p2p_backend (src/core/factories.hpp) builds it with default options;
// tests and benchmarks pass their own.
#pragma once

#include "channels/peer_channel.hpp"
#include "collectives/p2p/p2p_options.hpp"
#include "core/backend.hpp"
#include "core/logger.hpp"

#include <memory>

namespace fmi::detail {

/// The p2p backend with explicit options (make_p2p_backend of
/// src/core/factories.hpp uses p2p::P2POptions{}).
std::unique_ptr<Backend> make_p2p_backend(std::unique_ptr<PeerChannel> channel, const Logger& log,
                                          const p2p::P2POptions& options);

}  // namespace fmi::detail
