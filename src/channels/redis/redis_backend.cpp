// The Redis backend: runs every operation of a communicator over one Redis
// connection with the algorithms of src/collectives/redis, and turns a
// failure of this peer into a marker that wakes every other peer.
#include "collectives/redis/algorithms.hpp"
#include "core/factories.hpp"

#include <algorithm>

namespace fmi::detail {

namespace {

using redis::FailureKind;
using redis::Mailbox;

class RedisBackend final : public Backend {
public:
    RedisBackend(const PeerIdentity& who, const RedisOptions& options, const Logger& log)
        : mailbox_(who, options, log), command_timeout_(options.command_timeout) {}

    std::string_view name() const override { return "redis"; }
    std::uint64_t requests_made() const noexcept override { return mailbox_.commands_sent(); }

    void send(ConstBytes data, int dest, const OpContext& ctx) override {
        run(ctx, [&] { redis::send(mailbox_, data, dest, ctx); });
    }
    void recv(MutableBytes data, int src, const OpContext& ctx) override {
        run(ctx, [&] { redis::recv(mailbox_, data, src, ctx); });
    }
    void bcast(MutableBytes data, int root, const OpContext& ctx) override {
        if (alone()) return;
        run(ctx, [&] { redis::bcast(mailbox_, data, root, ctx); });
    }
    void barrier(const OpContext& ctx) override {
        if (alone()) return;
        run(ctx, [&] { redis::barrier(mailbox_, ctx); });
    }
    void gather(ConstBytes in, MutableBytes out, int root, const OpContext& ctx) override {
        if (alone()) return copy(in, out);
        run(ctx, [&] { redis::gather(mailbox_, in, out, root, ctx); });
    }
    void scatter(ConstBytes in, MutableBytes out, int root, const OpContext& ctx) override {
        if (alone()) return copy(in, out);
        run(ctx, [&] { redis::scatter(mailbox_, in, out, root, ctx); });
    }
    void allgather(ConstBytes in, MutableBytes out, const OpContext& ctx) override {
        if (alone()) return copy(in, out);
        run(ctx, [&] { redis::allgather(mailbox_, in, out, ctx); });
    }
    void reduce(ConstBytes in, MutableBytes out, int root, const ReduceFn& fn, const OpContext& ctx) override {
        if (alone()) return copy(in, out);
        run(ctx, [&] { redis::reduce(mailbox_, in, out, root, fn, ctx, scratch_); });
    }
    void allreduce(ConstBytes in, MutableBytes out, const ReduceFn& fn, const OpContext& ctx) override {
        if (alone()) return copy(in, out);
        run(ctx, [&] { redis::allreduce(mailbox_, in, out, fn, ctx, scratch_); });
    }
    void scan(ConstBytes in, MutableBytes out, const ReduceFn& fn, const OpContext& ctx) override {
        if (alone()) return copy(in, out);
        run(ctx, [&] { redis::scan(mailbox_, in, out, fn, ctx, scratch_); });
    }

    void finalize() override {
        // Everything this peer consumed is already deleted; what is left is
        // what the last collective left for a later one to remove (the last
        // peer to finalize does), and to check the write-behind requests.
        if (finalized_) return;
        finalized_ = true;
        Deadline deadline(command_timeout_);
        mailbox_.finalize(next_seq_, deadline);
        mailbox_.drop_connection();
    }

    void abort() noexcept override {
        finalized_ = true;  // nothing to finish after this: the keys expire
        mailbox_.publish_failure(FailureKind::failed, "peer " + std::to_string(mailbox_.rank()) + " aborted");
        mailbox_.shutdown();
    }

private:
    bool alone() const noexcept { return mailbox_.size() == 1; }
    static void copy(ConstBytes in, MutableBytes out) {
        if (in.data() != out.data()) std::copy(in.begin(), in.end(), out.begin());
    }

    /// Runs one operation; on failure tells the other peers (so they stop
    /// waiting at once instead of at their deadlines) and rethrows.
    template <class Body>
    void run(const OpContext& ctx, Body&& body) {
        if (ctx.op != OpKind::send) next_seq_ = std::max(next_seq_, ctx.seq + 1);
        try {
            body();
            mailbox_.flush(ctx.deadline);  // posts and cleanups leave now
        } catch (const Error& e) {
            // Replies the algorithm meant to read may still be coming: the
            // connection is out of step, so start afresh on the next operation.
            if (mailbox_.has_unread_replies()) mailbox_.drop_connection();
            announce(ctx, e);
            throw;
        }
    }

    void announce(const OpContext& ctx, const Error& e) noexcept {
        // Already announced (by another peer, or by the enter script), or of
        // no concern to the others: a local usage error, or a receive of the
        // wrong size (the message is consumed, both sides stay in step).
        if (dynamic_cast<const redis::RemoteMismatchError*>(&e) || dynamic_cast<const redis::RemoteFailureError*>(&e) ||
            dynamic_cast<const UsageError*>(&e) ||
            (ctx.op == OpKind::send && dynamic_cast<const SizeMismatchError*>(&e)))
            return;
        bool mismatch = dynamic_cast<const MismatchError*>(&e) != nullptr;
        mailbox_.publish_failure(mismatch ? FailureKind::mismatch : FailureKind::failed, e.what());
    }

    Mailbox mailbox_;
    std::chrono::milliseconds command_timeout_;
    redis::FoldScratch scratch_;  // reduction buffers, reused
    bool finalized_ = false;
    std::uint64_t next_seq_ = 0;  // one past the last collective run here
};

}  // namespace

std::unique_ptr<Backend> make_redis_backend(const PeerIdentity& who, const RedisOptions& options,
                                            const Logger& log) {
    return std::make_unique<RedisBackend>(who, options, log);
}

}  // namespace fmi::detail
