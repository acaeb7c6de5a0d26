// The rendezvous server's bookkeeping, apart from its sockets: which client
// registered which peer of which communicator, when a communicator is
// complete, and which registrations have expired. Pure logic, so its rules
// (count agreement, duplicates, bounds, expiry) are easy to follow and test.
#pragma once

#include "rendezvous/protocol.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace fmi::detail::rendezvous {

using ClientId = std::uint64_t;
using Clock = std::chrono::steady_clock;

struct RegistryLimits {
    std::size_t max_peers_per_communicator = 4096;
    std::size_t max_communicators = 10'000;
    /// A registration older than this is dropped with ERROR expired.
    std::chrono::milliseconds registration_ttl{300'000};
};

class Registry {
public:
    explicit Registry(RegistryLimits limits) : limits_(limits) {}

    /// What to do after a REGISTER.
    struct Outcome {
        /// Set when the registration is refused (send it to that client only).
        std::optional<ErrorMessage> error;
        /// Set when the communicator became complete: send `answer` (a
        /// PEERS frame) to every client of `answer_to`; the registry has
        /// already forgotten the communicator.
        std::vector<ClientId> answer_to;
        std::shared_ptr<const Bytes> answer;
    };

    /// Registers `client` as m.peer_id of m.comm. `observed` is the client's
    /// address as this server sees it (its public endpoint).
    Outcome add(ClientId client, const RegisterMessage& m, const Endpoint& observed, Clock::time_point now);

    /// The client disconnected: drops its registration (so a restarted peer
    /// can register again). No effect for an unknown client.
    void remove(ClientId client);

    struct Expiry {
        ClientId client;
        ErrorMessage error;
    };
    /// Drops every registration older than the ttl and says whom to tell.
    std::vector<Expiry> expire(Clock::time_point now);

    std::size_t communicators() const noexcept { return comms_.size(); }
    std::size_t registrations() const noexcept { return by_client_.size(); }

private:
    struct Registration {
        ClientId client;
        std::vector<Endpoint> endpoints;
        Endpoint observed;
        Clock::time_point at;
    };
    struct Communicator {
        std::uint32_t peer_count = 0;
        std::map<std::uint32_t, Registration> peers;  // by peer id
    };
    struct Slot {
        std::string comm;
        std::uint32_t peer_id;
    };

    static ErrorMessage refuse(ErrorCode code, std::string text) { return {code, std::move(text)}; }

    RegistryLimits limits_;
    std::unordered_map<std::string, Communicator> comms_;
    std::unordered_map<ClientId, Slot> by_client_;
};

}  // namespace fmi::detail::rendezvous
