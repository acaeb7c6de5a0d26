// The direct TCP channel: a PeerChannel over a full mesh of TCP connections
// (mesh.hpp) carrying tagged messages (wire.hpp, transfer.hpp).
//
// Waiting: every wait is a poll(2) bounded by the operation's deadline. Before
// blocking for the first bytes of a message, a receive may spin briefly on
// non-blocking reads, because a poll wake-up costs more than a small
// message's trip; the spin adapts to whether it pays (adaptive_spin.hpp). sendrecv drives both directions in one loop,
// so two peers exchanging large messages never wait on each other's full
// socket buffers.
//
// Failure: any error leaves the channel broken (its streams may be out of
// step); later operations fail at once with IoError naming the first error.
// abort() shuts every socket down so partners blocked on us fail fast.
// Destruction closes gracefully: shutdown(SHUT_WR), drain partners until
// their EOF (bounded by DirectTuning::close_linger), then close, so a
// partner's last message is never destroyed by a reset.
#pragma once

#include "channels/direct/adaptive_spin.hpp"
#include "channels/direct/mesh.hpp"
#include "channels/direct/transfer.hpp"
#include "channels/direct/tuning.hpp"
#include "channels/peer_channel.hpp"
#include "core/factories.hpp"
#include "core/logger.hpp"

#include <fmi/config.hpp>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

namespace fmi::detail::direct {

class DirectChannel final : public PeerChannel {
public:
    /// Connects to every partner (blocks up to options.connect_timeout).
    DirectChannel(const PeerIdentity& who, const DirectOptions& options, DirectTuning tuning, Logger log);
    ~DirectChannel() override;
    DirectChannel(const DirectChannel&) = delete;
    DirectChannel& operator=(const DirectChannel&) = delete;

    std::string_view name() const override { return "direct"; }
    int rank() const noexcept override { return who_.rank; }
    int size() const noexcept override { return who_.size; }

    void send(int peer, MessageTag tag, ConstBytes data, const Deadline& deadline) override;
    void recv(int peer, MessageTag tag, MutableBytes data, const Deadline& deadline) override;
    void sendrecv(int dest, ConstBytes send_data, int src, MutableBytes recv_data, MessageTag tag,
                  const Deadline& deadline) override;
    void abort() noexcept override;

    /// The partner's address (for tests and diagnostics).
    const Endpoint& address_of(int peer) const { return links_.at(static_cast<std::size_t>(peer)).address; }

private:
    Link& partner(int peer, const char* operation);
    void check_usable() const;
    /// Runs `body`; any error except a UsageError breaks the channel.
    template <class Body>
    void guarded(Body&& body);

    void wait_for(int fd, short events, const Deadline& deadline, const std::string& what, bool& timed_out);
    [[noreturn]] void throw_send_failure(const OutgoingMessage& out, const Link& link, MessageTag tag,
                                         const char* operation) const;
    [[noreturn]] void throw_recv_failure(Progress progress, const IncomingMessage& in, const Link& link,
                                         const char* operation) const;
    std::string describe(const char* operation, const Link& link, MessageTag tag) const;
    void close_gracefully() noexcept;

    PeerIdentity who_;
    DirectTuning tuning_;
    Logger log_;
    std::vector<Link> links_;  // by peer id; own slot empty
    AdaptiveSpin spin_;

    std::atomic<bool> broken_{false};
    std::atomic<bool> aborted_{false};
    mutable std::mutex reason_mutex_;
    std::string broken_reason_;
};

}  // namespace fmi::detail::direct
