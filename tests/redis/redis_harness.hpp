// Test support for the Redis channel: a real redis-server on a free loopback
// port (RAII: started in the constructor, killed in the destructor), peers
// that number their operations like the communicator does, and a runner that
// runs one function per rank on its own thread.
#pragma once

#include "core/backend.hpp"
#include "core/factories.hpp"
#include "core/logger.hpp"

#include <fmi/config.hpp>
#include <fmi/errors.hpp>

#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

namespace fmi::test {

/// A redis-server child process on 127.0.0.1:<free port>, without
/// persistence. Waits until it answers PING; killed (and reaped) on destruction.
class RedisServer {
public:
    /// `password` non-empty: started with --requirepass.
    explicit RedisServer(std::string password = {});
    ~RedisServer();
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    /// Options pointing at this server (password set, short timeouts).
    RedisOptions options() const;
    /// Kills the server at once (SIGKILL), as a crash would.
    void kill_now();
    /// Runs one command on a fresh connection (as the test's own client).
    std::string command(const std::vector<std::string>& args) const;
    /// Keys matching `pattern`, found with SCAN (what an operator would run).
    std::vector<std::string> scan(const std::string& pattern) const;

private:
    void start(const std::string& password);
    bool answers_ping() const;
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
    std::string password_;
};

/// The glob matching every key of communicator `comm` under `prefix`.
std::string keys_of(const std::string& prefix, const std::string& comm);

/// One peer: its own backend (its own connection) and the operation counters
/// the communicator would keep (one for collectives, one per pair for p2p).
class Peer {
public:
    Peer(int rank, int size, const std::string& comm, const RedisOptions& options,
         std::chrono::milliseconds timeout = std::chrono::seconds(20));

    int rank() const noexcept { return rank_; }
    int size() const noexcept { return size_; }
    detail::Backend& backend() { return *backend_; }
    bool alive() const noexcept { return backend_ != nullptr; }
    /// Destroys the backend without finalize (a crashed peer).
    void crash() { backend_.reset(); }

    detail::OpContext collective(detail::OpKind op);
    detail::OpContext to(int dest);
    detail::OpContext from(int src);

    template <class T>
    void send(const std::vector<T>& v, int dest) {
        backend_->send(std::as_bytes(std::span(v)), dest, to(dest));
    }
    template <class T>
    void recv(std::vector<T>& v, int src) {
        backend_->recv(std::as_writable_bytes(std::span(v)), src, from(src));
    }
    template <class T>
    void bcast(std::vector<T>& v, int root) {
        backend_->bcast(std::as_writable_bytes(std::span(v)), root, collective(detail::OpKind::bcast));
    }
    void barrier() { backend_->barrier(collective(detail::OpKind::barrier)); }
    template <class T>
    void gather(const std::vector<T>& in, std::vector<T>& out, int root) {
        backend_->gather(std::as_bytes(std::span(in)), std::as_writable_bytes(std::span(out)), root,
                         collective(detail::OpKind::gather));
    }
    template <class T>
    void scatter(const std::vector<T>& in, std::vector<T>& out, int root) {
        backend_->scatter(std::as_bytes(std::span(in)), std::as_writable_bytes(std::span(out)), root,
                          collective(detail::OpKind::scatter));
    }
    template <class T>
    void allgather(const std::vector<T>& in, std::vector<T>& out) {
        backend_->allgather(std::as_bytes(std::span(in)), std::as_writable_bytes(std::span(out)),
                            collective(detail::OpKind::allgather));
    }
    template <class T>
    void reduce(const std::vector<T>& in, std::vector<T>& out, int root, const ReduceFn& fn) {
        backend_->reduce(std::as_bytes(std::span(in)), std::as_writable_bytes(std::span(out)), root, fn,
                         collective(detail::OpKind::reduce));
    }
    template <class T>
    void allreduce(const std::vector<T>& in, std::vector<T>& out, const ReduceFn& fn) {
        backend_->allreduce(std::as_bytes(std::span(in)), std::as_writable_bytes(std::span(out)), fn,
                            collective(detail::OpKind::allreduce));
    }
    template <class T>
    void scan(const std::vector<T>& in, std::vector<T>& out, const ReduceFn& fn) {
        backend_->scan(std::as_bytes(std::span(in)), std::as_writable_bytes(std::span(out)), fn,
                       collective(detail::OpKind::scan));
    }
    void finalize() { backend_->finalize(); }

private:
    int rank_, size_;
    std::chrono::milliseconds timeout_;
    detail::Logger log_;
    std::unique_ptr<detail::Backend> backend_;
    std::uint64_t collective_seq_ = 0;
    std::map<int, std::uint64_t> sent_, received_;
};

/// Runs body(peer) for ranks 0..size-1, each on its own thread with its own
/// Peer; returns each rank's exception (nullptr when it succeeded).
std::vector<std::exception_ptr> run_ranks(int size, const std::string& comm, const RedisOptions& options,
                                          const std::function<void(Peer&)>& body,
                                          std::chrono::milliseconds timeout = std::chrono::seconds(20));

/// Like run_ranks, but rethrows the first failure (naming its rank).
void run_all(int size, const std::string& comm, const RedisOptions& options, const std::function<void(Peer&)>& body,
             std::chrono::milliseconds timeout = std::chrono::seconds(20));

/// A communicator name no other test uses.
std::string unique_comm(const std::string& stem);

/// A GoogleTest fixture base (`::testing::Test` or `TestWithParam<P>`) with
/// one redis-server for the whole suite, as `server_`.
template <class Base>
class WithRedisServer : public Base {
protected:
    static void SetUpTestSuite() { server_ = new RedisServer(); }
    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }
    static inline RedisServer* server_ = nullptr;
};

}  // namespace fmi::test
