// The system under test: what a benchmark needs from a messaging library.
//
// fmi-bench and every comparison program (Open MPI, Gloo, raw TCP) implement
// this interface and hand it to the same measurement loops (measure.hpp), so
// all of them are measured with one methodology and reported in one format.
#pragma once

#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>

namespace fmibench {

using ConstBytes = std::span<const std::byte>;
using MutableBytes = std::span<std::byte>;

/// The operations a benchmark can measure.
enum class Op { pingpong, bandwidth, bcast, barrier, gather, scatter, allgather, reduce, allreduce, scan };

/// Thrown by a System for an operation it does not implement.
class Unsupported : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

const char* to_string(Op op) noexcept;

class System {
public:
    virtual ~System() = default;

    virtual int rank() const = 0;
    virtual int size() const = 0;
    /// Library name as reported ("fmi", "openmpi", "gloo", "tcp").
    virtual std::string name() const = 0;
    /// Transport or channel in use ("direct", "tcp", "vader", "busy-poll").
    virtual std::string transport() const = 0;
    /// False for operations the library lacks (Gloo has no scan).
    virtual bool supports(Op op) const = 0;

    // Blocking point-to-point of raw bytes; messages between a pair arrive in order.
    virtual void send(ConstBytes data, int peer) = 0;
    virtual void recv(MutableBytes data, int peer) = 0;

    // Collectives. Byte collectives follow MPI's layout (gather/allgather: out
    // holds size() blocks of in.size() bytes in rank order). Reductions sum
    // floats; `out` of reduce matters at the root only.
    virtual void barrier() = 0;
    virtual void bcast(MutableBytes, int) { unsupported(Op::bcast); }
    virtual void gather(ConstBytes, MutableBytes, int) { unsupported(Op::gather); }
    virtual void scatter(ConstBytes, MutableBytes, int) { unsupported(Op::scatter); }
    virtual void allgather(ConstBytes, MutableBytes) { unsupported(Op::allgather); }
    virtual void reduce_sum(std::span<const float>, std::span<float>, int) { unsupported(Op::reduce); }
    virtual void allreduce_sum(std::span<const float>, std::span<float>) { unsupported(Op::allreduce); }
    virtual void scan_sum(std::span<const float>, std::span<float>) { unsupported(Op::scan); }

    /// Element-wise maximum over all peers, in place on every peer. Used
    /// outside the timed regions to find the slowest peer's time.
    virtual void max_over_peers(std::span<double> values) = 0;

protected:
    [[noreturn]] void unsupported(Op op) const {
        throw Unsupported(name() + " (" + transport() + ") does not implement " + to_string(op));
    }
};

}  // namespace fmibench
