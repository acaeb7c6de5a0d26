// The rendezvous server's event loop: one thread, non-blocking sockets and
// level-triggered epoll, so a slow or silent client costs a descriptor and a
// buffer but never blocks anyone else.
//
// Per client: read what is available (at most 256 KiB per wake-up, so one
// busy client cannot starve the rest), cut it into frames (parse_frame refuses
// oversized frames from their header), act on each frame through the Registry,
// and queue answers in an output queue flushed as the socket accepts them.
// Every refusal is an ERROR frame followed by a graceful close: the server
// shuts down its sending side once the queue is flushed (so the answer is not
// lost to a reset), discards further input, and closes at the client's EOF or
// after a short linger. A timer sweep expires registrations (registration_ttl),
// disconnects unregistered clients that sent no complete frame for
// idle_timeout and ends lingering ones.
#include "rendezvous/server.hpp"

#include "rendezvous/auth.hpp"
#include "rendezvous/protocol.hpp"
#include "rendezvous/registry.hpp"
#include "rendezvous/socket.hpp"

#include <fmi/errors.hpp>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <deque>
#include <map>
#include <tuple>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace fmi::detail {

using namespace rendezvous;
using std::chrono::milliseconds;

namespace {

constexpr ClientId kListenerId = 0;
constexpr ClientId kWakeId = 1;
constexpr ClientId kFirstClientId = 2;
/// Bytes per read, and reads per wake-up of one client (fairness).
constexpr std::size_t kReadChunk = 64 * 1024;
constexpr int kReadsPerWake = 4;
/// Connections accepted per wake-up of the listener (fairness again).
constexpr int kAcceptBurst = 64;
/// How many refused (over max_clients) connections may linger to receive
/// their ERROR; beyond this they are closed at once without one.
constexpr std::size_t kMaxRejectedLingering = 64;
/// Longest wait for a client's EOF after the server's last frame.
constexpr milliseconds kCloseLinger{10'000};
/// A relaying client stops being read while its partner has this many bytes
/// queued (backpressure: the relay holds at most this much per direction).
constexpr std::size_t kRelayQueueLimit = 4u << 20;

}  // namespace

struct RendezvousServer::Impl {
    /// fresh -> registered -> closing (pairing), or
    /// fresh -> relay_waiting -> relaying (relay; closes with its partner).
    enum class State { fresh, registered, closing, relay_waiting, relaying };
    using RelayKey = std::tuple<std::string, std::uint32_t, std::uint32_t>;  // comm, from, to

    struct Client {
        ClientId id = 0;
        UniqueFd fd;
        Endpoint observed;  // the client's address as seen here
        Bytes in;           // received, not yet parsed
        std::deque<std::shared_ptr<const Bytes>> out;
        std::size_t out_offset = 0;  // sent bytes of out.front()
        Clock::time_point last_activity;  // connect or last complete frame
        State state = State::fresh;
        Clock::time_point closing_since;
        bool write_shut = false;
        bool watching_writable = false;
        bool dead = false;
        // relay only
        RelayKey relay_key;
        ClientId partner = 0;
        std::size_t out_bytes = 0;  // queued for this client
        bool read_eof = false;      // no more input from this client
        bool shut_after_flush = false;  // partner ended: FIN once flushed
    };

    RendezvousServerOptions options;
    Registry registry;
    UniqueFd listener, epoll, wake;
    std::uint16_t port = 0;
    std::unordered_map<ClientId, Client> clients;
    std::vector<ClientId> dead;
    std::map<RelayKey, ClientId> relay_waiting;  // first side of a pair, waiting for the second
    ClientId next_id = kFirstClientId;
    bool listener_paused = false;
    milliseconds sweep_interval{1000};
    milliseconds close_linger{kCloseLinger};
    std::vector<std::uint8_t> scratch = std::vector<std::uint8_t>(kReadChunk);

    std::atomic<bool> stop_requested{false};
    std::mutex stop_mutex;
    std::thread thread;

