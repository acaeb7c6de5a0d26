#include "measure.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>

namespace fmi::calibrate {

namespace {
using Clock = std::chrono::steady_clock;
double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }
}  // namespace

Buffers::Buffers(std::size_t in_bytes, std::size_t out_bytes) : in(in_bytes), out(out_bytes), ack(1) {
    std::memset(in.data(), 1, in.size());
    std::memset(out.data(), 2, out.size());
}

double median(std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    const std::size_t m = v.size() / 2;
    return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

double ping_pong(Communicator& comm, int a, int b, std::size_t bytes, int reps, Buffers& buf) {
    const int me = comm.peer_id();
    if (me != a && me != b) return 0.0;
    std::span<const std::byte> send(buf.in.data(), bytes);
    std::span<std::byte> recv(buf.out.data(), bytes);
    std::vector<double> halves;
    for (int i = 0; i < reps + 1; ++i) {  // the first round trip warms up
        auto start = Clock::now();
        if (me == a) {
            comm.send(send, b);
            comm.recv(recv, b);
            if (i > 0) halves.push_back(since(start) / 2);
        } else {
            comm.recv(recv, a);
            comm.send(send, a);
        }
    }
    return me == a ? median(halves) : 0.0;
}

double slowest(Communicator& comm, double value) { return comm.allreduce(value, Op::max); }

double reduce_speed(Communicator& comm, Buffers& buf) {
    const std::size_t count = buf.in.size() / sizeof(float);
    auto* a = reinterpret_cast<float*>(buf.in.data());
    auto* b = reinterpret_cast<float*>(buf.out.data());
    comm.barrier();
    std::vector<double> times;
    for (int rep = 0; rep < 3; ++rep) {
        auto start = Clock::now();
        for (std::size_t i = 0; i < count; ++i) b[i] = a[i] + b[i];
        times.push_back(since(start));
    }
    std::memset(buf.out.data(), 2, buf.out.size());
    double seconds = slowest(comm, median(times));
    return seconds > 0 ? static_cast<double>(count * sizeof(float)) / seconds : 0.0;
}

namespace {

double timed_batches(Communicator& comm, Operation op, std::size_t bytes, int reps, int batches, Buffers& buf) {
    const int n = comm.num_peers(), me = comm.peer_id();
    if (op == Operation::send) {
        std::vector<double> halves;
        for (int k = 0; k < batches; ++k) {
            comm.barrier();
            double v = n >= 2 ? ping_pong(comm, 0, 1, bytes, reps, buf) : 0.0;
            halves.push_back(slowest(comm, v));
        }
        return median(halves);
    }
    // Collectives: buffers sized for the largest output (N blocks for
    // gather/allgather at the root or everywhere).
    const std::size_t block = bytes;
    std::vector<double> per_batch;
    for (int k = 0; k < batches; ++k) {
        comm.barrier();
        auto start = Clock::now();
        for (int i = 0; i < reps; ++i) {
            std::span<const std::byte> in(buf.in.data(), block);
            std::span<std::byte> out(buf.out.data(), block);
            std::span<std::byte> inout(buf.in.data(), block);
            std::span<std::byte> all(buf.out.data(), block * n);
            // float element-wise sums need whole floats: sizes are multiples of 4
            // (the reduction's element size); 8 B and up are.
            std::span<const float> fin(reinterpret_cast<const float*>(buf.in.data()), block / sizeof(float));
            std::span<float> fout(reinterpret_cast<float*>(buf.out.data()), block / sizeof(float));
            switch (op) {
                case Operation::send: case Operation::barrier: comm.barrier(); break;
                case Operation::bcast: comm.bcast(inout, 0); break;
                case Operation::gather: comm.gather(in, me == 0 ? all : std::span<std::byte>{}, 0); break;
                case Operation::scatter:
                    comm.scatter(me == 0 ? std::span<const std::byte>(buf.out.data(), block * n)
                                         : std::span<const std::byte>{},
                                 inout, 0);
                    break;
                case Operation::allgather: comm.allgather(in, all); break;
                case Operation::reduce: comm.reduce(fin, fout, Op::sum, 0); break;
                case Operation::allreduce: comm.allreduce(fin, fout, Op::sum); break;
                case Operation::scan: comm.scan(fin, fout, Op::sum); break;
            }
        }
        per_batch.push_back(slowest(comm, since(start) / reps));
    }
    return median(per_batch);
}

}  // namespace

double time_operation(Communicator& comm, Operation op, std::size_t bytes, const Timing& timing, Buffers& buf) {
    if (timing.warm_up_reps > 0) timed_batches(comm, op, bytes, timing.warm_up_reps, 1, buf);
    return timed_batches(comm, op, bytes, timing.reps, timing.batches, buf);
}

int reps_per_batch(Operation op, double seconds, double batch_seconds, int most_reps) {
    const double per_rep = op == Operation::send ? 2 * seconds : seconds;
    return static_cast<int>(
        std::clamp(batch_seconds / std::max(per_rep, 1e-7), 1.0, static_cast<double>(std::max(1, most_reps))));
}

Timing warmed_up_batches(Communicator& comm, Operation op, std::size_t bytes, const Batching& b, Buffers& buf) {
    double spent = 0.0, last = 0.0;
    int count = 0;
    do {
        last = timed_batches(comm, op, bytes, 1, 1, buf);  // the slowest peer's: all stop alike
        spent += op == Operation::send ? 2 * last : last;
        ++count;
    } while (spent < b.warm_up_seconds && count < b.most_reps);
    return Timing{reps_per_batch(op, last, b.batch_seconds, b.most_reps), b.batches, 0};
}

}  // namespace fmi::calibrate
