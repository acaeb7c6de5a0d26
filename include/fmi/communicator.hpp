// The communicator: N peers running the same program exchange typed data with
// point-to-point and collective operations, each over the channel chosen for it.
#pragma once

#include <fmi/config.hpp>
#include <fmi/errors.hpp>
#include <fmi/model.hpp>
#include <fmi/ops.hpp>

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace fmi {

using ConstBytes = std::span<const std::byte>;
using MutableBytes = std::span<std::byte>;

/// A contiguous range of trivially copyable elements (std::vector, std::array,
/// std::span, C arrays): sent and received in place, without copies.
template <class R>
concept ContiguousData = std::ranges::contiguous_range<R> && std::ranges::sized_range<R> &&
                         std::is_trivially_copyable_v<std::ranges::range_value_t<R>>;

/// A contiguous range that can be written to.
template <class R>
concept MutableData = ContiguousData<R> &&
                      !std::is_const_v<std::remove_reference_t<std::ranges::range_reference_t<R>>>;

/// A single trivially copyable value (not a range).
template <class T>
concept Scalar = std::is_trivially_copyable_v<T> && !std::ranges::range<T>;

/// Counters of one (channel, operation) pair, for summaries.
struct OperationStats {
    std::string channel;
    std::string operation;
    std::uint64_t count = 0;
    std::uint64_t bytes = 0;     ///< payload bytes passed by this peer
    double seconds = 0.0;        ///< wall time spent in the operation
    /// Requests this peer made to the store (S3 requests of every type,
    /// Redis commands; 0 on direct). predicted_requests counts all peers:
    /// sum this over the peers to compare.
    std::uint64_t requests = 0;
    /// What the model predicted for these operations on this channel, summed:
    /// time, store requests (all peers), price (docs/model.md).
    double predicted_seconds = 0.0;
    double predicted_requests = 0.0;
    double predicted_dollars = 0.0;
};

namespace detail {
template <ContiguousData R>
ConstBytes as_bytes(const R& r) {
    return std::as_bytes(std::span(std::ranges::data(r), std::ranges::size(r)));
}
template <MutableData R>
MutableBytes as_writable(R&& r) {
    return std::as_writable_bytes(std::span(std::ranges::data(r), std::ranges::size(r)));
}
template <class R>
using element_t = std::remove_cv_t<std::ranges::range_value_t<R>>;
}  // namespace detail

/// One peer's end of a communicator. Not thread-safe: use it from one thread
/// at a time (operations, pins, hints, explain() and statistics() share the
/// channel selection's cache and the counters). The Python package
/// serializes calls on each communicator for this reason.
class Communicator {
public:
    /// Creates a communicator from FMI_PEER_ID, FMI_NUM_PEERS, FMI_COMM and
    /// FMI_CONFIG (as set by fmirun); missing variables are ConfigErrors.
    static Communicator from_environment();

    /// Creates a communicator explicitly. Blocks until the configured
    /// channels are connected (bounded by their connect timeouts).
    Communicator(int peer_id, int num_peers, std::string name, Config config);
    Communicator(int peer_id, int num_peers, std::string name,
                 const std::filesystem::path& config_file);

    Communicator(Communicator&&) noexcept;
    Communicator& operator=(Communicator&&) noexcept;
    Communicator(const Communicator&) = delete;
    Communicator& operator=(const Communicator&) = delete;
    /// Finishes the communicator (see finalize); never throws.
    ~Communicator();

    int peer_id() const noexcept;
    int num_peers() const noexcept;
    const std::string& name() const noexcept;
    const Config& config() const noexcept;

    /// Selection objective for the following operations.
    void hint(Hint h);
    Hint hint() const noexcept;
    /// A limit on the quantity the hint does not minimise (fast: price per
    /// operation, cheap: time per operation); {} removes it (docs/model.md).
    void budget(const model::Budget& b);
    model::Budget budget() const;
    /// Pins one operation to a channel (nullopt: chosen by the model again).
    /// Every peer must pin alike.
    void pin(Operation op, std::optional<ChannelKind> channel);
    /// Pins every operation without its own pin (nullopt: none).
    void pin(std::optional<ChannelKind> channel);
    /// Pins the algorithm of one operation, by the name explain() reports
    /// ("ring", "exchange", ...; model::algorithms(op) lists them; nullopt:
    /// each channel's automatic choice again). Only the channels that run
    /// it are candidates; with a channel pinned too, that channel must run
    /// it. Functions an algorithm is not correct for (not commutative and
    /// associative, for the peer-to-peer reductions) keep their ordered
    /// algorithm. A name no enabled channel runs for `op` is a UsageError.
    /// Every peer must pin alike.
    void pin_algorithm(Operation op, std::optional<std::string> algorithm);
    /// The candidates for an operation of `bytes` bytes per peer with their
    /// predicted time and price, and the channel that would be chosen.
    model::Explanation explain(Operation op, std::size_t bytes) const;

    // ---- point to point ---------------------------------------------------
    template <ContiguousData R> void send(const R& data, int dest) { send_bytes(detail::as_bytes(data), dest); }
    template <Scalar T> void send(const T& value, int dest) { send_bytes(scalar_bytes(value), dest); }
    /// Receives exactly data.size() elements; a different size is a SizeMismatchError.
    template <MutableData R> void recv(R&& data, int src) { recv_bytes(detail::as_writable(data), src); }
    template <Scalar T> T recv(int src) { T v{}; recv_bytes(scalar_writable(v), src); return v; }

    // ---- collectives ------------------------------------------------------
    /// root's data is copied into every peer's data (same size everywhere).
    template <MutableData R> void bcast(R&& data, int root) { bcast_bytes(detail::as_writable(data), root); }
    template <Scalar T> void bcast(T& value, int root) { bcast_bytes(scalar_writable(value), root); }

    void barrier();

    /// out (at root, num_peers() * in.size() elements) receives every peer's
    /// in, in peer order. out is ignored on other peers and may be empty.
    template <ContiguousData In, MutableData Out>
    void gather(const In& in, Out&& out, int root) {
        static_assert(std::is_same_v<detail::element_t<In>, detail::element_t<Out>>);
        gather_bytes(detail::as_bytes(in), detail::as_writable(out), root);
    }
    template <Scalar T> std::vector<T> gather(const T& value, int root) {
        std::vector<T> out(peer_id() == root ? num_peers() : 0);
        gather_bytes(scalar_bytes(value), detail::as_writable(out), root);
        return out;
    }

    /// root's in (num_peers() * out.size() elements) is split in peer order;
    /// in is ignored on other peers and may be empty.
    template <ContiguousData In, MutableData Out>
    void scatter(const In& in, Out&& out, int root) {
        static_assert(std::is_same_v<detail::element_t<In>, detail::element_t<Out>>);
        scatter_bytes(detail::as_bytes(in), detail::as_writable(out), root);
    }

    /// Every peer's out (num_peers() * in.size() elements) receives every in.
    template <ContiguousData In, MutableData Out>
    void allgather(const In& in, Out&& out) {
        static_assert(std::is_same_v<detail::element_t<In>, detail::element_t<Out>>);
        allgather_bytes(detail::as_bytes(in), detail::as_writable(out));
    }

    /// out (at root, same size as in) = in_0 (+) in_1 (+) ... ; out is ignored
    /// elsewhere. The caller's in is never modified; in and out may be the same range.
    template <ContiguousData In, MutableData Out>
    void reduce(const In& in, Out&& out, Op op, int root) {
        reduce_bytes(detail::as_bytes(in), detail::as_writable(out), make_reduce<detail::element_t<In>>(op), root);
    }
    template <ContiguousData In, MutableData Out, class T = detail::element_t<In>>
    void reduce(const In& in, Out&& out, const Function<T>& f, int root) {
        reduce_bytes(detail::as_bytes(in), detail::as_writable(out), make_reduce(f), root);
    }
    template <Scalar T> T reduce(const T& value, Op op, int root) {
        T out = value; reduce_bytes(scalar_bytes(value), scalar_writable(out), make_reduce<T>(op), root); return out;
    }
    template <Scalar T> T reduce(const T& value, const Function<T>& f, int root) {
        T out = value; reduce_bytes(scalar_bytes(value), scalar_writable(out), make_reduce(f), root); return out;
    }

    template <ContiguousData In, MutableData Out>
    void allreduce(const In& in, Out&& out, Op op) {
        allreduce_bytes(detail::as_bytes(in), detail::as_writable(out), make_reduce<detail::element_t<In>>(op));
    }
    template <ContiguousData In, MutableData Out, class T = detail::element_t<In>>
    void allreduce(const In& in, Out&& out, const Function<T>& f) {
        allreduce_bytes(detail::as_bytes(in), detail::as_writable(out), make_reduce(f));
    }
    template <Scalar T> T allreduce(const T& value, Op op) {
        T out{}; allreduce_bytes(scalar_bytes(value), scalar_writable(out), make_reduce<T>(op)); return out;
    }
    template <Scalar T> T allreduce(const T& value, const Function<T>& f) {
        T out{}; allreduce_bytes(scalar_bytes(value), scalar_writable(out), make_reduce(f)); return out;
    }

    /// Inclusive prefix reduction: peer i gets in_0 (+) ... (+) in_i.
    template <ContiguousData In, MutableData Out>
    void scan(const In& in, Out&& out, Op op) {
        scan_bytes(detail::as_bytes(in), detail::as_writable(out), make_reduce<detail::element_t<In>>(op));
    }
    template <ContiguousData In, MutableData Out, class T = detail::element_t<In>>
    void scan(const In& in, Out&& out, const Function<T>& f) {
        scan_bytes(detail::as_bytes(in), detail::as_writable(out), make_reduce(f));
    }
    template <Scalar T> T scan(const T& value, Op op) {
        T out{}; scan_bytes(scalar_bytes(value), scalar_writable(out), make_reduce<T>(op)); return out;
    }
    template <Scalar T> T scan(const T& value, const Function<T>& f) {
        T out{}; scan_bytes(scalar_bytes(value), scalar_writable(out), make_reduce(f)); return out;
    }

    // ---- the untyped layer (used by the typed API and the Python package) --
    void send_bytes(ConstBytes data, int dest);
    void recv_bytes(MutableBytes data, int src);
    void bcast_bytes(MutableBytes data, int root);
    void gather_bytes(ConstBytes in, MutableBytes out, int root);
    void scatter_bytes(ConstBytes in, MutableBytes out, int root);
    void allgather_bytes(ConstBytes in, MutableBytes out);
    void reduce_bytes(ConstBytes in, MutableBytes out, const ReduceFn& fn, int root);
    void allreduce_bytes(ConstBytes in, MutableBytes out, const ReduceFn& fn);
    void scan_bytes(ConstBytes in, MutableBytes out, const ReduceFn& fn);

    /// Per (channel, operation) counters of this peer since creation.
    std::vector<OperationStats> statistics() const;
    /// statistics() as a table: per channel and operation the count, measured
    /// time, bytes, and the model's predicted time, requests and price.
    std::string summary() const;

    /// Releases the channels and removes what the communicator left in
    /// servers (Redis keys, S3 objects). Idempotent; called by the destructor.
    void finalize();

    struct Impl;

private:
    template <Scalar T> static ConstBytes scalar_bytes(const T& v) { return std::as_bytes(std::span(&v, 1)); }
    template <Scalar T> static MutableBytes scalar_writable(T& v) { return std::as_writable_bytes(std::span(&v, 1)); }

    std::unique_ptr<Impl> impl_;
};

}  // namespace fmi
