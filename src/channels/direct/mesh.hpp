// Builds the direct channel's full mesh of TCP connections, eagerly, before
// the first operation (the original FMI connected lazily, named by the first
// message's direction, and deadlocked when two peers' first operations were
// sends to each other).
#pragma once

#include "channels/direct/tuning.hpp"
#include "core/deadline.hpp"
#include "core/factories.hpp"
#include "core/logger.hpp"
#include "rendezvous/socket.hpp"

#include <fmi/config.hpp>

#include <vector>

namespace fmi::detail::direct {

/// One established connection to a partner.
struct Link {
    int peer = -1;
    UniqueFd fd;       ///< non-blocking, TCP_NODELAY
    Endpoint address;  ///< the partner's address, for error messages
};

/// Connects `who` to every other peer of its communicator:
///  1. listen on options.listen_host, a port chosen by the OS;
///  2. register (listen address, port) at the rendezvous server and wait
///     until all peers have (the answer lists everyone's endpoints); the
///     address is our side of the connection to the server when listening
///     on a wildcard address;
///  3. connect to every lower peer and accept every higher one, all at once
///     in one poll loop; each connection starts with a HELLO exchange naming
///     communicator and both ids (wire.hpp), refused connections are retried
///     with backoff, strangers are closed.
/// Everything happens before `deadline` (TimeoutError naming what is
/// missing). Returns links indexed by peer id; the own slot stays empty.
/// A world of one needs no server and returns at once.
std::vector<Link> connect_mesh(const PeerIdentity& who, const DirectOptions& options, const DirectTuning& tuning,
                               const Deadline& deadline, const Logger& log);

}  // namespace fmi::detail::direct
