#include "channels/direct/mesh.hpp"

#include "channels/direct/wire.hpp"
#include "rendezvous/client.hpp"

#include <fmi/errors.hpp>

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

namespace fmi::detail::direct {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

/// One connection being set up. Outgoing (to a lower peer): connecting ->
/// sending our HELLO -> receiving theirs. Incoming (from a higher peer):
/// receiving their HELLO -> sending ours. A failed outgoing attempt waits
/// and retries; a failed incoming one is dropped (its connector retries).
struct Handshake {
    enum class Phase { connecting, sending, receiving, waiting_retry, done, dropped };

    bool outgoing = false;
    int peer = -1;  // incoming: known once the HELLO is read
    Phase phase = Phase::receiving;
    UniqueFd fd;
    Endpoint address;

    std::string out;  // our HELLO
    std::size_t out_sent = 0;
    std::uint8_t fixed[kHelloFixedBytes] = {};
    std::string name;            // their communicator name
    std::size_t in_received = 0;  // over fixed + name
    std::optional<HelloPrefix> prefix;

    // outgoing only
    std::vector<Endpoint> endpoints;
    std::size_t attempt = 0;
    milliseconds backoff{0};
    Clock::time_point retry_at{};
    std::string last_error = "no attempt yet";
};

enum class Step { done, blocked, failed };

/// Sends the rest of our HELLO.
Step send_hello(Handshake& h, std::string& error) {
    while (h.out_sent < h.out.size()) {
        ssize_t n = ::send(h.fd.get(), h.out.data() + h.out_sent, h.out.size() - h.out_sent, MSG_NOSIGNAL);
        if (n >= 0) {
            h.out_sent += static_cast<std::size_t>(n);
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return Step::blocked;
        } else {
            error = "sending HELLO: " + errno_text(errno);
            return Step::failed;
        }
    }
    return Step::done;
}

/// Reads their HELLO exactly (never a byte of the data that may follow it).
Step receive_hello(Handshake& h, std::string& error) {
    for (;;) {
        std::uint8_t* target;
        std::size_t want;
        if (h.in_received < kHelloFixedBytes) {
            target = h.fixed + h.in_received;
            want = kHelloFixedBytes - h.in_received;
        } else {
            if (!h.prefix) {
                h.prefix = decode_hello_prefix(h.fixed);
                if (!h.prefix) {
                    error = "not an fmi direct HELLO (bad magic or version)";
                    return Step::failed;
                }
                h.name.resize(h.prefix->name_bytes);
            }
            const std::size_t got = h.in_received - kHelloFixedBytes;
            if (got == h.name.size()) return Step::done;
            target = reinterpret_cast<std::uint8_t*>(h.name.data()) + got;
            want = h.name.size() - got;
        }
        ssize_t n = ::recv(h.fd.get(), target, want, 0);
        if (n > 0) {
            h.in_received += static_cast<std::size_t>(n);
        } else if (n == 0) {
            error = "connection closed during the HELLO exchange (the partner refused it)";
            return Step::failed;
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return Step::blocked;
        } else {
            error = "receiving HELLO: " + errno_text(errno);
            return Step::failed;
        }
    }
}

class MeshBuilder {
public:
    MeshBuilder(const PeerIdentity& who, const DirectOptions& options, const DirectTuning& tuning,
                const Deadline& deadline, const Logger& log)
        : who_(who), options_(options), tuning_(tuning), deadline_(deadline), log_(log), links_(who.size) {}

