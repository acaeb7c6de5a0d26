// Client side of the rendezvous protocol: connect to an fmi-rendezvous
// server, register one peer, wait for the PEERS answer. Every step has a
// deadline; errors are typed (IoError, RendezvousError, TimeoutError) and name
// the server's address.
#pragma once

#include "core/deadline.hpp"
#include "rendezvous/protocol.hpp"
#include "rendezvous/socket.hpp"

#include <fmi/errors.hpp>

#include <cstddef>
#include <string>

namespace fmi::detail::rendezvous {

/// The server refused us with an ERROR frame.
class RendezvousError : public ServerError {
public:
    RendezvousError(ErrorCode code, const std::string& what) : ServerError(what), code_(code) {}
    ErrorCode code() const noexcept { return code_; }

private:
    ErrorCode code_;
};

/// Largest frame the client accepts (a PEERS answer for 4096 peers with
/// several endpoints each is well below this).
inline constexpr std::size_t kClientMaxFrameBytes = 64u << 20;

class RendezvousClient {
public:
    /// Connects to `server` before `deadline`, retrying while the connection
    /// is refused (the server may still be starting). TimeoutError names the
    /// address, the last error and elapsed versus allowed time.
    RendezvousClient(Endpoint server, const Deadline& deadline);
    /// Same, from a given local address and port (SO_REUSEADDR and
    /// SO_REUSEPORT set), so the server observes the NAT mapping of the port
    /// this peer also listens and punches on.
    RendezvousClient(Endpoint server, const Endpoint& local, const Deadline& deadline);

    const Endpoint& server() const noexcept { return server_; }
    /// Our address on the connection to the server: the interface through
    /// which partners on our network can most likely reach us.
    Endpoint local_endpoint() const;

    /// Sends REGISTER and waits for PEERS before `deadline`. Checks the
    /// answer (same communicator, ids 0..n-1 once each). Throws
    /// RendezvousError when the server refuses, TimeoutError, IoError.
    PeersMessage register_and_wait(const RegisterMessage& request, const Deadline& deadline);

    /// Relay, step 1: sends RELAY_OPEN (auth already filled in).
    void request_relay(const RelayOpenMessage& request, const Deadline& deadline);
    /// Relay, step 2: waits for the server's "ready" (the partner asked too).
    /// Reads exactly that frame, never a byte of the relayed stream behind
    /// it. Throws RendezvousError when the server refuses, TimeoutError, IoError.
    void await_relay(const RelayOpenMessage& request, const Deadline& deadline);
    /// Hands the connection over (after await_relay: a byte stream to the partner).
    UniqueFd release() noexcept { return std::move(fd_); }

    // Building blocks, public for tests of the server.
    /// Writes a whole frame (bytes already encoded).
    void send_frame(BytesView frame, const Deadline& deadline);
    /// Reads one frame; returns its type and payload.
    struct Frame {
        std::uint16_t type = 0;
        Bytes payload;
    };
    Frame read_frame(const Deadline& deadline, const std::string& waiting_for);

private:
    std::string where() const { return "rendezvous server " + server_.to_string(); }

    Endpoint server_;
    UniqueFd fd_;
    Bytes buffer_;  // received bytes not yet returned as frames
};

}  // namespace fmi::detail::rendezvous
