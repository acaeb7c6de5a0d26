#include "redis_harness.hpp"

#include "channels/redis/key_space.hpp"

#include <arpa/inet.h>
#include <csignal>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <atomic>

namespace fmi::test {

namespace {

using namespace std::chrono_literals;

std::uint16_t free_loopback_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("socket() failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot find a free loopback port");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

struct ContextFree {
    void operator()(redisContext* c) const noexcept { redisFree(c); }
};
struct ReplyFree {
    void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextFree>;
using ReplyPtr = std::unique_ptr<redisReply, ReplyFree>;

ReplyPtr run(redisContext* c, const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
    if (r == nullptr) throw std::runtime_error(std::string("test client: ") + c->errstr);
    ReplyPtr reply(r);
    if (reply->type == REDIS_REPLY_ERROR) throw std::runtime_error("test client: " + args[0] + ": " + reply->str);
    return reply;
}

ContextPtr connect(std::uint16_t port, const std::string& password) {
    timeval tv{1, 0};
    ContextPtr c(redisConnectWithTimeout("127.0.0.1", port, tv));
    if (!c || c->err) return nullptr;
    redisSetTimeout(c.get(), timeval{5, 0});
    if (!password.empty()) run(c.get(), {"AUTH", password});
    return c;
}

}  // namespace

RedisServer::RedisServer(std::string password) : password_(std::move(password)) { start(password_); }

void RedisServer::start(const std::string& password) {
    // The port is free when we look; another process may take it before the
    // server binds, so a server that exits at once is retried on a new port.
    for (int attempt = 0; attempt < 5; ++attempt) {
        port_ = free_loopback_port();
        std::vector<std::string> args{"/usr/bin/redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                      "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"};
        if (!password.empty()) {
            args.push_back("--requirepass");
            args.push_back(password);
        }
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            int null = ::open("/dev/null", O_WRONLY);
            if (null >= 0) {
                ::dup2(null, 1);
                ::dup2(null, 2);
            }
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        auto deadline = std::chrono::steady_clock::now() + 10s;
        while (std::chrono::steady_clock::now() < deadline) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                break;  // exited: port taken (or no redis-server): next attempt
            }
            if (answers_ping()) return;
            std::this_thread::sleep_for(10ms);  // server start-up, bounded by the deadline
        }
        if (pid_ > 0) kill_now();
    }
    throw std::runtime_error("could not start /usr/bin/redis-server");
}

bool RedisServer::answers_ping() const {
    try {
        ContextPtr c = connect(port_, password_);
        return c && std::string(run(c.get(), {"PING"})->str) == "PONG";
    } catch (const std::exception&) {
        return false;
    }
}

RedisServer::~RedisServer() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 500; ++i) {  // up to 5 s for a clean exit
        if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
        std::this_thread::sleep_for(10ms);
    }
    kill_now();
}

void RedisServer::kill_now() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
}

RedisOptions RedisServer::options() const {
    RedisOptions o;
    o.enabled = true;
    o.host = "127.0.0.1";
    o.port = port_;
    o.password = password_;
    o.connect_timeout = 5s;
    o.command_timeout = 5s;
    o.key_prefix = "fmi-test";
    return o;
}

std::string RedisServer::command(const std::vector<std::string>& args) const {
    ContextPtr c = connect(port_, password_);
    if (!c) throw std::runtime_error("test client: cannot connect to port " + std::to_string(port_));
    ReplyPtr r = run(c.get(), args);
    switch (r->type) {
        case REDIS_REPLY_INTEGER: return std::to_string(r->integer);
        case REDIS_REPLY_NIL: return "";
        default: return std::string(r->str ? r->str : "", r->len);
    }
}

std::vector<std::string> RedisServer::scan(const std::string& pattern) const {
    ContextPtr c = connect(port_, password_);
    if (!c) throw std::runtime_error("test client: cannot connect to port " + std::to_string(port_));
    std::vector<std::string> keys;
    std::string cursor = "0";
    do {
        ReplyPtr r = run(c.get(), {"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
        cursor = r->element[0]->str;
        for (size_t i = 0; i < r->element[1]->elements; ++i) keys.emplace_back(r->element[1]->element[i]->str);
    } while (cursor != "0");
    return keys;
}

std::string keys_of(const std::string& prefix, const std::string& comm) {
    return detail::redis::escape_key_part(prefix) + "/" + detail::redis::escape_key_part(comm) + "/*";
}

Peer::Peer(int rank, int size, const std::string& comm, const RedisOptions& options,
           std::chrono::milliseconds timeout)
    : rank_(rank), size_(size), timeout_(timeout),
      log_(detail::LogLevel::error, comm + "/" + std::to_string(rank)),
      backend_(detail::make_redis_backend(detail::PeerIdentity{rank, size, comm}, options, log_)) {}

detail::OpContext Peer::collective(detail::OpKind op) {
    return detail::OpContext{op, collective_seq_++, detail::Deadline(timeout_)};
}
detail::OpContext Peer::to(int dest) {
    return detail::OpContext{detail::OpKind::send, sent_[dest]++, detail::Deadline(timeout_)};
}
detail::OpContext Peer::from(int src) {
    return detail::OpContext{detail::OpKind::send, received_[src]++, detail::Deadline(timeout_)};
}

std::vector<std::exception_ptr> run_ranks(int size, const std::string& comm, const RedisOptions& options,
                                          const std::function<void(Peer&)>& body, std::chrono::milliseconds timeout) {
    std::vector<std::exception_ptr> errors(size);
    std::vector<std::thread> threads;
    for (int rank = 0; rank < size; ++rank) {
        threads.emplace_back([&, rank] {
            std::unique_ptr<Peer> peer;
            try {
                peer = std::make_unique<Peer>(rank, size, comm, options, timeout);
                body(*peer);
            } catch (...) {
                errors[rank] = std::current_exception();
                // A rank that fails (a wrong value included) stops the others
                // at once instead of at their deadlines.
                if (peer && peer->alive()) peer->backend().abort();
            }
        });
    }
    for (auto& t : threads) t.join();
    return errors;
}

void run_all(int size, const std::string& comm, const RedisOptions& options, const std::function<void(Peer&)>& body,
             std::chrono::milliseconds timeout) {
    auto errors = run_ranks(size, comm, options, body, timeout);
    for (int rank = 0; rank < size; ++rank) {
        if (!errors[rank]) continue;
        try {
            std::rethrow_exception(errors[rank]);
        } catch (const std::exception& e) {
            throw std::runtime_error("rank " + std::to_string(rank) + " of " + std::to_string(size) + ": " + e.what());
        }
    }
}

std::string unique_comm(const std::string& stem) {
    static std::atomic<int> counter{0};
    return stem + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

}  // namespace fmi::test