    std::vector<Link> build() {
        validate();
        if (who_.size == 1) return std::move(links_);
        listener_ = listen_tcp({options_.listen_host, 0}, std::max(who_.size, 16), options_.socket_buffer_bytes);
        const rendezvous::PeersMessage peers = exchange_endpoints();
        for (int j = 0; j < who_.rank; ++j) start_outgoing(peers.peers[static_cast<std::size_t>(j)]);
        missing_ = who_.size - 1;
        while (missing_ > 0) run_once();
        log_.debug("direct: connected to all " + std::to_string(who_.size - 1) + " partners after " +
                   std::to_string(deadline_.elapsed().count()) + " ms");
        return std::move(links_);
    }

private:
    void validate() const {
        if (who_.size < 1)
            throw UsageError("direct: communicator size must be positive, got " + std::to_string(who_.size));
        if (who_.rank < 0 || who_.rank >= who_.size)
            throw UsageError("direct: peer id " + std::to_string(who_.rank) + " is not in 0.." +
                             std::to_string(who_.size - 1));
        if (who_.comm.empty() || who_.comm.size() > rendezvous::kMaxCommunicatorNameBytes)
            throw UsageError("direct: communicator name must have 1.." +
                             std::to_string(rendezvous::kMaxCommunicatorNameBytes) + " bytes, got " +
                             std::to_string(who_.comm.size()));
        if (!options_.secret.empty())
            throw ConfigError("direct.secret", "authenticated rendezvous is not implemented yet");
        if (who_.size > 1 && options_.rendezvous_port == 0)
            throw ConfigError("direct.rendezvous_port",
                              "no rendezvous server configured (port 0); fmirun sets FMI_RENDEZVOUS");
    }

    std::string self() const {
        return "direct: peer " + std::to_string(who_.rank) + " of " + std::to_string(who_.size) +
               " in communicator '" + who_.comm + "'";
    }

    /// Steps 2: register our listen endpoint, learn everyone's.
    rendezvous::PeersMessage exchange_endpoints() {
        rendezvous::RendezvousClient client({options_.rendezvous_host, options_.rendezvous_port}, deadline_);
        Endpoint mine = local_endpoint(listener_.get());
        if (is_wildcard_host(options_.listen_host)) mine.host = client.local_endpoint().host;
        log_.debug(self() + ": registering " + mine.to_string() + " at " + client.server().to_string());
        rendezvous::RegisterMessage request;
        request.comm = who_.comm;
        request.peer_id = static_cast<std::uint32_t>(who_.rank);
        request.peer_count = static_cast<std::uint32_t>(who_.size);
        request.endpoints = {mine};
        return client.register_and_wait(request, deadline_);
    }

    void start_outgoing(const rendezvous::PeerEntry& entry) {
        auto h = std::make_unique<Handshake>();
        h->outgoing = true;
        h->peer = static_cast<int>(entry.id);
        h->endpoints = entry.private_endpoints;
        if (h->endpoints.empty()) h->endpoints.push_back(entry.public_endpoint);
        h->backoff = tuning_.retry_initial;
        h->out = encode_hello({who_.comm, static_cast<std::uint32_t>(who_.rank), entry.id});
        attempt_connect(*h);
        handshakes_.push_back(std::move(h));
    }

    void attempt_connect(Handshake& h) {
        h.address = h.endpoints[h.attempt++ % h.endpoints.size()];
        h.out_sent = 0;
        h.in_received = 0;
        h.prefix.reset();
        h.name.clear();
        try {
            int error = 0;
            // One address per endpoint: ours are numeric, so this is no lookup.
            h.fd = start_connect(resolve(h.address).front(), options_.socket_buffer_bytes, error);
            if (error == 0) {
                h.phase = Handshake::Phase::sending;
            } else if (error == EINPROGRESS) {
                h.phase = Handshake::Phase::connecting;
            } else {
                retry_later(h, "connect: " + errno_text(error));
            }
        } catch (const IoError& e) {
            retry_later(h, e.what());
        }
    }

    void retry_later(Handshake& h, const std::string& why) {
        h.fd.reset();
        h.last_error = why;
        h.phase = Handshake::Phase::waiting_retry;
        h.retry_at = Clock::now() + h.backoff;
        h.backoff = std::min(h.backoff * 2, tuning_.retry_max);
        log_.debug(self() + ": connection to peer " + std::to_string(h.peer) + " at " + h.address.to_string() +
                   " failed (" + why + "), retrying");
    }

