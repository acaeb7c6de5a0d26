// bench-redis-floor: the floor of moving a message through a Redis server,
// measured on the server the Redis channel uses, with fmi-bench's plan,
// statistics and JSON (system "redis-floor", transport "resp"):
//   pingpong  at B bytes: one GET round trip returning B bytes (at 8 B: the
//             latency floor, one round trip)
//   bandwidth at B bytes: one SET of B bytes, then one GET of them (a PUT+GET:
//             what any message through the store costs at least)
// One client, one connection. A minimal RESP client: a request goes out in
// one writev (header and payload, no copy) and a bulk reply is read straight
// into the destination buffer, so no client library's reader is measured
// (hiredis 0.14 reads big replies at ~63 MB/s here: docs/performance.md).
#include "harness/measure.hpp"
#include "harness/results.hpp"
#include "harness/run.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace fmibench {
namespace {

constexpr std::chrono::seconds kIoTimeout{60};
const std::string kKey = "fmi-bench:redis-floor";

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }

class RespConnection {
public:
    RespConnection(const std::string& host, std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        if (fd_ < 0) fail(std::string("socket: ") + std::strerror(errno));
        timeval tv{static_cast<time_t>(kIoTimeout.count()), 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        if (::inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1) fail("not an IPv4 address: " + host);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
            fail("connect to " + host + ":" + std::to_string(port) + ": " + std::strerror(errno));
    }
    ~RespConnection() { ::close(fd_); }
    RespConnection(const RespConnection&) = delete;
    RespConnection& operator=(const RespConnection&) = delete;

    void set(const std::string& key, ConstBytes value) {
        std::string head = "*3\r\n$3\r\nSET\r\n$" + std::to_string(key.size()) + "\r\n" + key + "\r\n$" +
                           std::to_string(value.size()) + "\r\n";
        send_parts(head, value, "\r\n");
        expect_line("+OK");
    }

    /// GET into `into`, which must be the value's exact size.
    void get(const std::string& key, MutableBytes into) {
        std::string request = "*2\r\n$3\r\nGET\r\n$" + std::to_string(key.size()) + "\r\n" + key + "\r\n";
        send_parts(request, {}, "");
        std::string header = read_line();
        if (header != "$" + std::to_string(into.size()))
            fail("GET " + key + ": expected a bulk reply of " + std::to_string(into.size()) + " bytes, got '" + header + "'");
        read_exact(into.data(), into.size());
        char crlf[2];
        read_exact(crlf, 2);
    }

    void del(const std::string& key) {
        send_parts("*2\r\n$3\r\nDEL\r\n$" + std::to_string(key.size()) + "\r\n" + key + "\r\n", {}, "");
        read_line();
    }

private:
    void send_parts(const std::string& head, ConstBytes body, const char* tail) {
        iovec parts[3] = {{const_cast<char*>(head.data()), head.size()},
                          {const_cast<std::byte*>(body.data()), body.size()},
                          {const_cast<char*>(tail), std::strlen(tail)}};
        iovec* next = parts;
        int count = 3;
        while (count > 0) {
            ssize_t sent = ::writev(fd_, next, count);
            if (sent < 0 && errno == EINTR) continue;
            if (sent < 0) fail(std::string("write: ") + std::strerror(errno));
            auto left = static_cast<std::size_t>(sent);
            while (count > 0 && left >= next->iov_len) {
                left -= next->iov_len;
                ++next;
                --count;
            }
            if (count > 0) {
                next->iov_base = static_cast<char*>(next->iov_base) + left;
                next->iov_len -= left;
            }
        }
    }

    void read_exact(void* data, std::size_t n) {
        char* p = static_cast<char*>(data);
        while (n > 0) {
            ssize_t got = ::recv(fd_, p, n, MSG_WAITALL);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) fail(got == 0 ? "the server closed the connection" : std::string("read: ") + std::strerror(errno));
            p += got;
            n -= static_cast<std::size_t>(got);
        }
    }

    // Reply lines are short; read them a byte at a time (only headers).
    std::string read_line() {
        std::string line;
        char c = 0;
        while (true) {
            read_exact(&c, 1);
            if (c == '\n' && !line.empty() && line.back() == '\r') {
                line.pop_back();
                return line;
            }
            line += c;
            if (line.size() > 4096) fail("reply line too long");
        }
    }

    void expect_line(const std::string& expected) {
        std::string line = read_line();
        if (line != expected) fail("expected '" + expected + "', got '" + line + "'");
    }

    int fd_;
};

std::vector<Result> run_floor(const BenchOptions& options, const std::string& host, std::uint16_t port) {
    RespConnection redis(host, port);
    SingleProcessSteps steps{
        [&](MutableBytes in, MutableBytes out) {
            redis.set(kKey, in);
            redis.get(kKey, out);
        },
        // pingpong: one GET round trip; bandwidth: a SET then a GET.
        [&](const SizePlan& plan, MutableBytes in, MutableBytes out) {
            if (plan.op == Op::bandwidth) redis.set(kKey, in);
            redis.get(kKey, out);
        }};
    std::vector<Result> results = measure_single_process(
        options, "redis-floor", "resp", single_process_plans(options, {Op::pingpong, Op::bandwidth}), steps);
    redis.del(kKey);
    return results;
}

}  // namespace
}  // namespace fmibench

int main(int argc, char** argv) {
    using namespace fmibench;
    std::string host = "127.0.0.1";
    int port = 6379;
    std::vector<ExtraOption> extras{
        {"--host", "ADDRESS", "Redis server address (IPv4, default 127.0.0.1)", [&](const std::string& v) { host = v; }},
        {"--port", "PORT", "Redis server port (default 6379)", [&](const std::string& v) {
             try {
                 port = std::stoi(v);
             } catch (const std::exception&) {
                 port = 0;
             }
             if (port < 1 || port > 65535) throw OptionError("--port: expected 1..65535, got '" + v + "'");
         }},
    };
    return single_process_main(
        argc, argv, "bench-redis-floor",
        "Usage: bench-redis-floor [--host H] [--port P] [options]\n\n"
        "The floor of a message through Redis: a GET round trip, a SET+GET (--op is ignored).",
        extras, [&](const BenchOptions& options) { return run_floor(options, host, static_cast<std::uint16_t>(port)); });
}
