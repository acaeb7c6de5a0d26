#include "measure.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>

namespace fmibench {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point start, Clock::time_point end) {
    return std::chrono::duration<double>(end - start).count();
}

// A byte pattern that differs per seed and per position, so a message from
// the wrong peer or at the wrong offset is caught.
std::byte pattern_byte(std::size_t i, unsigned seed) {
    return static_cast<std::byte>((i * 131u + seed * 29u + 7u) & 0xffu);
}

void fill_pattern(MutableBytes bytes, unsigned seed) {
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = pattern_byte(i, seed);
}

bool has_pattern(ConstBytes bytes, unsigned seed) {
    for (std::size_t i = 0; i < bytes.size(); ++i)
        if (bytes[i] != pattern_byte(i, seed)) return false;
    return true;
}

// Reduction inputs: peer r holds (r + 1) * (i % 5 + 1); small integers, so
// float sums are exact and the expected values have a closed form.
float reduction_input(int rank, std::size_t i) { return static_cast<float>((rank + 1) * static_cast<int>(i % 5 + 1)); }

bool sums_to(std::span<const float> values, long factor) {
    for (std::size_t i = 0; i < values.size(); ++i)
        if (values[i] != static_cast<float>(factor * static_cast<long>(i % 5 + 1))) return false;
    return true;
}

// Peers 0 and 1 exchange one message each way and check both.
bool check_point_to_point(System& s, const SizePlan& plan, Buffers& b) {
    MutableBytes in = b.in(plan.bytes), out = b.out(plan.bytes);
    if (s.rank() == 0) {
        fill_pattern(in, 1);
        s.send(in, 1);
        std::fill(out.begin(), out.end(), std::byte{0});
        s.recv(out, 1);
        return has_pattern(out, 2);
    }
    if (s.rank() == 1) {
        std::fill(out.begin(), out.end(), std::byte{0});
        s.recv(out, 0);
        bool ok = has_pattern(out, 1);
        fill_pattern(in, 2);
        s.send(in, 0);
        return ok;
    }
    return true;
}

bool check_collective(System& s, const SizePlan& plan, Buffers& b, int root) {
    const int rank = s.rank(), n = s.size();
    const std::size_t bytes = plan.bytes;
    switch (plan.op) {
        case Op::barrier: run_once(s, plan, b, root); return true;
        case Op::bcast: {
            MutableBytes data = b.out(bytes);
            if (rank == root) fill_pattern(data, 3);
            else std::fill(data.begin(), data.end(), std::byte{0});
            run_once(s, plan, b, root);
            return has_pattern(data, 3);
        }
        case Op::gather:
        case Op::allgather: {
            fill_pattern(b.in(bytes), static_cast<unsigned>(rank) + 10);
            MutableBytes out = b.out(plan.out_bytes);
            std::fill(out.begin(), out.end(), std::byte{0});
            run_once(s, plan, b, root);
            if (plan.op == Op::gather && rank != root) return true;
            for (int p = 0; p < n; ++p)
                if (!has_pattern(out.subspan(static_cast<std::size_t>(p) * bytes, bytes), static_cast<unsigned>(p) + 10))
                    return false;
            return true;
        }
        case Op::scatter: {
            if (rank == root) {
                MutableBytes in = b.in(plan.in_bytes);
                for (int p = 0; p < n; ++p)
                    fill_pattern(in.subspan(static_cast<std::size_t>(p) * bytes, bytes), static_cast<unsigned>(p) + 20);
            }
            MutableBytes out = b.out(bytes);
            std::fill(out.begin(), out.end(), std::byte{0});
            run_once(s, plan, b, root);
            return has_pattern(out, static_cast<unsigned>(rank) + 20);
        }
        case Op::reduce:
        case Op::allreduce:
        case Op::scan: {
            const std::size_t count = bytes / sizeof(float);
            std::span<float> in = b.in_floats(count), out = b.out_floats(count);
            for (std::size_t i = 0; i < count; ++i) in[i] = reduction_input(rank, i);
            std::fill(out.begin(), out.end(), -1.0f);
            run_once(s, plan, b, root);
            if (plan.op == Op::reduce && rank != root) return true;
            const long upto = plan.op == Op::scan ? rank + 1 : n;  // peers included
            return sums_to(out, upto * (upto + 1) / 2);
        }
        case Op::pingpong:
        case Op::bandwidth: break;
    }
    return true;
}

// One iteration of each timing loop: a round trip, a window, an operation.
void round_trip(System& s, MutableBytes data) {
    if (s.rank() == 0) {
        s.send(data, 1);
        s.recv(data, 1);
    } else if (s.rank() == 1) {
        s.recv(data, 0);
        s.send(data, 0);
    }
}

