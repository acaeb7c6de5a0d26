// bench-memcpy: the memory-bandwidth ceiling of one process: memcpy between
// two buffers already touched (no page faults), timed with the harness's
// plan and statistics and written in fmi-bench's JSON format as the
// "bandwidth" of system "memcpy" (time per copy; bandwidth = bytes / time).
#include "harness/measure.hpp"
#include "harness/results.hpp"
#include "harness/run.hpp"

#include <cstring>
#include <iostream>

namespace fmibench {
namespace {

// A copy the compiler must perform: the destination escapes to "memory".
void copy_bytes(void* dst, const void* src, std::size_t n) {
    std::memcpy(dst, src, n);
    asm volatile("" : : "r"(dst) : "memory");
}

std::vector<Result> run_memcpy(const BenchOptions& options) {
    // Recorded as the bandwidth of one copy.
    auto copy = [](MutableBytes in, MutableBytes out) { copy_bytes(out.data(), in.data(), in.size()); };
    return measure_single_process(options, "memcpy", "memory", single_process_plans(options, {Op::bandwidth}),
                                  {copy, [&](const SizePlan&, MutableBytes in, MutableBytes out) { copy(in, out); }});
}

}  // namespace
}  // namespace fmibench

int main(int argc, char** argv) {
    return fmibench::single_process_main(
        argc, argv, "bench-memcpy",
        "Usage: bench-memcpy [options]\n\nmemcpy bandwidth between touched buffers (--op is ignored).", {},
        fmibench::run_memcpy);
}
