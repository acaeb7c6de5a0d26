// The peer-to-peer channel kind: ordered, reliable messages between any two
// peers of a communicator. Direct TCP implements it; so does the in-process
// channel of the unit tests (and later the relay through the rendezvous server).
//
// Every message carries a MessageTag; a receiver compares it with the tag it
// expects and throws MismatchError when the sender is in another operation,
// and SizeMismatchError when the byte counts differ. Nothing is truncated.
#pragma once

#include "core/deadline.hpp"
#include "core/op_kind.hpp"

#include <fmi/communicator.hpp>

#include <cstdint>
#include <string_view>

namespace fmi::detail {

struct MessageTag {
    OpKind op;
    std::uint64_t seq;
};

class PeerChannel {
public:
    virtual ~PeerChannel() = default;

    virtual std::string_view name() const = 0;
    virtual int rank() const noexcept = 0;
    virtual int size() const noexcept = 0;

    /// Sends one message of exactly data.size() bytes (0 allowed) to `peer`.
    /// May return before the receiver has it (kernel buffering).
    virtual void send(int peer, MessageTag tag, ConstBytes data, const Deadline& deadline) = 0;

    /// Receives one message from `peer` straight into `data`. The message must
    /// carry `tag` (else MismatchError) and exactly data.size() bytes (else
    /// SizeMismatchError naming both sizes).
    virtual void recv(int peer, MessageTag tag, MutableBytes data, const Deadline& deadline) = 0;

    /// Sends to `dest` and receives from `src` (which may be the same peer) at
    /// the same time, so two peers exchanging large messages cannot deadlock
    /// on full socket buffers. Returns when both are complete.
    virtual void sendrecv(int dest, ConstBytes send_data, int src, MutableBytes recv_data,
                          MessageTag tag, const Deadline& deadline) = 0;

    /// Closes every connection at once, so partners blocked on us fail fast.
    virtual void abort() noexcept = 0;
};

}  // namespace fmi::detail
