// The C++ half of the Python-versus-C++ allreduce benchmark
// (python/bench/run_benchmarks.py runs it and allreduce_py.py under the same
// fmirun settings and compares them).
//
// Protocol, identical in allreduce_py.py: float32 buffers allocated and
// touched once; `warmup` untimed allreduces; then `rounds` rounds, each a
// barrier followed by `iters` back-to-back allreduces; a round's time per
// operation is the slowest peer's (an allreduce of the max). Peer 0 prints
// one JSON line with the per-round seconds per operation.
//
//   fmirun -n 2 -- fmi_bench_allreduce_cpp --bytes 16777216 --iters 10 --rounds 5
#include <fmi/fmi.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Options {
    std::size_t bytes = 16u << 20;
    int warmup = 3;
    int iters = 10;
    int rounds = 5;
};

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string flag = argv[i];
        long long value = std::atoll(argv[i + 1]);
        if (value < 0) value = 0;
        if (flag == "--bytes") o.bytes = static_cast<std::size_t>(value);
        else if (flag == "--warmup") o.warmup = static_cast<int>(value);
        else if (flag == "--iters") o.iters = static_cast<int>(value);
        else if (flag == "--rounds") o.rounds = static_cast<int>(value);
        else {
            std::fprintf(stderr, "unknown option %s (use --bytes, --warmup, --iters, --rounds)\n", argv[i]);
            std::exit(2);
        }
    }
    if (o.iters < 1) o.iters = 1;
    return o;
}

}  // namespace

int main(int argc, char** argv) {
    Options o = parse(argc, argv);
    fmi::Communicator comm = fmi::Communicator::from_environment();
    std::vector<float> in(o.bytes / sizeof(float), 1.0f + comm.peer_id()), out(in.size(), 0.0f);

    for (int i = 0; i < o.warmup; ++i) comm.allreduce(in, out, fmi::Op::sum);

    std::vector<double> per_op;
    for (int r = 0; r < o.rounds; ++r) {
        comm.barrier();
        auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < o.iters; ++i) comm.allreduce(in, out, fmi::Op::sum);
        double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        per_op.push_back(comm.allreduce(seconds, fmi::Op::max) / o.iters);
    }

    // A wrong result would make the timing meaningless.
    const int n = comm.num_peers();
    const float expected = static_cast<float>(n) * (n + 1) / 2.0f;
    if (!out.empty() && (out.front() != expected || out.back() != expected)) {
        std::fprintf(stderr, "allreduce result %g, expected %g\n", out.front(), expected);
        return 1;
    }
    if (comm.peer_id() == 0) {
        std::string rounds;
        for (double s : per_op) rounds += (rounds.empty() ? "" : ", ") + std::to_string(s);
        std::printf("{\"impl\": \"cpp\", \"bytes\": %zu, \"peers\": %d, \"iters\": %d, \"seconds_per_op\": [%s]}\n",
                    o.bytes, n, o.iters, rounds.c_str());
    }
    return 0;
}
