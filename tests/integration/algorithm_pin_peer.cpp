// One peer of the algorithm-pin tests (algorithm_pin_test.cpp): pins the
// allreduce algorithm (through Communicator::pin_algorithm, or expects the
// configuration's pin), checks that the model's explanation names it, and
// runs two allreduces whose results it checks against closed forms:
//  1. a sum of int64 x_r[i] = (r + 1)(i + 1): (i + 1) N (N + 1) / 2;
//  2. a function that is neither commutative nor associative,
//     f(a, b) = 10 a + b over x_r[i] = r + 1 + i % 3, strictly left to right:
//     sum_r x_r[i] 10^(N-1-r). It keeps its ordered algorithm on the direct
//     channel whatever the pin; the Redis algorithms fold in peer order.
// What really ran is what the backends log at debug level ("allreduce #s:
// B bytes over N peers by <algorithm>"), which the test reads from the
// peer's output (FMI_LOG_LEVEL=debug).
//
// usage: algorithm_pin_peer <pin|config> <algorithm> <elements>
#include <fmi/fmi.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

int fail(const std::string& what) {
    std::fprintf(stderr, "algorithm_pin_peer: %s\n", what.c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) return fail("usage: algorithm_pin_peer <pin|config> <algorithm> <elements>");
    const std::string how = argv[1], algorithm = argv[2];
    const std::size_t elements = std::strtoull(argv[3], nullptr, 10);
    try {
        fmi::Communicator comm = fmi::Communicator::from_environment();
        const int N = comm.num_peers(), r = comm.peer_id();
        if (how == "pin") comm.pin_algorithm(fmi::Operation::allreduce, algorithm);

        const std::size_t bytes = elements * sizeof(std::int64_t);
        fmi::model::Explanation why = comm.explain(fmi::Operation::allreduce, bytes);
        for (const auto& c : why.candidates)
            if (c.channel == why.chosen && c.prediction.algorithm != algorithm)
                return fail("the model chose " + c.prediction.algorithm + " on " + fmi::to_string(c.channel) +
                            ", not " + algorithm + ":\n" + why.to_string());
        std::printf("chosen %s %s (%s)\n", fmi::to_string(why.chosen), algorithm.c_str(), why.reason.c_str());

        std::vector<std::int64_t> x(elements), out(elements);
        for (std::size_t i = 0; i < elements; ++i)
            x[i] = static_cast<std::int64_t>(r + 1) * static_cast<std::int64_t>(i + 1);
        comm.allreduce(x, out, fmi::Op::sum);
        for (std::size_t i = 0; i < elements; ++i) {
            const std::int64_t expected = static_cast<std::int64_t>(i + 1) * N * (N + 1) / 2;
            if (out[i] != expected)
                return fail("sum: element " + std::to_string(i) + " is " + std::to_string(out[i]) + ", expected " +
                            std::to_string(expected));
        }

        auto digits = fmi::function<std::int64_t>([](std::int64_t a, std::int64_t b) { return 10 * a + b; });
        for (std::size_t i = 0; i < elements; ++i) x[i] = r + 1 + static_cast<std::int64_t>(i % 3);
        comm.allreduce(x, out, digits);
        for (std::size_t i = 0; i < elements; ++i) {
            std::int64_t expected = 0;
            for (int p = 0; p < N; ++p) expected = 10 * expected + p + 1 + static_cast<std::int64_t>(i % 3);
            if (out[i] != expected)
                return fail("left-to-right fold: element " + std::to_string(i) + " is " + std::to_string(out[i]) +
                            ", expected " + std::to_string(expected));
        }
        std::printf("results ok\n");
        comm.finalize();
    } catch (const std::exception& e) {
        return fail(std::string("unexpected exception: ") + e.what());
    }
    return 0;
}
