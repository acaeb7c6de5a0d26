// One message in flight on a non-blocking socket, in either direction. Each
// advance() moves as many bytes as the socket takes or has, without waiting,
// so the channel can drive a send and a receive at once (sendrecv) and
// decide itself when and how long to wait.
//
// Sending gathers header and payload with one sendmsg (no copy into a
// staging buffer, MSG_NOSIGNAL so a dead peer is an error, not SIGPIPE);
// receiving scatters straight into header and caller's buffer with recvmsg,
// never reading beyond this message's expected end.
#pragma once

#include "channels/direct/wire.hpp"
#include "channels/peer_channel.hpp"

#include <cstddef>

namespace fmi::detail::direct {

enum class Progress {
    done,        ///< the whole message moved
    blocked,     ///< the socket has no room / no data now: wait in poll
    closed,      ///< the partner closed the connection (EOF)
    failed,      ///< a socket error; see error()
    bad_header,  ///< received header differs from what we expect; see header()
};

class OutgoingMessage {
public:
    OutgoingMessage(int fd, MessageTag tag, ConstBytes payload)
        : fd_(fd), header_(encode_data_header(tag.op, tag.seq, payload.size())), payload_(payload) {}

    Progress advance();
    bool done() const noexcept { return sent_ == kDataHeaderBytes + payload_.size(); }
    std::size_t payload_sent() const noexcept { return sent_ > kDataHeaderBytes ? sent_ - kDataHeaderBytes : 0; }
    std::size_t payload_size() const noexcept { return payload_.size(); }
    int error() const noexcept { return error_; }

private:
    int fd_;
    DataHeaderBytes header_;
    ConstBytes payload_;
    std::size_t sent_ = 0;  // over header + payload
    int error_ = 0;
};

class IncomingMessage {
public:
    IncomingMessage(int fd, MessageTag expected, MutableBytes payload)
        : fd_(fd), expected_(expected), payload_(payload) {}

    Progress advance();
    bool done() const noexcept { return header_ok_ && received_ == kDataHeaderBytes + payload_.size(); }
    /// Any byte of this message arrived (used to stop spinning).
    bool started() const noexcept { return received_ > 0; }
    std::size_t payload_received() const noexcept {
        return received_ > kDataHeaderBytes ? received_ - kDataHeaderBytes : 0;
    }
    std::size_t payload_size() const noexcept { return payload_.size(); }
    /// Valid after advance() returned bad_header (or once the header arrived).
    const DataHeader& header() const noexcept { return header_; }
    MessageTag expected() const noexcept { return expected_; }
    int error() const noexcept { return error_; }

private:
    int fd_;
    MessageTag expected_;
    MutableBytes payload_;
    DataHeaderBytes raw_header_{};
    DataHeader header_;
    bool header_ok_ = false;
    std::size_t received_ = 0;  // over header + payload
    int error_ = 0;
};

}  // namespace fmi::detail::direct