    void drop(Handshake& h, const std::string& why) {
        log_.warn(self() + ": dropped a connection from " + h.address.to_string() + ": " + why);
        h.fd.reset();
        h.phase = Handshake::Phase::dropped;
    }

    void established(Handshake& h) {
        set_nodelay(h.fd.get());
        Link& link = links_[static_cast<std::size_t>(h.peer)];
        link.peer = h.peer;
        link.fd = std::move(h.fd);
        link.address = h.address;
        h.phase = Handshake::Phase::done;
        --missing_;
    }

    bool hello_matches(const Handshake& h, std::uint32_t expected_from) const {
        return h.prefix->from == expected_from && h.prefix->to == static_cast<std::uint32_t>(who_.rank) &&
               h.name == who_.comm;
    }

    /// Moves one handshake as far as its socket allows.
    void step(Handshake& h) {
        std::string error;
        for (;;) {
            switch (h.phase) {
                case Handshake::Phase::connecting: {
                    int so_error = pending_socket_error(h.fd.get());
                    if (so_error == EINPROGRESS || so_error == EALREADY) return;
                    if (so_error != 0) return retry_later(h, "connect: " + errno_text(so_error));
                    // Poll said writable: connected (SO_ERROR 0).
                    h.phase = Handshake::Phase::sending;
                    break;
                }
                case Handshake::Phase::sending: {
                    Step s = send_hello(h, error);
                    if (s == Step::blocked) return;
                    if (s == Step::failed) return h.outgoing ? retry_later(h, error) : drop(h, error);
                    if (!h.outgoing) return established(h);  // we answered their valid HELLO
                    h.phase = Handshake::Phase::receiving;
                    break;
                }
                case Handshake::Phase::receiving: {
                    Step s = receive_hello(h, error);
                    if (s == Step::blocked) return;
                    if (s == Step::failed) return h.outgoing ? retry_later(h, error) : drop(h, error);
                    if (h.outgoing) {
                        if (!hello_matches(h, static_cast<std::uint32_t>(h.peer)))
                            return retry_later(h, "answer is not from peer " + std::to_string(h.peer) +
                                                      " of this communicator");
                        return established(h);
                    }
                    return accept_hello(h);
                }
                case Handshake::Phase::waiting_retry:
                    if (Clock::now() < h.retry_at) return;
                    attempt_connect(h);
                    if (h.phase == Handshake::Phase::connecting) return;  // wait for poll
                    break;
                case Handshake::Phase::done:
                case Handshake::Phase::dropped:
                    return;
            }
        }
    }

    /// Incoming HELLO read: is it a higher peer of our communicator that we
    /// still miss? Then answer; otherwise close.
    void accept_hello(Handshake& h) {
        const std::uint32_t from = h.prefix->from;
        if (h.name != who_.comm) return drop(h, "HELLO for another communicator ('" + h.name + "')");
        if (h.prefix->to != static_cast<std::uint32_t>(who_.rank))
            return drop(h, "HELLO addressed to peer " + std::to_string(h.prefix->to));
        if (from <= static_cast<std::uint32_t>(who_.rank) || from >= static_cast<std::uint32_t>(who_.size))
            return drop(h, "HELLO from peer " + std::to_string(from) + ", which should not connect to us");
        if (links_[from].fd || claimed(from, h))
            return drop(h, "second connection from peer " + std::to_string(from));
        h.peer = static_cast<int>(from);
        h.out = encode_hello({who_.comm, static_cast<std::uint32_t>(who_.rank), from});
        h.phase = Handshake::Phase::sending;
        step(h);
    }

    /// Another incoming handshake already answers `peer`.
    bool claimed(std::uint32_t peer, const Handshake& self) const {
        for (const auto& other : handshakes_)
            if (other.get() != &self && !other->outgoing && other->peer == static_cast<int>(peer) &&
                other->phase == Handshake::Phase::sending)
                return true;
        return false;
    }

