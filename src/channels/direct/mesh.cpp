#include "channels/direct/mesh.hpp"

#include "channels/direct/wire.hpp"
#include "rendezvous/auth.hpp"
#include "rendezvous/client.hpp"

#include <fmi/errors.hpp>

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <set>

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

    bool outgoing = false;  // we connected (or punched) and send our HELLO first
    bool relayed = false;   // a stream through the rendezvous server: no retries
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
        // The port is shared (SO_REUSEPORT) by the listener, the connection
        // to the server and the connections to partners, so the server sees
        // the NAT mapping that partners must punch towards.
        listener_ = listen_tcp({options_.listen_host, 0}, std::max(who_.size, 16), options_.socket_buffer_bytes,
                               /*share_port=*/true);
        own_port_ = {options_.listen_host, local_endpoint(listener_.get()).port};
        peers_ = exchange_endpoints();
        missing_ = who_.size - 1;
        punch_deadline_ = Clock::now() + options_.punch_timeout;
        if (options_.relay == DirectOptions::Relay::force) {
            start_relays();
        } else {
            for (int j = 0; j < who_.size; ++j)
                if (j != who_.rank) plan_direct(j);
        }
        while (missing_ > 0) run_once();
        log_.debug(self() + ": connected to all " + std::to_string(who_.size - 1) + " partners (" +
                   std::to_string(relaying_.size()) + " relayed) after " +
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
        rendezvous::RendezvousClient client({options_.rendezvous_host, options_.rendezvous_port}, own_port_,
                                            deadline_);
        Endpoint mine = local_endpoint(listener_.get());
        if (is_wildcard_host(options_.listen_host)) mine.host = client.local_endpoint().host;
        log_.debug(self() + ": registering " + mine.to_string() + " at " + client.server().to_string());
        rendezvous::RegisterMessage request;
        request.comm = who_.comm;
        request.peer_id = static_cast<std::uint32_t>(who_.rank);
        request.peer_count = static_cast<std::uint32_t>(who_.size);
        request.endpoints = {mine};
        if (!options_.secret.empty()) request.auth = rendezvous::registration_mac(options_.secret, request);
        return client.register_and_wait(request, deadline_);
    }

    const rendezvous::PeerEntry& entry(int peer) const { return peers_.peers[static_cast<std::size_t>(peer)]; }

    /// Behind a NAT: the server saw another address than the peer registered.
    bool behind_nat(int peer) const {
        const auto& e = entry(peer);
        for (const Endpoint& p : e.private_endpoints)
            if (p.host == e.public_endpoint.host) return false;
        return true;
    }

    /// How to reach `peer` directly (docs/rendezvous.md, "NAT types"):
    ///  - same public address as ours (same host, or behind the same NAT):
    ///    its private endpoints; the higher peer connects, the lower accepts;
    ///  - otherwise its public endpoint (= the private one when it has no
    ///    NAT); when either side is behind a NAT, BOTH connect, from their
    ///    shared port to the other's public endpoint (TCP simultaneous open),
    ///    so each NAT sees outgoing traffic and lets the other's SYN in.
    void plan_direct(int peer) {
        const bool same_site = entry(peer).public_endpoint.host == entry(who_.rank).public_endpoint.host;
        const bool punch = !same_site && (behind_nat(peer) || behind_nat(who_.rank));
        if (peer > who_.rank && !punch) return;  // it connects to us
        std::vector<Endpoint> targets;
        if (same_site) targets = entry(peer).private_endpoints;
        if (targets.empty()) targets.push_back(entry(peer).public_endpoint);
        if (punch)
            log_.debug(self() + ": punching to peer " + std::to_string(peer) + " at " + targets.front().to_string());
        start_outgoing(peer, std::move(targets));
    }

    void start_outgoing(int peer, std::vector<Endpoint> targets) {
        auto h = std::make_unique<Handshake>();
        h->outgoing = true;
        h->peer = peer;
        h->endpoints = std::move(targets);
        h->backoff = tuning_.retry_initial;
        h->out = encode_hello({who_.comm, static_cast<std::uint32_t>(who_.rank), static_cast<std::uint32_t>(peer)});
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
            h.fd = start_connect(resolve(h.address).front(), options_.socket_buffer_bytes, error, &own_port_);
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
        if (h.relayed)
            throw PeerLostError(self() + ": relayed connection to peer " + std::to_string(h.peer) + " through " +
                                h.address.to_string() + " failed: " + why,
                                h.peer);
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
        if (links_[static_cast<std::size_t>(h.peer)].fd) return drop(h, "second connection from peer " + std::to_string(h.peer));
        set_nodelay(h.fd.get());
        // Other attempts for this partner (the punch from the other side, a
        // retry) are no longer needed.
        for (auto& other : handshakes_)
            if (other.get() != &h && other->peer == h.peer && other->outgoing) {
                other->fd.reset();
                other->phase = Handshake::Phase::dropped;
            }
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
        // Lower peers reach our listener too when a punch from their side
        // lands after our own attempt gave up (then the NAT hands it over).
        if (from == static_cast<std::uint32_t>(who_.rank) || from >= static_cast<std::uint32_t>(who_.size))
            return drop(h, "HELLO from peer " + std::to_string(from) + ", which should not connect to us");
        if (relaying_.count(static_cast<int>(from)))
            return drop(h, "peer " + std::to_string(from) + " is already reached through the relay");
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
        for (int j = 0; j < who_.size; ++j)
            if (j != who_.rank && !links_[static_cast<std::size_t>(j)].fd && !relaying_.count(j)) ++n;
        return n;
    }

    /// Every partner not connected yet is reached through the rendezvous
    /// server: first ask for all relays (so no two peers wait on each other
    /// in a cycle), then wait for each; each stream then starts with the same
    /// HELLO exchange as a direct connection.
    void start_relays() {
        std::vector<int> peers;
        for (int j = 0; j < who_.size; ++j)
            if (j != who_.rank && !links_[static_cast<std::size_t>(j)].fd) peers.push_back(j);
        if (peers.empty()) return;
        std::string list;
        for (int j : peers) list += (list.empty() ? "" : ", ") + std::to_string(j);
        log_.info(self() + ": " +
                  (options_.relay == DirectOptions::Relay::force
                       ? std::string("relay forced by the configuration")
                       : "no direct connection within " + std::to_string(options_.punch_timeout.count()) + " ms") +
                  "; relaying through " + server().to_string() + " to peers " + list);
        for (auto& h : handshakes_)
            if (h->outgoing && std::find(peers.begin(), peers.end(), h->peer) != peers.end()) {
                h->fd.reset();
                h->phase = Handshake::Phase::dropped;
            }
        struct Pending {
            int peer;
            rendezvous::RelayOpenMessage request;
            std::unique_ptr<rendezvous::RendezvousClient> client;
        };
        std::vector<Pending> pending;
        for (int j : peers) {
            relaying_.insert(j);
            Pending p{j, {who_.comm, static_cast<std::uint32_t>(who_.rank), static_cast<std::uint32_t>(j), {}},
                      std::make_unique<rendezvous::RendezvousClient>(server(), deadline_)};
            if (!options_.secret.empty()) p.request.auth = rendezvous::relay_mac(options_.secret, p.request);
            p.client->request_relay(p.request, deadline_);
            pending.push_back(std::move(p));
        }
        for (Pending& p : pending) {
            p.client->await_relay(p.request, deadline_);
            auto h = std::make_unique<Handshake>();
            h->outgoing = true;  // both sides send HELLO first, then check the other's
            h->relayed = true;
            h->peer = p.peer;
            h->address = server();
            h->fd = p.client->release();
            h->out = encode_hello({who_.comm, static_cast<std::uint32_t>(who_.rank), static_cast<std::uint32_t>(p.peer)});
            h->phase = Handshake::Phase::sending;
            Handshake& ref = *h;
            handshakes_.push_back(std::move(h));
            step(ref);
        }
    }

    Endpoint server() const { return {options_.rendezvous_host, options_.rendezvous_port}; }

    void run_once() {
        if (deadline_.expired()) throw_timeout();
        if (options_.relay == DirectOptions::Relay::automatic && relaying_.empty() && Clock::now() >= punch_deadline_)
            start_relays();
        if (missing_ == 0) return;
        std::vector<pollfd> fds;
        std::vector<Handshake*> owners;
        if (accepted_missing() > 0) {
            fds.push_back({listener_.get(), POLLIN, 0});
            owners.push_back(nullptr);
        }
        auto wake_at = deadline_.end();
        if (options_.relay == DirectOptions::Relay::automatic && relaying_.empty())
            wake_at = std::min(wake_at, punch_deadline_);
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
    Endpoint own_port_;  // listen host and port, shared by every outgoing socket
    rendezvous::PeersMessage peers_;
    Clock::time_point punch_deadline_{};
    std::set<int> relaying_;  // partners reached through the relay
    int missing_ = 0;
};

}  // namespace

std::vector<Link> connect_mesh(const PeerIdentity& who, const DirectOptions& options, const DirectTuning& tuning,
                               const Deadline& deadline, const Logger& log) {
    return MeshBuilder(who, options, tuning, deadline, log).build();
}

}  // namespace fmi::detail::direct
