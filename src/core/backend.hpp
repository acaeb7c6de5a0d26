// A Backend runs every operation of one communicator over one channel. The
// communicator validates arguments locally (roots, peer ids, buffer sizes that
// must agree on this peer) before calling it; the backend detects what only
// the peers together can see (size and operation mismatches, lost peers,
// timeouts) and throws the typed errors of <fmi/errors.hpp>.
//
// Backends for the peer-to-peer kind wrap a PeerChannel and run the algorithms
// of src/collectives/p2p; store backends (Redis, S3) run the algorithms of
// src/collectives/<store>. A backend that lacks an operation throws UsageError
// naming itself and the operation (the defaults below).
#pragma once

#include "core/deadline.hpp"
#include "core/op_kind.hpp"

#include <fmi/communicator.hpp>
#include <fmi/ops.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace fmi::detail {

/// What identifies one operation: its kind, its sequence number and its
/// deadline. Collectives use the communicator-wide collective counter (every
/// peer calls collectives in the same order); send/recv use a per-pair counter
/// (the n-th send from a to b matches the n-th recv at b from a).
struct OpContext {
    OpKind op;
    std::uint64_t seq;
    Deadline deadline;
    /// The algorithm pinned for this operation, by the model's name for it
    /// (model::algorithms; the model chose a channel that runs it); empty:
    /// the backend's own choice. Functions an algorithm is not correct for
    /// keep their ordered algorithm. Valid for the operation's duration.
    std::string_view algorithm{};
};

class Backend {
public:
    virtual ~Backend() = default;

    /// "direct", "redis", "s3", ...
    virtual std::string_view name() const = 0;

    virtual void send(ConstBytes /*data*/, int /*dest*/, const OpContext& ctx) { unsupported("send", ctx); }
    virtual void recv(MutableBytes /*data*/, int /*src*/, const OpContext& ctx) { unsupported("recv", ctx); }
    virtual void bcast(MutableBytes /*data*/, int /*root*/, const OpContext& ctx) { unsupported("bcast", ctx); }
    virtual void barrier(const OpContext& ctx) { unsupported("barrier", ctx); }
    /// out has num_peers * in.size() bytes at root (empty elsewhere).
    virtual void gather(ConstBytes /*in*/, MutableBytes /*out*/, int /*root*/, const OpContext& ctx) { unsupported("gather", ctx); }
    /// in has num_peers * out.size() bytes at root (empty elsewhere).
    virtual void scatter(ConstBytes /*in*/, MutableBytes /*out*/, int /*root*/, const OpContext& ctx) { unsupported("scatter", ctx); }
    /// out has num_peers * in.size() bytes.
    virtual void allgather(ConstBytes /*in*/, MutableBytes /*out*/, const OpContext& ctx) { unsupported("allgather", ctx); }
    /// out has in.size() bytes at root (empty elsewhere); in may equal out.
    virtual void reduce(ConstBytes /*in*/, MutableBytes /*out*/, int /*root*/, const ReduceFn& /*fn*/, const OpContext& ctx) { unsupported("reduce", ctx); }
    /// out has in.size() bytes; in may equal out (in place).
    virtual void allreduce(ConstBytes /*in*/, MutableBytes /*out*/, const ReduceFn& /*fn*/, const OpContext& ctx) { unsupported("allreduce", ctx); }
    /// Inclusive scan; out has in.size() bytes; in may equal out.
    virtual void scan(ConstBytes /*in*/, MutableBytes /*out*/, const ReduceFn& /*fn*/, const OpContext& ctx) { unsupported("scan", ctx); }

    /// Requests this peer has made to a store so far (S3 requests of every
    /// type, Redis commands), for statistics; 0 for peer-to-peer channels.
    virtual std::uint64_t requests_made() const noexcept { return 0; }

    /// Normal end of the job: remove what this peer left on servers. May
    /// throw; the communicator logs and swallows errors from its destructor.
    virtual void finalize() {}
    /// Failure of this peer: close everything at once so partners fail fast.
    virtual void abort() noexcept {}

protected:
    [[noreturn]] void unsupported(const char* op, const OpContext&) const {
        throw UsageError(std::string("channel ") + std::string(name()) + " does not support " + op);
    }
};

}  // namespace fmi::detail