    explicit Impl(RendezvousServerOptions o)
        : options(std::move(o)),
          registry(RegistryLimits{options.max_peers_per_communicator, options.max_communicators,
                                  options.registration_ttl}) {
        validate_options();
        listener = listen_tcp({options.host, options.port}, 1024);
        port = local_endpoint(listener.get()).port;
        epoll = UniqueFd(::epoll_create1(EPOLL_CLOEXEC));
        if (!epoll) throw_system_error("rendezvous server: epoll_create1", errno);
        wake = UniqueFd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
        if (!wake) throw_system_error("rendezvous server: eventfd", errno);
        watch(listener.get(), kListenerId, EPOLLIN, EPOLL_CTL_ADD);
        watch(wake.get(), kWakeId, EPOLLIN, EPOLL_CTL_ADD);
        // Timers are checked by a sweep; its period bounds their lateness.
        sweep_interval = std::clamp(std::min(options.registration_ttl, options.idle_timeout) / 8,
                                    milliseconds(5), milliseconds(1000));
        close_linger = std::min(kCloseLinger, options.idle_timeout);
        log("listening on " + Endpoint{options.host, port}.to_string());
        thread = std::thread([this] { run(); });
    }

    void validate_options() const {
        if (options.secret.size() > 4096)
            throw ConfigError("rendezvous.secret", "longer than 4096 bytes");
        if (options.max_message_bytes < 64)
            throw ConfigError("rendezvous.max_message_bytes", "must be at least 64 bytes");
        if (options.registration_ttl <= milliseconds(0))
            throw ConfigError("rendezvous.registration_ttl", "must be positive");
        if (options.idle_timeout <= milliseconds(0))
            throw ConfigError("rendezvous.idle_timeout", "must be positive");
        if (options.max_clients == 0 || options.max_communicators == 0 ||
            options.max_peers_per_communicator == 0)
            throw ConfigError("rendezvous.max_*", "limits must be positive");
    }

    void log(const std::string& message) const {
        if (!options.verbose) return;
        std::string line = "fmi-rendezvous: " + message + "\n";
        std::fwrite(line.data(), 1, line.size(), stderr);
    }

    void watch(int fd, ClientId id, std::uint32_t events, int op) {
        epoll_event ev{};
        ev.events = events;
        ev.data.u64 = id;
        if (::epoll_ctl(epoll.get(), op, fd, &ev) < 0) throw_system_error("rendezvous server: epoll_ctl", errno);
    }

    void request_stop() noexcept {
        std::lock_guard lock(stop_mutex);
        stop_requested = true;
        std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(wake.get(), &one, sizeof one);
        if (thread.joinable() && thread.get_id() != std::this_thread::get_id()) thread.join();
    }

    // ---- the loop ---------------------------------------------------------

    void run() noexcept {
        try {
            loop();
        } catch (const std::exception& e) {
            // Out of memory or a broken epoll: nothing sensible to continue with.
            std::string line = std::string("fmi-rendezvous: stopped by an internal error: ") + e.what() + "\n";
            std::fwrite(line.data(), 1, line.size(), stderr);
        }
        say_goodbye();
    }

    void loop() {
        std::vector<epoll_event> events(256);
        Clock::time_point next_sweep = Clock::now() + sweep_interval;
        while (!stop_requested) {
            auto wait = std::chrono::duration_cast<milliseconds>(next_sweep - Clock::now()).count();
            int n = ::epoll_wait(epoll.get(), events.data(), static_cast<int>(events.size()),
                                 static_cast<int>(std::max<long long>(wait, 0) + 1));
            if (n < 0 && errno != EINTR) throw_system_error("rendezvous server: epoll_wait", errno);
            for (int i = 0; i < n; ++i) dispatch(events[i]);
            reap();
            const auto now = Clock::now();
            if (now >= next_sweep) {
                sweep(now);
                reap();
                next_sweep = now + sweep_interval;
            }
        }
    }

