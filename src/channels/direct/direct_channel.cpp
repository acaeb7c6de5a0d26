#include "channels/direct/direct_channel.hpp"

#include <fmi/errors.hpp>

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace fmi::detail {

std::unique_ptr<PeerChannel> make_direct_channel(const PeerIdentity& who, const DirectOptions& options,
                                                 const Logger& log) {
    return std::make_unique<direct::DirectChannel>(who, options, direct::DirectTuning::from_options(options), log);
}

namespace direct {

namespace {

using Clock = std::chrono::steady_clock;

std::string tag_text(OpKind op, std::uint64_t seq) { return std::string(to_string(op)) + "#" + std::to_string(seq); }

/// Errors that mean the partner (or the path to it) is gone.
bool is_peer_loss(int err) {
    return err == ECONNRESET || err == EPIPE || err == ENOTCONN || err == ECONNABORTED || err == ETIMEDOUT ||
           err == EHOSTUNREACH || err == ENETUNREACH || err == ESHUTDOWN;
}

/// One wait's use of the adaptive spin: spins while the budget lasts, then
/// reports once whether the message came during the spin.
class SpinWait {
public:
    explicit SpinWait(AdaptiveSpin& policy) : policy_(policy) {}
    /// True while this wait may spin once more.
    bool again() {
        if (!started_) {
            started_ = true;
            budget_ = policy_.next();
            if (budget_.count() == 0) {
                reported_ = true;  // not spinning: nothing to learn
                return false;
            }
            end_ = Clock::now() + budget_;
        }
        return !reported_ && Clock::now() < end_;
    }
    /// The wait ends spinning (message arrived, or poll from now on).
    void finish(bool arrived) {
        if (started_ && !reported_) policy_.record(arrived);
        reported_ = true;
    }

private:
    AdaptiveSpin& policy_;
    std::chrono::nanoseconds budget_{0};
    Clock::time_point end_{};
    bool started_ = false;
    bool reported_ = false;
};

std::string progress_text(std::size_t done, std::size_t total, const char* verb) {
    return std::string(verb) + " " + std::to_string(done) + " of " + std::to_string(total) + " payload bytes";
}

}  // namespace

DirectChannel::DirectChannel(const PeerIdentity& who, const DirectOptions& options, DirectTuning tuning, Logger log)
    : who_(who), tuning_(tuning), log_(std::move(log)), spin_(tuning.spin) {
    links_ = connect_mesh(who_, options, tuning_, Deadline(options.connect_timeout), log_);
}

DirectChannel::~DirectChannel() { close_gracefully(); }

std::string DirectChannel::describe(const char* operation, const Link& link, MessageTag tag) const {
    const bool to = std::strcmp(operation, "send") == 0;
    return std::string("direct ") + operation + (to ? " to" : " from") + " peer " + std::to_string(link.peer) +
           " (" + link.address.to_string() + ") for " + tag_text(tag.op, tag.seq) + " in communicator '" +
           who_.comm + "' (this is peer " + std::to_string(who_.rank) + ")";
}

Link& DirectChannel::partner(int peer, const char* operation) {
    if (peer < 0 || peer >= who_.size)
        throw UsageError(std::string("direct ") + operation + ": peer " + std::to_string(peer) + " is not in 0.." +
                         std::to_string(who_.size - 1));
    if (peer == who_.rank)
        throw UsageError(std::string("direct ") + operation + ": peer " + std::to_string(peer) +
                         " is this peer; a peer cannot send to or receive from itself");
    return links_[static_cast<std::size_t>(peer)];
}

void DirectChannel::check_usable() const {
    if (!broken_) return;
    std::lock_guard lock(reason_mutex_);
    throw IoError("direct: peer " + std::to_string(who_.rank) + " of communicator '" + who_.comm +
                  "' cannot communicate after an earlier error: " + broken_reason_);
}

template <class Body>
void DirectChannel::guarded(Body&& body) {
    check_usable();
    try {
        body();
    } catch (const std::exception& e) {
        // A stream that failed mid-message is out of step: nothing after it
        // can be trusted, so every later operation fails fast.
        if (!broken_.exchange(true)) {
            std::lock_guard lock(reason_mutex_);
            broken_reason_ = e.what();
        }
        throw;
    }
}

void DirectChannel::throw_send_failure(const OutgoingMessage& out, const Link& link, MessageTag tag,
                                       const char* operation) const {
    const std::string what = describe(operation, link, tag) + ": " + errno_text(out.error()) + " (" +
                             progress_text(out.payload_sent(), out.payload_size(), "sent") + ")";
    if (aborted_) throw IoError(what + " after this channel was aborted");
    if (is_peer_loss(out.error())) throw PeerLostError(what + ": the peer is gone", link.peer);
    throw IoError(what);
}

void DirectChannel::throw_recv_failure(Progress progress, const IncomingMessage& in, const Link& link,
                                       const char* operation) const {
    const MessageTag tag = in.expected();
    const std::string where = describe(operation, link, tag);
    const std::string so_far = progress_text(in.payload_received(), in.payload_size(), "received");
    if (aborted_) throw IoError(where + ": this channel was aborted (" + so_far + ")");
    if (progress == Progress::closed)
        throw PeerLostError(where + ": the peer closed the connection (" + so_far + ")", link.peer);
    if (progress == Progress::failed) {
        const std::string what = where + ": " + errno_text(in.error()) + " (" + so_far + ")";
        if (is_peer_loss(in.error())) throw PeerLostError(what + ": the peer is gone", link.peer);
        throw IoError(what);
    }
    // bad_header
    const DataHeader& h = in.header();
    if (h.magic != kDataMagic || h.version != kWireVersion)
        throw IoError(where + ": corrupt stream (message header magic " + std::to_string(h.magic) + ", version " +
                      std::to_string(h.version) + ")");
    if (h.op != tag.op || h.seq != tag.seq)
        throw MismatchError(where + ": expected " + tag_text(tag.op, tag.seq) + " but peer " +
                            std::to_string(link.peer) + " sent " + tag_text(h.op, h.seq) +
                            " (the peers called different operations)");
    throw SizeMismatchError(std::string("direct ") + operation + " " + tag_text(tag.op, tag.seq) +
                                " in communicator '" + who_.comm + "' (peer " + std::to_string(link.peer) + " at " +
                                link.address.to_string() + ")",
                            link.peer, in.payload_size(), static_cast<std::size_t>(h.bytes));
}

void DirectChannel::send(int peer, MessageTag tag, ConstBytes data, const Deadline& deadline) {
    Link& link = partner(peer, "send");
    guarded([&] {
        OutgoingMessage out(link.fd.get(), tag, data);
        for (;;) {
            Progress p = out.advance();
            if (p == Progress::done) return;
            if (p != Progress::blocked) throw_send_failure(out, link, tag, "send");
            if (poll_one(link.fd.get(), POLLOUT, deadline) == 0)
                deadline.throw_timeout(describe("send", link, tag) + ": " +
                                       progress_text(out.payload_sent(), out.payload_size(), "sent"));
        }
    });
}

void DirectChannel::recv(int peer, MessageTag tag, MutableBytes data, const Deadline& deadline) {
    Link& link = partner(peer, "recv");
    guarded([&] {
        IncomingMessage in(link.fd.get(), tag, data);
        SpinWait spin(spin_);
        for (;;) {
            Progress p = in.advance();
            if (p == Progress::done) return spin.finish(in.started());
            if (p != Progress::blocked) throw_recv_failure(p, in, link, "recv");
            if (!in.started() && spin.again()) continue;  // see adaptive_spin.hpp
            spin.finish(in.started());
            if (poll_one(link.fd.get(), POLLIN, deadline) == 0)
                deadline.throw_timeout(describe("recv", link, tag) + ": " +
                                       progress_text(in.payload_received(), in.payload_size(), "received"));
        }
    });
}

void DirectChannel::sendrecv(int dest, ConstBytes send_data, int src, MutableBytes recv_data, MessageTag tag,
                             const Deadline& deadline) {
    if (dest == who_.rank && src == who_.rank) {
        // Exchange with oneself (e.g. a ring of one): a local copy.
        if (send_data.size() != recv_data.size())
            throw SizeMismatchError("direct sendrecv " + tag_text(tag.op, tag.seq) + " with itself", who_.rank,
                                    recv_data.size(), send_data.size());
        if (!send_data.empty()) std::memmove(recv_data.data(), send_data.data(), send_data.size());
        return;
    }
    Link& to = partner(dest, "send");
    Link& from = partner(src, "recv");
    guarded([&] {
        OutgoingMessage out(to.fd.get(), tag, send_data);
        IncomingMessage in(from.fd.get(), tag, recv_data);
        SpinWait spin(spin_);
        for (;;) {
            if (!out.done()) {
                Progress p = out.advance();
                if (p != Progress::done && p != Progress::blocked) throw_send_failure(out, to, tag, "send");
            }
            if (!in.done()) {
                Progress p = in.advance();
                if (p != Progress::done && p != Progress::blocked) throw_recv_failure(p, in, from, "recv");
            }
            if (out.done() && in.done()) return spin.finish(true);
            if (out.done() && !in.started() && spin.again()) continue;
            if (out.done()) spin.finish(in.started());

            pollfd fds[2];
            nfds_t count = 0;
            if (&to == &from) {
                const short events = static_cast<short>((out.done() ? 0 : POLLOUT) | (in.done() ? 0 : POLLIN));
                fds[count++] = {to.fd.get(), events, 0};
            } else {
                if (!out.done()) fds[count++] = {to.fd.get(), POLLOUT, 0};
                if (!in.done()) fds[count++] = {from.fd.get(), POLLIN, 0};
            }
            int n = ::poll(fds, count, deadline.poll_timeout_ms());
            if (n < 0 && errno != EINTR) throw_system_error("direct sendrecv: poll", errno);
            if (n == 0 && deadline.expired())
                deadline.throw_timeout("direct sendrecv in communicator '" + who_.comm + "' (this is peer " +
                                       std::to_string(who_.rank) + ") for " + tag_text(tag.op, tag.seq) +
                                       ": to peer " + std::to_string(dest) + " (" + to.address.to_string() + ") " +
                                       progress_text(out.payload_sent(), out.payload_size(), "sent") +
                                       ", from peer " + std::to_string(src) + " (" + from.address.to_string() +
                                       ") " + progress_text(in.payload_received(), in.payload_size(), "received"));
        }
    });
}

void DirectChannel::abort() noexcept {
    aborted_ = true;
    if (!broken_.exchange(true)) {
        std::lock_guard lock(reason_mutex_);
        broken_reason_ = "the channel was aborted";
    }
    // shutdown, not close: another thread may be inside poll on these
    // descriptors; it wakes with an error instead of touching a reused one.
    for (Link& link : links_)
        if (link.fd) ::shutdown(link.fd.get(), SHUT_RDWR);
}

void DirectChannel::close_gracefully() noexcept {
    if (aborted_) return;  // sockets already shut down; close at once
    std::vector<pollfd> open;
    for (Link& link : links_) {
        if (!link.fd) continue;
        ::shutdown(link.fd.get(), SHUT_WR);  // FIN after everything we sent
        open.push_back({link.fd.get(), POLLIN, 0});
    }
    // Wait for each partner's FIN, reading (and discarding) what it still
    // sends, so that we never close with unread data, which would send a
    // reset instead of a FIN.
    Deadline linger(tuning_.close_linger);
    std::vector<char> scratch(64 * 1024);
    std::size_t discarded = 0;
    while (!open.empty()) {
        int n = ::poll(open.data(), open.size(), linger.poll_timeout_ms());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // linger over (or poll failed): close anyway
        for (pollfd& p : open) {
            if (p.revents == 0) continue;
            for (int reads = 0; reads < 16; ++reads) {
                ssize_t got = ::recv(p.fd, scratch.data(), scratch.size(), 0);
                if (got > 0) {
                    discarded += static_cast<std::size_t>(got);
                    continue;
                }
                if (got < 0 && (errno == EINTR)) continue;
                if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) p.fd = -1;  // EOF or dead: done
                break;
            }
        }
        std::erase_if(open, [](const pollfd& p) { return p.fd < 0; });
    }
    if (discarded > 0)
        log_.warn("direct: peer " + std::to_string(who_.rank) + " of communicator '" + who_.comm + "' discarded " +
                  std::to_string(discarded) + " unread bytes from partners at close");
    if (!open.empty())
        log_.debug("direct: " + std::to_string(open.size()) + " partners had not closed after " +
                   std::to_string(tuning_.close_linger.count()) + " ms; closing anyway");
    // links_ (and their descriptors) are released by the destructor.
}

}  // namespace direct
}  // namespace fmi::detail
