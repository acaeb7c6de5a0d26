// fmi-rendezvous: pairs the peers of communicators by exchanging their
// endpoints (docs/rendezvous.md). Runs on its own thread; one slow or silent
// client never stalls the others.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace fmi::detail {

struct RendezvousServerOptions {
    std::string host = "0.0.0.0";  ///< address to listen on
    std::uint16_t port = 0;        ///< 0: a free port chosen by the OS
    /// Registrations of a communicator that is not complete within this time
    /// are dropped (their clients get an error).
    std::chrono::milliseconds registration_ttl{300'000};
    /// A client that sends nothing for this long is disconnected.
    std::chrono::milliseconds idle_timeout{600'000};
    std::size_t max_message_bytes = 64 * 1024;
    std::size_t max_peers_per_communicator = 4096;
    std::size_t max_communicators = 10'000;
    std::size_t max_clients = 20'000;
    /// Shared secret for authenticated registration (empty: none).
    std::string secret;
    /// Log each event to stderr.
    bool verbose = false;
};

class RendezvousServer {
public:
    /// Binds and starts serving on a background thread; throws IoError if the
    /// address cannot be bound.
    explicit RendezvousServer(RendezvousServerOptions options);
    ~RendezvousServer();  ///< stops and joins
    RendezvousServer(const RendezvousServer&) = delete;
    RendezvousServer& operator=(const RendezvousServer&) = delete;

    /// The port actually bound (useful with port 0).
    std::uint16_t port() const noexcept;
    /// Stops serving; idempotent.
    void stop() noexcept;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace fmi::detail