    void accept_new() {
        for (;;) {
            SocketAddress from;
            from.length = sizeof from.storage;
            int fd = ::accept4(listener_.get(), reinterpret_cast<sockaddr*>(&from.storage), &from.length,
                               SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EINTR || errno == ECONNABORTED) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) return;
                throw_system_error(self() + ": accept", errno);
            }
            UniqueFd owned(fd);
            // Bound what strangers can make us hold.
            if (handshakes_.size() > static_cast<std::size_t>(4 * who_.size + 16)) continue;
            auto h = std::make_unique<Handshake>();
            h->outgoing = false;
            h->fd = std::move(owned);
            h->address = from.endpoint();
            h->phase = Handshake::Phase::receiving;
            Handshake& ref = *h;
            handshakes_.push_back(std::move(h));
            step(ref);
        }
    }

    int accepted_missing() const {
        int n = 0;
        for (int j = who_.rank + 1; j < who_.size; ++j)
            if (!links_[static_cast<std::size_t>(j)].fd) ++n;
        return n;
    }

    void run_once() {
        if (deadline_.expired()) throw_timeout();
        std::vector<pollfd> fds;
        std::vector<Handshake*> owners;
        if (accepted_missing() > 0) {
            fds.push_back({listener_.get(), POLLIN, 0});
            owners.push_back(nullptr);
        }
        auto wake_at = deadline_.end();
        for (auto& h : handshakes_) {
            short events = 0;
            switch (h->phase) {
                case Handshake::Phase::connecting:
                case Handshake::Phase::sending: events = POLLOUT; break;
                case Handshake::Phase::receiving: events = POLLIN; break;
                case Handshake::Phase::waiting_retry: wake_at = std::min(wake_at, h->retry_at); break;
                default: break;
            }
            if (events != 0) {
                fds.push_back({h->fd.get(), events, 0});
                owners.push_back(h.get());
            }
        }
        auto wait_us = std::chrono::duration_cast<std::chrono::microseconds>(wake_at - Clock::now()).count();
        int timeout_ms = static_cast<int>(std::clamp<long long>((wait_us + 999) / 1000, 0, 1 << 30));
        int n = ::poll(fds.data(), fds.size(), timeout_ms);
        if (n < 0 && errno != EINTR) throw_system_error(self() + ": poll", errno);
        for (std::size_t i = 0; n > 0 && i < fds.size(); ++i) {
            if (fds[i].revents == 0) continue;
            if (owners[i] == nullptr) accept_new();
            else step(*owners[i]);
        }
        for (auto& h : handshakes_)
            if (h->phase == Handshake::Phase::waiting_retry) step(*h);
        std::erase_if(handshakes_, [](const auto& h) {
            return h->phase == Handshake::Phase::done || h->phase == Handshake::Phase::dropped;
        });
    }

    [[noreturn]] void throw_timeout() const {
        std::string missing;
        for (int j = 0; j < who_.size; ++j) {
            if (j == who_.rank || links_[static_cast<std::size_t>(j)].fd) continue;
            if (!missing.empty()) missing += "; ";
            missing += "peer " + std::to_string(j);
            if (j < who_.rank) {
                for (const auto& h : handshakes_)
                    if (h->outgoing && h->peer == j)
                        missing += " at " + h->address.to_string() + " (last error: " + h->last_error + ")";
            } else {
                missing += " (never connected to us)";
            }
        }
        deadline_.throw_timeout(self() + ": connecting to partners, missing " + missing);
    }

    const PeerIdentity& who_;
    const DirectOptions& options_;
    const DirectTuning& tuning_;
    const Deadline& deadline_;
    const Logger& log_;
    std::vector<Link> links_;
    UniqueFd listener_;
    std::vector<std::unique_ptr<Handshake>> handshakes_;
    int missing_ = 0;
};

}  // namespace

std::vector<Link> connect_mesh(const PeerIdentity& who, const DirectOptions& options, const DirectTuning& tuning,
                               const Deadline& deadline, const Logger& log) {
    return MeshBuilder(who, options, tuning, deadline, log).build();
}

}  // namespace fmi::detail::direct
