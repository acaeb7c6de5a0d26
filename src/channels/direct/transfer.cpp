#include "channels/direct/transfer.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>

namespace fmi::detail::direct {

namespace {

/// Points iov at what is left of [header][payload] after `offset` bytes.
template <class Byte>
int remaining_iov(iovec (&iov)[2], std::uint8_t* header, std::span<Byte> payload, std::size_t offset) {
    int count = 0;
    if (offset < kDataHeaderBytes) {
        iov[count++] = {header + offset, kDataHeaderBytes - offset};
        offset = 0;
    } else {
        offset -= kDataHeaderBytes;
    }
    if (offset < payload.size())
        iov[count++] = {const_cast<std::byte*>(payload.data()) + offset, payload.size() - offset};
    return count;
}

}  // namespace

Progress OutgoingMessage::advance() {
    while (!done()) {
        iovec iov[2];
        msghdr msg{};
        msg.msg_iov = iov;
        msg.msg_iovlen = static_cast<std::size_t>(remaining_iov(iov, header_.data(), payload_, sent_));
        ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
        if (n >= 0) {
            sent_ += static_cast<std::size_t>(n);
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return Progress::blocked;
        } else {
            error_ = errno;
            return Progress::failed;
        }
    }
    return Progress::done;
}

Progress IncomingMessage::advance() {
    while (!done()) {
        iovec iov[2];
        msghdr msg{};
        msg.msg_iov = iov;
        // Header and payload in one call: for small messages one system call
        // brings the whole message. If the sender's message is shorter than
        // expected, some bytes of its next message may land in the payload;
        // the header check below fails and the channel is broken anyway.
        msg.msg_iovlen = static_cast<std::size_t>(remaining_iov(iov, raw_header_.data(), payload_, received_));
        ssize_t n = ::recvmsg(fd_, &msg, 0);
        if (n > 0) {
            received_ += static_cast<std::size_t>(n);
        } else if (n == 0) {
            return Progress::closed;
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return Progress::blocked;
        } else {
            error_ = errno;
            return Progress::failed;
        }
        if (!header_ok_ && received_ >= kDataHeaderBytes) {
            header_ = decode_data_header(raw_header_);
            if (header_.magic != kDataMagic || header_.version != kWireVersion || header_.op != expected_.op ||
                header_.seq != expected_.seq || header_.bytes != payload_.size())
                return Progress::bad_header;
            header_ok_ = true;
        }
    }
    return Progress::done;
}

}  // namespace fmi::detail::direct
