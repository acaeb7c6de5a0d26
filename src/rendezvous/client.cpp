#include "rendezvous/client.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <vector>

namespace fmi::detail::rendezvous {

RendezvousClient::RendezvousClient(Endpoint server, const Deadline& deadline) : server_(std::move(server)) {
    fd_ = connect_with_deadline(server_, deadline, "rendezvous");
}

RendezvousClient::RendezvousClient(Endpoint server, const Endpoint& local, const Deadline& deadline)
    : server_(std::move(server)) {
    fd_ = connect_with_deadline(server_, deadline, "rendezvous", 0, &local);
}

Endpoint RendezvousClient::local_endpoint() const { return fmi::detail::local_endpoint(fd_.get()); }

void RendezvousClient::send_frame(BytesView frame, const Deadline& deadline) {
    std::size_t sent = 0;
    while (sent < frame.size()) {
        ssize_t n = ::send(fd_.get(), frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
        if (n >= 0) {
            sent += static_cast<std::size_t>(n);
            continue;
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) throw_system_error(where() + ": send", errno);
        if (poll_one(fd_.get(), POLLOUT, deadline) == 0)
            deadline.throw_timeout(where() + ": sending " + std::to_string(frame.size()) + " bytes (" +
                                   std::to_string(sent) + " sent)");
    }
}

RendezvousClient::Frame RendezvousClient::read_frame(const Deadline& deadline, const std::string& waiting_for) {
    std::vector<std::uint8_t> chunk(16 * 1024);
    for (;;) {
        std::optional<FrameView> frame;
        try {
            frame = parse_frame(buffer_, kClientMaxFrameBytes);
        } catch (const ProtocolError& e) {
            throw IoError(where() + ": bad answer: " + e.what());
        }
        if (frame) {
            Frame out{frame->type, Bytes(frame->payload.begin(), frame->payload.end())};
            buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(frame->frame_bytes));
            return out;
        }
        ssize_t n = ::recv(fd_.get(), chunk.data(), chunk.size(), 0);
        if (n > 0) {
            buffer_.insert(buffer_.end(), chunk.begin(), chunk.begin() + n);
            continue;
        }
        if (n == 0)
            throw IoError(where() + " closed the connection while " + waiting_for + " (" +
                          std::to_string(buffer_.size()) + " bytes of a frame received)");
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) throw_system_error(where() + ": recv", errno);
        if (poll_one(fd_.get(), POLLIN, deadline) == 0) deadline.throw_timeout(where() + ": " + waiting_for);
    }
}

namespace {

/// The answer must be for our communicator and list ids 0..n-1 once each.
void check_answer(const PeersMessage& answer, const RegisterMessage& request, const std::string& where) {
    auto bad = [&](const std::string& why) { throw IoError(where + ": inconsistent PEERS answer: " + why); };
    if (answer.comm != request.comm) bad("for communicator '" + answer.comm + "', not '" + request.comm + "'");
    if (answer.peers.size() != request.peer_count)
        bad(std::to_string(answer.peers.size()) + " peers instead of " + std::to_string(request.peer_count));
    for (std::size_t i = 0; i < answer.peers.size(); ++i)
        if (answer.peers[i].id != i)
            bad("entry " + std::to_string(i) + " has peer id " + std::to_string(answer.peers[i].id));
}

}  // namespace

PeersMessage RendezvousClient::register_and_wait(const RegisterMessage& request, const Deadline& deadline) {
    send_frame(encode(request), deadline);
    const std::string waiting_for = "waiting for the " + std::to_string(request.peer_count) +
                                    " peers of communicator '" + request.comm + "' (this is peer " +
                                    std::to_string(request.peer_id) + ")";
    Frame frame = read_frame(deadline, waiting_for);
    switch (static_cast<MessageType>(frame.type)) {
        case MessageType::peers: {
            PeersMessage answer;
            try {
                answer = decode_peers(frame.payload);
            } catch (const ProtocolError& e) {
                throw IoError(where() + ": " + e.what());
            }
            check_answer(answer, request, where());
            return answer;
        }
        case MessageType::error: {
            ErrorMessage error;
            try {
                error = decode_error(frame.payload);
            } catch (const ProtocolError& e) {
                throw IoError(where() + ": " + e.what());
            }
            throw RendezvousError(error.code, where() + " refused peer " + std::to_string(request.peer_id) +
                                                  " of communicator '" + request.comm + "': " +
                                                  to_string(error.code) + ": " + error.text);
        }
        default:
            throw IoError(where() + ": unexpected frame type " + std::to_string(frame.type) + " while " +
                          waiting_for);
    }
}

void RendezvousClient::request_relay(const RelayOpenMessage& request, const Deadline& deadline) {
    send_frame(encode(request), deadline);
}

namespace {

/// Reads exactly `size` bytes (no more: what follows belongs to the relay).
void read_exactly(int fd, std::uint8_t* out, std::size_t size, const Deadline& deadline, const std::string& where,
                  const std::string& waiting_for) {
    std::size_t got = 0;
    while (got < size) {
        ssize_t n = ::recv(fd, out + got, size - got, 0);
        if (n > 0) {
            got += static_cast<std::size_t>(n);
            continue;
        }
        if (n == 0) throw IoError(where + " closed the connection while " + waiting_for);
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) throw_system_error(where + ": recv", errno);
        if (poll_one(fd, POLLIN, deadline) == 0) deadline.throw_timeout(where + ": " + waiting_for);
    }
}

}  // namespace

void RendezvousClient::await_relay(const RelayOpenMessage& request, const Deadline& deadline) {
    const std::string waiting_for = "waiting for peer " + std::to_string(request.to) + " of communicator '" +
                                    request.comm + "' to join the relay from peer " + std::to_string(request.from);
    std::uint8_t header[kFrameHeaderBytes];
    read_exactly(fd_.get(), header, sizeof header, deadline, where(), waiting_for);
    const std::uint32_t length = (std::uint32_t(header[0]) << 24) | (std::uint32_t(header[1]) << 16) |
                                 (std::uint32_t(header[2]) << 8) | std::uint32_t(header[3]);
    if (length < kLengthCoveredHeaderBytes || length > 64 * 1024)
        throw IoError(where() + ": bad answer to RELAY_OPEN (frame length " + std::to_string(length) + ")");
    Bytes frame(header, header + sizeof header);
    frame.resize(length + 4);
    read_exactly(fd_.get(), frame.data() + sizeof header, frame.size() - sizeof header, deadline, where(),
                 waiting_for);
    std::optional<FrameView> view;
    try {
        view = parse_frame(frame, frame.size());
    } catch (const ProtocolError& e) {
        throw IoError(where() + ": bad answer to RELAY_OPEN: " + e.what());
    }
    if (view->type == static_cast<std::uint16_t>(MessageType::relay_open) && view->payload.empty()) return;
    if (view->type == static_cast<std::uint16_t>(MessageType::error)) {
        ErrorMessage error;
        try {
            error = decode_error(view->payload);
        } catch (const ProtocolError& e) {
            throw IoError(where() + ": " + e.what());
        }
        throw RendezvousError(error.code, where() + " refused the relay from peer " + std::to_string(request.from) +
                                              " to peer " + std::to_string(request.to) + " of communicator '" +
                                              request.comm + "': " + to_string(error.code) + ": " + error.text);
    }
    throw IoError(where() + ": unexpected frame type " + std::to_string(view->type) + " while " + waiting_for);
}

}  // namespace fmi::detail::rendezvous