    void dispatch(const epoll_event& ev) {
        const ClientId id = ev.data.u64;
        if (id == kListenerId) return accept_clients();
        if (id == kWakeId) {
            std::uint64_t count;
            [[maybe_unused]] auto n = ::read(wake.get(), &count, sizeof count);
            return;
        }
        auto it = clients.find(id);
        if (it == clients.end() || it->second.dead) return;  // closed earlier in this batch
        Client& c = it->second;
        if (c.state == State::relaying) return on_relay_event(c, ev.events);
        if (ev.events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(c);
        if (!c.dead && (ev.events & EPOLLOUT)) flush(c);
    }

    void accept_clients() {
        for (int i = 0; i < kAcceptBurst; ++i) {
            SocketAddress address;
            address.length = sizeof address.storage;
            int fd = ::accept4(listener.get(), reinterpret_cast<sockaddr*>(&address.storage), &address.length,
                               SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EINTR || errno == ECONNABORTED) continue;
                if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                    // Out of descriptors: stop listening until the next sweep
                    // rather than spinning on a listener that stays readable.
                    log("accept: " + errno_text(errno) + "; pausing the listener");
                    watch(listener.get(), kListenerId, 0, EPOLL_CTL_MOD);
                    listener_paused = true;
                }
                return;  // EAGAIN: nothing more to accept
            }
            UniqueFd owned(fd);
            const Endpoint observed = address.endpoint();
            if (clients.size() >= options.max_clients + kMaxRejectedLingering) {
                log("refused " + observed.to_string() + " without an answer: too many clients");
                continue;  // owned closes it
            }
            try {
                set_nodelay(fd);
            } catch (const IoError&) {
                continue;  // the connection died already
            }
            const ClientId id = next_id++;
            Client& c = clients[id];
            c.id = id;
            c.fd = std::move(owned);
            c.observed = observed;
            c.last_activity = Clock::now();
            watch(fd, id, EPOLLIN, EPOLL_CTL_ADD);
            if (clients.size() > options.max_clients) {
                fail(c, ErrorCode::too_many_clients,
                     "this server already serves its limit of " + std::to_string(options.max_clients) + " clients");
                continue;
            }
            log("client " + std::to_string(id) + " connected from " + observed.to_string());
        }
    }

