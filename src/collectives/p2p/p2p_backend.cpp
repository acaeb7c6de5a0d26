// The peer-to-peer Backend: checks what it can see locally, builds the
// per-operation run (tag = the operation's kind and sequence number, its
// deadline, the reused scratch buffers) and hands it to the algorithm that
// selection.cpp picks, or to the one pinned for the operation
// (ctx.algorithm). Partners' disagreements (another operation, another
// size) surface as the channel's MismatchError / SizeMismatchError; the
// communicator aborts the channel on any such failure.
#include "collectives/p2p/p2p_backend.hpp"

#include "collectives/p2p/allgather_ring.hpp"
#include "collectives/p2p/allreduce_ordered.hpp"
#include "collectives/p2p/allreduce_rabenseifner.hpp"
#include "collectives/p2p/allreduce_recursive_doubling.hpp"
#include "collectives/p2p/allreduce_ring.hpp"
#include "collectives/p2p/barrier_dissemination.hpp"
#include "collectives/p2p/bcast_binomial.hpp"
#include "collectives/p2p/bcast_scatter_allgather.hpp"
#include "collectives/p2p/gather_binomial.hpp"
#include "collectives/p2p/p2p_run.hpp"
#include "collectives/p2p/reduce_binomial.hpp"
#include "collectives/p2p/reduce_ordered.hpp"
#include "collectives/p2p/scan_linear.hpp"
#include "collectives/p2p/scan_recursive_doubling.hpp"
#include "collectives/p2p/scatter_binomial.hpp"
#include "collectives/p2p/selection.hpp"
#include "core/factories.hpp"

#include <string>
#include <utility>

namespace fmi::detail {
namespace p2p {
namespace {

class P2PBackend final : public Backend {
public:
    P2PBackend(std::unique_ptr<PeerChannel> channel, const Logger& log, const P2POptions& options)
        : channel_(std::move(channel)), log_(log), options_(options) {
        if (!channel_) throw UsageError("p2p backend: no channel");
        if (options_.segment_bytes == 0 || options_.bcast_segment_bytes == 0)
            throw UsageError("p2p backend: segment sizes must be positive");
    }

    std::string_view name() const override { return channel_->name(); }

    void send(ConstBytes data, int dest, const OpContext& ctx) override {
        check_peer(ctx, "destination", dest);
        channel_->send(dest, MessageTag{ctx.op, ctx.seq}, data, ctx.deadline);
    }

    void recv(MutableBytes data, int src, const OpContext& ctx) override {
        check_peer(ctx, "source", src);
        channel_->recv(src, MessageTag{ctx.op, ctx.seq}, data, ctx.deadline);
    }

    void bcast(MutableBytes data, int root, const OpContext& ctx) override {
        check_root(ctx, root);
        BcastAlgorithm algorithm = choose_bcast(options_, data.size(), size(), ctx.algorithm);
        trace(ctx, data.size(), to_string(algorithm));
        if (algorithm == BcastAlgorithm::scatter_allgather) bcast_scatter_allgather(run(ctx), data, root);
        else bcast_binomial(run(ctx), data, root);
    }

    void barrier(const OpContext& ctx) override { barrier_dissemination(run(ctx)); }

    void gather(ConstBytes in, MutableBytes out, int root, const OpContext& ctx) override {
        check_root(ctx, root);
        if (rank() == root) check_bytes(ctx, "the root's output", out.size(), in.size() * peers());
        gather_binomial(run(ctx), in, out, root);
    }

    void scatter(ConstBytes in, MutableBytes out, int root, const OpContext& ctx) override {
        check_root(ctx, root);
        if (rank() == root) check_bytes(ctx, "the root's input", in.size(), out.size() * peers());
        scatter_binomial(run(ctx), in, out, root);
    }

    void allgather(ConstBytes in, MutableBytes out, const OpContext& ctx) override {
        check_bytes(ctx, "the output", out.size(), in.size() * peers());
        allgather_ring(run(ctx), in, out);
    }

    void reduce(ConstBytes in, MutableBytes out, int root, const ReduceFn& fn, const OpContext& ctx) override {
        check_root(ctx, root);
        check_function(ctx, in, fn);
        if (rank() == root) check_output(ctx, in, out);
        const bool tree = fn.reorderable();
        trace(ctx, in.size(), tree ? "binomial" : "ordered");
        if (tree) reduce_binomial(run(ctx), in, out, root, fn);
        else reduce_ordered(run(ctx), in, out, root, fn);
    }

