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

}  // namespace

struct RendezvousServer::Impl {
    enum class State { fresh, registered, closing };

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
    };

    RendezvousServerOptions options;
    Registry registry;
    UniqueFd listener, epoll, wake;
    std::uint16_t port = 0;
    std::unordered_map<ClientId, Client> clients;
    std::vector<ClientId> dead;
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
        if (!options.secret.empty())
            throw ConfigError("rendezvous.secret",
                              "authenticated registration is not implemented by protocol version 1");
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
        while (c.state != State::closing && !c.dead) {
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
        if (c.state == State::closing) c.in.clear();
        else c.in.erase(c.in.begin(), c.in.begin() + static_cast<std::ptrdiff_t>(consumed));
    }

    void handle_frame(Client& c, const FrameView& frame) {
        // Activity means complete frames: a client trickling bytes is idle.
        c.last_activity = Clock::now();
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

    /// Sends ERROR and closes gracefully; drops the client's registration.
    void fail(Client& c, ErrorCode code, const std::string& text) {
        log("client " + std::to_string(c.id) + " (" + c.observed.to_string() + "): error " + to_string(code) +
            ": " + text);
        registry.remove(c.id);
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
            if (c.out_offset == chunk.size()) {
                c.out.pop_front();
                c.out_offset = 0;
            }
        }
        if (c.watching_writable) {
            watch(c.fd.get(), c.id, EPOLLIN, EPOLL_CTL_MOD);
            c.watching_writable = false;
        }
        if (c.state == State::closing && !c.write_shut) {
            ::shutdown(c.fd.get(), SHUT_WR);  // FIN after the queued data
            c.write_shut = true;
        }
    }

    void sweep(Clock::time_point now) {
        for (const Registry::Expiry& e : registry.expire(now)) {
            auto it = clients.find(e.client);
            if (it != clients.end() && !it->second.dead) fail(it->second, e.error.code, e.error.text);
        }
        for (auto& [id, c] : clients) {
            if (c.dead) continue;
            if (c.state == State::fresh && now - c.last_activity >= options.idle_timeout) {
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
        dead.push_back(c.id);
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
                if (c.state == State::closing || c.dead) continue;
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
