// How the communicator builds its channels. Each channel's folder implements
// its factory; the communicator knows nothing else about them.
#pragma once

#include "channels/peer_channel.hpp"
#include "core/backend.hpp"
#include "core/logger.hpp"

#include <fmi/config.hpp>

#include <memory>
#include <string>

namespace fmi::detail {

/// Who this peer is, shared by every factory.
struct PeerIdentity {
    int rank;
    int size;
    std::string comm;  // communicator name
};

/// Connects this peer to all others over direct TCP, pairing through the
/// rendezvous server of `options` (src/channels/direct). Blocks until every
/// connection is up or options.connect_timeout passes (TimeoutError).
std::unique_ptr<PeerChannel> make_direct_channel(const PeerIdentity& who, const DirectOptions& options,
                                                 const Logger& log);

/// Runs the peer-to-peer algorithms (src/collectives/p2p) over `channel`.
std::unique_ptr<Backend> make_p2p_backend(std::unique_ptr<PeerChannel> channel, const Logger& log);

/// Runs every operation over a Redis server (src/channels/redis).
std::unique_ptr<Backend> make_redis_backend(const PeerIdentity& who, const RedisOptions& options,
                                            const Logger& log);

/// Runs every operation over an S3 bucket (src/channels/s3).
std::unique_ptr<Backend> make_s3_backend(const PeerIdentity& who, const S3Options& options,
                                         const Logger& log);

}  // namespace fmi::detail