    void allreduce(ConstBytes in, MutableBytes out, const ReduceFn& fn, const OpContext& ctx) override {
        check_function(ctx, in, fn);
        check_output(ctx, in, out);
        if (!fn.reorderable()) {  // whatever is pinned: the only algorithm that keeps the order
            trace(ctx, in.size(), "ordered");
            allreduce_ordered(run(ctx), in, out, fn);
            return;
        }
        AllreduceAlgorithm algorithm = choose_allreduce(options_, in.size(), size(), ctx.algorithm);
        trace(ctx, in.size(), to_string(algorithm));
        switch (algorithm) {
            case AllreduceAlgorithm::automatic:  // choose_allreduce never returns it
            case AllreduceAlgorithm::recursive_doubling: allreduce_recursive_doubling(run(ctx), in, out, fn); break;
            case AllreduceAlgorithm::rabenseifner: allreduce_rabenseifner(run(ctx), in, out, fn); break;
            case AllreduceAlgorithm::ring: allreduce_ring(run(ctx), in, out, fn); break;
        }
    }

    void scan(ConstBytes in, MutableBytes out, const ReduceFn& fn, const OpContext& ctx) override {
        check_function(ctx, in, fn);
        check_output(ctx, in, out);
        ScanAlgorithm algorithm = choose_scan(options_, fn, ctx.algorithm);
        trace(ctx, in.size(), to_string(algorithm));
        if (algorithm == ScanAlgorithm::linear) scan_linear(run(ctx), in, out, fn);
        else scan_recursive_doubling(run(ctx), in, out, fn);
    }

    void abort() noexcept override { channel_->abort(); }

private:
    int rank() const noexcept { return channel_->rank(); }
    int size() const noexcept { return channel_->size(); }
    std::size_t peers() const noexcept { return static_cast<std::size_t>(channel_->size()); }

    P2PRun run(const OpContext& ctx) {
        return P2PRun{*channel_, MessageTag{ctx.op, ctx.seq}, ctx.deadline, scratch_, options_};
    }

    void trace(const OpContext& ctx, std::size_t bytes, const char* algorithm) const {
        if (!log_.enabled(LogLevel::debug)) return;
        log_.debug(std::string(to_string(ctx.op)) + " #" + std::to_string(ctx.seq) + ": " + std::to_string(bytes) +
                   " bytes over " + std::to_string(size()) + " peers by " + algorithm);
    }

    // Local checks. The communicator validates arguments before calling a
    // backend; these repeat the ones whose violation would corrupt memory.
    static std::string where(const OpContext& ctx) { return std::string("p2p ") + to_string(ctx.op); }

    void check_peer(const OpContext& ctx, const char* role, int peer) const {
        if (peer < 0 || peer >= size() || peer == rank())
            throw UsageError(where(ctx) + ": " + role + " " + std::to_string(peer) + " is not another peer of [0, " +
                             std::to_string(size()) + ")");
    }
    void check_root(const OpContext& ctx, int root) const {
        if (root < 0 || root >= size())
            throw UsageError(where(ctx) + ": root " + std::to_string(root) + " is outside [0, " +
                             std::to_string(size()) + ")");
    }
    static void check_bytes(const OpContext& ctx, const char* what, std::size_t actual, std::size_t expected) {
        if (actual != expected)
            throw UsageError(where(ctx) + ": " + what + " has " + std::to_string(actual) + " bytes, expected " +
                             std::to_string(expected));
    }
    static void check_function(const OpContext& ctx, ConstBytes in, const ReduceFn& fn) {
        if (!fn.apply) throw UsageError(where(ctx) + ": the reduction function is empty");
        if (fn.element_size == 0 || in.size() % fn.element_size != 0)
            throw UsageError(where(ctx) + ": " + std::to_string(in.size()) + " bytes is not a whole number of " +
                             std::to_string(fn.element_size) + "-byte elements");
    }
    /// out must have in's size and either be in itself (in place) or not overlap it.
    static void check_output(const OpContext& ctx, ConstBytes in, MutableBytes out) {
        check_bytes(ctx, "the output", out.size(), in.size());
        if (overlaps(in, out) && in.data() != out.data())
            throw UsageError(where(ctx) + ": input and output overlap without being the same buffer");
    }

    std::unique_ptr<PeerChannel> channel_;
    Logger log_;
    P2POptions options_;
    ScratchBuffers scratch_;
};

}  // namespace
}  // namespace p2p

std::unique_ptr<Backend> make_p2p_backend(std::unique_ptr<PeerChannel> channel, const Logger& log,
                                          const p2p::P2POptions& options) {
    return std::make_unique<p2p::P2PBackend>(std::move(channel), log, options);
}

std::unique_ptr<Backend> make_p2p_backend(std::unique_ptr<PeerChannel> channel, const Logger& log) {
    return make_p2p_backend(std::move(channel), log, p2p::P2POptions{});
}

}  // namespace fmi::detail