    void on_readable(Client& c) {
        // Read until the socket is empty (so an EOF queued behind the data
        // is seen now, dropping a crashed peer's registration at once), but
        // at most kReadsPerWake chunks, so one busy client cannot starve the rest.
        for (int reads = 0; reads < kReadsPerWake && !c.dead; ++reads) {
            ssize_t n = ::recv(c.fd.get(), scratch.data(), scratch.size(), 0);
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) return;
                log("client " + std::to_string(c.id) + ": " + errno_text(errno));
                return kill(c);
            }
            if (n == 0) {
                if (c.state != State::closing) log("client " + std::to_string(c.id) + " disconnected");
                return kill(c);
            }
            if (c.state == State::closing) continue;  // after our last word, input is ignored
            c.in.insert(c.in.end(), scratch.begin(), scratch.begin() + n);
            parse_frames(c);
        }
    }

    void parse_frames(Client& c) {
        std::size_t consumed = 0;
        while ((c.state == State::fresh || c.state == State::registered) && !c.dead) {
            std::optional<FrameView> frame;
            try {
                frame = parse_frame(BytesView(c.in).subspan(consumed), options.max_message_bytes);
            } catch (const ProtocolError& e) {
                return fail(c, e.code(), e.what());
            }
            if (!frame) break;
            consumed += frame->frame_bytes;
            handle_frame(c, *frame);
        }
        if (c.state == State::relaying && !c.dead) {
            // Bytes that came behind RELAY_OPEN belong to the stream.
            c.in.erase(c.in.begin(), c.in.begin() + static_cast<std::ptrdiff_t>(consumed));
            forward_pending_input(c);
            return;
        }
        if (c.state == State::closing) c.in.clear();
        else c.in.erase(c.in.begin(), c.in.begin() + static_cast<std::ptrdiff_t>(consumed));
    }

    void handle_frame(Client& c, const FrameView& frame) {
        // Activity means complete frames: a client trickling bytes is idle.
        c.last_activity = Clock::now();
        if (frame.type == static_cast<std::uint16_t>(MessageType::relay_open) && c.state == State::fresh)
            return open_relay(c, frame);
        if (frame.type != static_cast<std::uint16_t>(MessageType::register_peer)) {
            return fail(c, ErrorCode::unsupported_type,
                        "frame type " + std::to_string(frame.type) + " (" +
                            to_string(static_cast<MessageType>(frame.type)) +
                            ") is not accepted by this server (protocol version " +
                            std::to_string(kProtocolVersion) + ")");
        }
        RegisterMessage m;
        try {
            m = decode_register(frame.payload);
        } catch (const ProtocolError& e) {
            return fail(c, e.code(), e.what());
        }
        if (!authentic(m.auth, [&] { return registration_mac(options.secret, m); }))
            return fail(c, ErrorCode::auth_failed,
                        "registration of peer " + std::to_string(m.peer_id) + " in '" + m.comm + "' " +
                            auth_problem(m.auth));
        Registry::Outcome outcome = registry.add(c.id, m, c.observed, Clock::now());
        if (outcome.error) return fail(c, outcome.error->code, outcome.error->text);
        c.state = State::registered;
        log("client " + std::to_string(c.id) + " registered peer " + std::to_string(m.peer_id) + " of " +
            std::to_string(m.peer_count) + " in '" + m.comm + "'");
        if (!outcome.answer) return;
        log("communicator '" + m.comm + "' complete: answering " + std::to_string(outcome.answer_to.size()) +
            " peers");
        for (ClientId id : outcome.answer_to) {
            auto it = clients.find(id);
            if (it == clients.end() || it->second.dead) continue;
            Client& peer = it->second;
            peer.out.push_back(outcome.answer);
            begin_closing(peer);
        }
    }

    /// With a secret: the presented MAC must match (constant time). Without
    /// one: no MAC may be presented (a client believing itself protected by
    /// a secret must not be served by a server that checks none).
    template <typename ComputeMac>
    bool authentic(const std::string& presented, ComputeMac compute) const {
        if (options.secret.empty()) return presented.empty();
        return macs_equal(compute(), presented);
    }

    std::string auth_problem(const std::string& presented) const {
        if (options.secret.empty()) return "carries authentication but this server has no secret configured";
        if (presented.empty()) return "carries no authentication but this server requires the shared secret";
        return "failed authentication (wrong shared secret)";
    }

    // ---- relay ------------------------------------------------------------

    /// RELAY_OPEN: wait for the partner's, then splice the two connections.
    void open_relay(Client& c, const FrameView& frame) {
        RelayOpenMessage m;
        try {
            m = decode_relay_open(frame.payload);
        } catch (const ProtocolError& e) {
            return fail(c, e.code(), e.what());
        }
        if (!authentic(m.auth, [&] { return relay_mac(options.secret, m); }))
            return fail(c, ErrorCode::auth_failed,
                        "relay " + std::to_string(m.from) + "->" + std::to_string(m.to) + " in '" + m.comm + "' " +
                            auth_problem(m.auth));
        if (m.comm.empty()) return fail(c, ErrorCode::bad_name, "relay for an empty communicator name");
        if (m.from == m.to) return fail(c, ErrorCode::bad_peer, "relay from peer " + std::to_string(m.from) + " to itself");
        RelayKey key{m.comm, m.from, m.to};
        if (relay_waiting.count(key))
            return fail(c, ErrorCode::duplicate_peer,
                        "relay " + std::to_string(m.from) + "->" + std::to_string(m.to) + " in '" + m.comm +
                            "' is already requested by another connection");
        if (relay_waiting.size() >= options.max_communicators)
            return fail(c, ErrorCode::too_many_communicators, "too many relays waiting for their partner");
        c.relay_key = key;
        auto partner = relay_waiting.find(RelayKey{m.comm, m.to, m.from});
        if (partner == relay_waiting.end()) {
            relay_waiting.emplace(key, c.id);
            c.state = State::relay_waiting;
            log("client " + std::to_string(c.id) + " waits to relay " + std::to_string(m.from) + "->" +
                std::to_string(m.to) + " in '" + m.comm + "'");
            return;
        }
        Client& other = clients.at(partner->second);
        relay_waiting.erase(partner);
        c.state = other.state = State::relaying;
        c.partner = other.id;
        other.partner = c.id;
        log("relaying between clients " + std::to_string(c.id) + " and " + std::to_string(other.id) + " ('" +
            m.comm + "' peers " + std::to_string(m.from) + ", " + std::to_string(m.to) + ")");
        const auto ready = std::make_shared<const Bytes>(encode_relay_ready());
        for (Client* side : {&c, &other}) {
            side->out.push_back(ready);
            side->out_bytes += ready->size();
        }
        flush(other);
        flush(c);
        forward_pending_input(other);
        // c's own pending input is forwarded by parse_frames once it returns.
    }

    /// Moves bytes a relaying client sent before pairing to its partner.
    void forward_pending_input(Client& c) {
        if (c.in.empty() || c.dead) return;
        Client* p = partner_of(c);
        if (!p) return;
        auto chunk = std::make_shared<const Bytes>(std::move(c.in));
        c.in.clear();
        p->out_bytes += chunk->size();
        p->out.push_back(std::move(chunk));
        flush(*p);
    }

    Client* partner_of(const Client& c) {
        auto it = clients.find(c.partner);
        if (it == clients.end() || it->second.dead) return nullptr;
        return &it->second;
    }

    void on_relay_event(Client& c, std::uint32_t events) {
        if (!c.dead && (events & EPOLLOUT)) flush(c);
        if (c.dead || c.read_eof || !(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
        Client* p = partner_of(c);
        if (!p) return kill(c);
        for (int reads = 0; reads < kReadsPerWake && p->out_bytes < kRelayQueueLimit; ++reads) {
            ssize_t n = ::recv(c.fd.get(), scratch.data(), scratch.size(), 0);
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) break;
                log("relay client " + std::to_string(c.id) + ": " + errno_text(errno));
                kill(*p);  // closing both: the partner sees the stream end
                return kill(c);
            }
            if (n == 0) {
                // Half-close travels on: the partner gets a FIN after the queued bytes.
                c.read_eof = true;
                p->shut_after_flush = true;
                break;
            }
            auto chunk = std::make_shared<const Bytes>(scratch.begin(), scratch.begin() + n);
            p->out_bytes += chunk->size();
            p->out.push_back(std::move(chunk));
        }
        flush(*p);
        if (!c.dead) update_interest(c);
    }

    /// Level-triggered epoll: read interest only while the relay partner has
    /// room (and never after EOF), write interest only while output waits.
    void update_interest(Client& c) {
        std::uint32_t events = 0;
        if (c.state != State::relaying) {
            events = EPOLLIN | (c.out.empty() ? 0u : static_cast<std::uint32_t>(EPOLLOUT));
        } else {
            Client* p = partner_of(c);
            if (!c.read_eof && p && p->out_bytes < kRelayQueueLimit) events |= EPOLLIN;
            if (!c.out.empty()) events |= EPOLLOUT;
        }
        watch(c.fd.get(), c.id, events, EPOLL_CTL_MOD);
        c.watching_writable = (events & EPOLLOUT) != 0;
    }

    /// Sends ERROR and closes gracefully; drops the client's registration.
    void fail(Client& c, ErrorCode code, const std::string& text) {
        log("client " + std::to_string(c.id) + " (" + c.observed.to_string() + "): error " + to_string(code) +
            ": " + text);
        registry.remove(c.id);
        if (c.state == State::relay_waiting) {
            auto it = relay_waiting.find(c.relay_key);
            if (it != relay_waiting.end() && it->second == c.id) relay_waiting.erase(it);
        }
        c.out.push_back(std::make_shared<const Bytes>(encode(ErrorMessage{code, text})));
        begin_closing(c);
    }

    /// Our last frame is queued: flush, then half-close, then await EOF.
    void begin_closing(Client& c) {
        c.state = State::closing;
        c.closing_since = Clock::now();
        c.in.clear();
        flush(c);
    }

    void flush(Client& c) {
        while (!c.out.empty()) {
            const Bytes& chunk = *c.out.front();
            ssize_t n = ::send(c.fd.get(), chunk.data() + c.out_offset, chunk.size() - c.out_offset, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    if (c.state == State::relaying) {
                        update_interest(c);
                        return;
                    }
                    if (!c.watching_writable) {
                        watch(c.fd.get(), c.id, EPOLLIN | EPOLLOUT, EPOLL_CTL_MOD);
                        c.watching_writable = true;
                    }
                    return;
                }
                log("client " + std::to_string(c.id) + ": send: " + errno_text(errno));
                return kill(c);
            }
            c.out_offset += static_cast<std::size_t>(n);
            c.out_bytes -= std::min(c.out_bytes, static_cast<std::size_t>(n));
            if (c.out_offset == chunk.size()) {
                c.out.pop_front();
                c.out_offset = 0;
            }
        }
        if (c.state == State::relaying) return relay_flushed(c);
        if (c.watching_writable) {
            watch(c.fd.get(), c.id, EPOLLIN, EPOLL_CTL_MOD);
            c.watching_writable = false;
        }
        if (c.state == State::closing && !c.write_shut) {
            ::shutdown(c.fd.get(), SHUT_WR);  // FIN after the queued data
            c.write_shut = true;
        }
    }

    /// A relaying client's queue is empty: pass on its partner's FIN, resume
    /// reading the partner, end the pair once both directions are closed.
    void relay_flushed(Client& c) {
        if (c.shut_after_flush && !c.write_shut) {
            ::shutdown(c.fd.get(), SHUT_WR);
            c.write_shut = true;
        }
        update_interest(c);
        Client* p = partner_of(c);
        if (!p) return kill(c);
        if (!p->read_eof) update_interest(*p);
        if (c.read_eof && p->read_eof && c.write_shut && p->write_shut) {
            log("relay between clients " + std::to_string(c.id) + " and " + std::to_string(p->id) + " ended");
            kill(*p);
            kill(c);
        }
    }

    void sweep(Clock::time_point now) {
        for (const Registry::Expiry& e : registry.expire(now)) {
            auto it = clients.find(e.client);
            if (it != clients.end() && !it->second.dead) fail(it->second, e.error.code, e.error.text);
        }
        for (auto& [id, c] : clients) {
            if (c.dead) continue;
            if (c.state == State::relay_waiting && now - c.last_activity >= options.registration_ttl) {
                fail(c, ErrorCode::expired,
                     "relay " + std::to_string(std::get<1>(c.relay_key)) + "->" +
                         std::to_string(std::get<2>(c.relay_key)) + " in '" + std::get<0>(c.relay_key) +
                         "': the partner did not ask for it within " +
                         std::to_string(options.registration_ttl.count()) + " ms");
            } else if (c.state == State::fresh && now - c.last_activity >= options.idle_timeout) {
                fail(c, ErrorCode::idle,
                     "no complete registration within the idle timeout of " +
                         std::to_string(options.idle_timeout.count()) + " ms");
            } else if (c.state == State::closing && now - c.closing_since >= close_linger) {
                kill(c);
            }
        }
        if (listener_paused) {
            watch(listener.get(), kListenerId, EPOLLIN, EPOLL_CTL_MOD);
            listener_paused = false;
        }
    }

    /// Marks a client for removal after the current event (its reference
    /// may still be on the caller's stack).
    void kill(Client& c) {
        if (c.dead) return;
        c.dead = true;
        registry.remove(c.id);  // at once: later events of this batch must not see it
        if (c.state == State::relay_waiting) {
            auto it = relay_waiting.find(c.relay_key);
            if (it != relay_waiting.end() && it->second == c.id) relay_waiting.erase(it);
        }
        dead.push_back(c.id);
        if (c.state == State::relaying)
            if (Client* p = partner_of(c)) kill(*p);  // a relay ends with either side
    }

    void reap() {
        for (ClientId id : dead) clients.erase(id);  // closing the descriptor also removes it from epoll
        dead.clear();
    }

    /// On stop: tell every client still waiting, as far as its socket
    /// buffer takes it without blocking.
    void say_goodbye() noexcept {
        try {
            const Bytes bye = encode(ErrorMessage{ErrorCode::shutting_down, "the rendezvous server is stopping"});
            for (auto& [id, c] : clients) {
                if (c.state == State::closing || c.state == State::relaying || c.dead) continue;
                [[maybe_unused]] auto n = ::send(c.fd.get(), bye.data(), bye.size(), MSG_NOSIGNAL);
                ::shutdown(c.fd.get(), SHUT_WR);
            }
        } catch (...) {
        }
        clients.clear();
    }
};

RendezvousServer::RendezvousServer(RendezvousServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

RendezvousServer::~RendezvousServer() { stop(); }

std::uint16_t RendezvousServer::port() const noexcept { return impl_->port; }

void RendezvousServer::stop() noexcept { impl_->request_stop(); }

}  // namespace fmi::detail