void window(System& s, MutableBytes data, MutableBytes ack, int messages) {
    if (s.rank() == 0) {
        for (int m = 0; m < messages; ++m) s.send(data, 1);
        s.recv(ack, 1);
    } else if (s.rank() == 1) {
        for (int m = 0; m < messages; ++m) s.recv(data, 0);
        s.send(ack, 0);
    }
}

void iterate(System& s, const SizePlan& plan, Buffers& b, int root) {
    switch (plan.op) {
        case Op::pingpong: round_trip(s, b.out(plan.bytes)); break;
        case Op::bandwidth: window(s, b.out(plan.bytes), b.ack(), plan.window); break;
        default: run_once(s, plan, b, root); break;
    }
}

// Iterations per batch: the timed ones spread evenly over the batches.
int batch_size(const SizePlan& plan, int batch) {
    return plan.iterations / plan.batches + (batch < plan.iterations % plan.batches ? 1 : 0);
}

}  // namespace

double warm_up(System& s, const SizePlan& plan, Buffers& b, int root) {
    auto start = Clock::now();
    for (int w = 0; w < plan.warmup; ++w) iterate(s, plan, b, root);
    double per_iteration = plan.warmup > 0 ? seconds_between(start, Clock::now()) / plan.warmup : 0.0;
    s.max_over_peers(std::span(&per_iteration, 1));
    return per_iteration;
}

std::vector<double> time_batches(System& s, const SizePlan& plan, Buffers& b, int root) {
    std::vector<double> samples(static_cast<std::size_t>(plan.batches), 0.0);
    const bool two_sided = is_point_to_point(plan.op);
    for (int batch = 0; batch < plan.batches; ++batch) {
        const int count = batch_size(plan, batch);
        // Collectives start each batch together; point-to-point needs no
        // barrier (the partner's reply paces it) and idle peers wait.
        if (!two_sided) s.barrier();
        auto start = Clock::now();
        for (int k = 0; k < count; ++k) iterate(s, plan, b, root);
        double elapsed = seconds_between(start, Clock::now());
        double per_operation = plan.op == Op::pingpong    ? elapsed / (2.0 * count)           // one way
                               : plan.op == Op::bandwidth ? elapsed / (count * plan.window)   // per message
                                                          : elapsed / count;
        // Only peer 0 times point-to-point; the others contribute zeros.
        if (!two_sided || s.rank() == 0) samples[static_cast<std::size_t>(batch)] = per_operation;
    }
    s.max_over_peers(samples);
    return samples;
}

Buffers::Buffers(std::size_t in_bytes, std::size_t out_bytes)
    : in_((in_bytes + sizeof(float) - 1) / sizeof(float) + 1), out_((out_bytes + sizeof(float) - 1) / sizeof(float) + 1) {}

MutableBytes Buffers::in(std::size_t bytes) { return std::as_writable_bytes(std::span(in_)).first(bytes); }
MutableBytes Buffers::out(std::size_t bytes) { return std::as_writable_bytes(std::span(out_)).first(bytes); }
std::span<float> Buffers::in_floats(std::size_t count) { return std::span(in_).first(count); }
std::span<float> Buffers::out_floats(std::size_t count) { return std::span(out_).first(count); }

Buffers buffers_for(const std::vector<SizePlan>& plans) {
    std::size_t in = 0, out = 0;
    for (const SizePlan& p : plans) {
        if (!p.skip.empty()) continue;
        in = std::max(in, p.in_bytes);
        out = std::max(out, p.out_bytes);
    }
    return Buffers(in, out);
}

void run_once(System& s, const SizePlan& plan, Buffers& b, int root) {
    const std::size_t bytes = plan.bytes;
    switch (plan.op) {
        case Op::barrier: s.barrier(); break;
        case Op::bcast: s.bcast(b.out(bytes), root); break;
        case Op::gather: s.gather(b.in(bytes), b.out(plan.out_bytes), root); break;
        case Op::scatter: s.scatter(b.in(plan.in_bytes), b.out(bytes), root); break;
        case Op::allgather: s.allgather(b.in(bytes), b.out(plan.out_bytes)); break;
        case Op::reduce: s.reduce_sum(b.in_floats(bytes / sizeof(float)), b.out_floats(bytes / sizeof(float)), root); break;
        case Op::allreduce: s.allreduce_sum(b.in_floats(bytes / sizeof(float)), b.out_floats(bytes / sizeof(float))); break;
        case Op::scan: s.scan_sum(b.in_floats(bytes / sizeof(float)), b.out_floats(bytes / sizeof(float))); break;
        case Op::pingpong:
        case Op::bandwidth: break;  // two-sided: see round_trip and window
    }
}

bool check_once(System& s, const SizePlan& plan, Buffers& b, int root) {
    bool ok = is_point_to_point(plan.op) ? check_point_to_point(s, plan, b) : check_collective(s, plan, b, root);
    double failed = ok ? 0.0 : 1.0;
    s.max_over_peers(std::span(&failed, 1));
    return failed == 0.0;
}

}  // namespace fmibench
