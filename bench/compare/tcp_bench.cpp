// bench-tcp: the raw limit of the loopback, measured with fmi-bench's
// harness: two processes (this one and a forked child) connected by one TCP
// socket with TCP_NODELAY, nothing else. Ping-pong, streaming bandwidth and
// a 1-byte barrier; no collectives.
//   --mode blocking    recv(MSG_WAITALL) sleeps in the kernel until data arrives
//   --mode busy-poll   non-blocking recv in a loop: no wake-up latency, one core
//                      spinning (what Open MPI's TCP transport does)
#include "harness/run.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace fmibench {
namespace {

enum class Mode { blocking, busy_poll };

// Every wait is bounded: a stuck partner is an error after this long.
constexpr std::chrono::seconds kIoTimeout{120};

[[noreturn]] void throw_errno(const std::string& what) {
    throw std::runtime_error(what + ": " + std::strerror(errno));
}

class Socket {
public:
    explicit Socket(int fd = -1) : fd_(fd) {}
    Socket(Socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Socket& operator=(Socket&& other) noexcept {
        if (this != &other) {
            reset();
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    ~Socket() { reset(); }
    int fd() const { return fd_; }
    void reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_;
};

Socket make_socket() {
    Socket s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (s.fd() < 0) throw_errno("socket");
    return s;
}

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

// Options of the data socket: no Nagle delay; bounded blocking waits.
void configure(const Socket& s) {
    int one = 1;
    if (::setsockopt(s.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) throw_errno("TCP_NODELAY");
    timeval tv{static_cast<time_t>(kIoTimeout.count()), 0};
    if (::setsockopt(s.fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
        ::setsockopt(s.fd(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0)
        throw_errno("socket timeouts");
}

class TcpSystem final : public System {
public:
    TcpSystem(Socket socket, int rank, Mode mode) : socket_(std::move(socket)), rank_(rank), mode_(mode) {}

    int rank() const override { return rank_; }
    int size() const override { return 2; }
    std::string name() const override { return "tcp"; }
    std::string transport() const override { return mode_ == Mode::blocking ? "blocking" : "busy-poll"; }
    bool supports(Op op) const override { return op == Op::pingpong || op == Op::bandwidth || op == Op::barrier; }

    void send(ConstBytes data, int) override { write_all(data.data(), data.size()); }
    void recv(MutableBytes data, int) override { read_all(data.data(), data.size()); }
    void barrier() override {
        std::byte token{1};
        write_all(&token, 1);
        read_all(&token, 1);
    }
    void max_over_peers(std::span<double> values) override {
        std::vector<double> theirs(values.size());
        write_all(values.data(), values.size_bytes());
        read_all(theirs.data(), values.size_bytes());
        for (std::size_t i = 0; i < values.size(); ++i) values[i] = std::max(values[i], theirs[i]);
    }

private:
    // Busy-poll passes MSG_DONTWAIT per call (the socket stays blocking).
    int flags() const { return mode_ == Mode::busy_poll ? MSG_DONTWAIT : 0; }

    void write_all(const void* data, std::size_t n) {
        const char* p = static_cast<const char*>(data);
        auto deadline = std::chrono::steady_clock::now() + kIoTimeout;
        while (n > 0) {
            ssize_t sent = ::send(socket_.fd(), p, n, MSG_NOSIGNAL | flags());
            if (sent > 0) {
                p += sent;
                n -= static_cast<std::size_t>(sent);
            } else if (sent < 0 && errno == EINTR) {
                continue;
            } else if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("send timed out after " + std::to_string(kIoTimeout.count()) + " s");
            } else {
                throw_errno("send of " + std::to_string(n) + " bytes");
            }
        }
    }

    void read_all(void* data, std::size_t n) {
        char* p = static_cast<char*>(data);
        auto deadline = std::chrono::steady_clock::now() + kIoTimeout;
        while (n > 0) {
            ssize_t got = ::recv(socket_.fd(), p, n, mode_ == Mode::blocking ? MSG_WAITALL : MSG_DONTWAIT);
            if (got > 0) {
                p += got;
                n -= static_cast<std::size_t>(got);
            } else if (got == 0) {
                throw std::runtime_error("the partner closed the connection with " + std::to_string(n) +
                                         " bytes still expected");
            } else if (errno == EINTR) {
                continue;
            } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
                if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("receive timed out after " + std::to_string(kIoTimeout.count()) + " s");
            } else {
                throw_errno("recv of " + std::to_string(n) + " bytes");
            }
        }
    }

    Socket socket_;
    int rank_;
    Mode mode_;
};

// Peer 0 listens, forks peer 1, which connects. Returns this process's socket
// and rank; the parent also gets the child's pid.
struct Connection {
    Socket socket;
    int rank = 0;
    pid_t child = -1;
};

Connection connect_pair() {
    Socket listener = make_socket();
    sockaddr_in address = loopback(0);
    if (::bind(listener.fd(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) throw_errno("bind");
    if (::listen(listener.fd(), 1) != 0) throw_errno("listen");
    socklen_t length = sizeof address;
    if (::getsockname(listener.fd(), reinterpret_cast<sockaddr*>(&address), &length) != 0) throw_errno("getsockname");

    std::cout.flush();
    std::fflush(nullptr);
    pid_t child = ::fork();
    if (child < 0) throw_errno("fork");
    Connection c;
    if (child == 0) {
        listener.reset();
        c.socket = make_socket();
        if (::connect(c.socket.fd(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) throw_errno("connect");
        c.rank = 1;
    } else {
        timeval tv{static_cast<time_t>(kIoTimeout.count()), 0};
        ::setsockopt(listener.fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);  // bounds accept
        c.socket = Socket(::accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC));
        if (c.socket.fd() < 0) throw_errno("accept");
        c.rank = 0;
        c.child = child;
    }
    configure(c.socket);
    return c;
}

}  // namespace
}  // namespace fmibench

int main(int argc, char** argv) {
    fmibench::Mode mode = fmibench::Mode::blocking;
    std::vector<fmibench::ExtraOption> extras{
        {"--mode", "MODE", "blocking (default) or busy-poll", [&](const std::string& v) {
             if (v == "blocking") mode = fmibench::Mode::blocking;
             else if (v == "busy-poll") mode = fmibench::Mode::busy_poll;
             else throw fmibench::OptionError("--mode: expected blocking or busy-poll, got '" + v + "'");
         }},
    };
    const std::string synopsis =
        "Usage: bench-tcp [--mode blocking|busy-poll] [options]\n\n"
        "Raw TCP over loopback between this process and a forked child: the floor.";
    pid_t child = -1;
    int status = fmibench::benchmark_main(argc, argv, "bench-tcp", synopsis, extras,
                                          [&](const fmibench::BenchOptions&, const fmibench::MeasureOne& measure_one) {
        fmibench::Connection c = fmibench::connect_pair();
        child = c.child;
        fmibench::TcpSystem system(std::move(c.socket), c.rank, mode);
        measure_one(system);
    });
    if (child > 0) {  // the parent: the run failed if the child did
        int child_status = 0;
        if (::waitpid(child, &child_status, 0) == child && !(WIFEXITED(child_status) && WEXITSTATUS(child_status) == 0)) {
            std::cerr << "bench-tcp: the partner process failed\n";
            if (status == 0) status = 1;
        }
    }
    return status;
}
