#include "plan.hpp"

#include <algorithm>
#include <cmath>

namespace fmibench {

namespace {

// Odd sizes catch code that only works on powers of two or whole elements.
constexpr std::size_t kOddSizes[] = {3, 1000, 99999, 1000003, 20000005};

}  // namespace

const char* to_string(Op op) noexcept {
    switch (op) {
        case Op::pingpong: return "pingpong";
        case Op::bandwidth: return "bandwidth";
        case Op::bcast: return "bcast";
        case Op::barrier: return "barrier";
        case Op::gather: return "gather";
        case Op::scatter: return "scatter";
        case Op::allgather: return "allgather";
        case Op::reduce: return "reduce";
        case Op::allreduce: return "allreduce";
        case Op::scan: return "scan";
    }
    return "?";
}

bool is_point_to_point(Op op) noexcept { return op == Op::pingpong || op == Op::bandwidth; }

bool is_reduction(Op op) noexcept { return op == Op::reduce || op == Op::allreduce || op == Op::scan; }

std::vector<std::size_t> message_sizes(const BenchOptions& options) {
    std::vector<std::size_t> sizes = options.sizes;
    if (sizes.empty()) {
        for (std::size_t s = 1; s <= options.max_bytes; s *= 2) {
            if (s >= options.min_bytes) sizes.push_back(s);
            if (s > options.max_bytes / 2) break;
        }
        for (std::size_t s : kOddSizes)
            if (s >= options.min_bytes && s <= options.max_bytes) sizes.push_back(s);
    }
    std::sort(sizes.begin(), sizes.end());
    sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
    return sizes;
}

SizePlan plan_for(const BenchOptions& options, Op op, std::size_t bytes, int num_peers) {
    SizePlan plan;
    plan.op = op;
    plan.bytes = op == Op::barrier ? 0 : bytes;
    if (is_reduction(op)) plan.bytes = std::max<std::size_t>(1, bytes / sizeof(float)) * sizeof(float);

    const std::size_t n = static_cast<std::size_t>(num_peers);
    plan.in_bytes = op == Op::scatter ? n * plan.bytes : plan.bytes;
    plan.out_bytes = op == Op::gather || op == Op::allgather ? n * plan.bytes : plan.bytes;

    // A window of back-to-back messages, capped in bytes so big messages are
    // sent one at a time (then the 1-byte acknowledgement is noise).
    if (op == Op::bandwidth) {
        std::size_t fit = options.window_bytes / std::max<std::size_t>(plan.bytes, 1);
        plan.window = static_cast<int>(std::clamp<std::size_t>(fit, 1, static_cast<std::size_t>(options.window)));
    }

    // Small messages get --iterations; big ones move about --budget bytes.
    // Bandwidth iterations are windows and --iterations counts messages.
    const auto min_iterations = static_cast<std::size_t>(options.min_iterations);
    std::size_t most = static_cast<std::size_t>(options.iterations);
    if (op == Op::bandwidth) most = std::max(min_iterations, (most + plan.window - 1) / static_cast<std::size_t>(plan.window));
    std::size_t per_iteration = std::max<std::size_t>(plan.bytes, 1) * static_cast<std::size_t>(plan.window);
    std::size_t affordable = options.budget_bytes / per_iteration;
    plan.iterations = static_cast<int>(std::clamp<std::size_t>(affordable, min_iterations, most));
    plan.min_iterations = options.min_iterations;
    plan.max_seconds = options.max_seconds;
    plan.warmup = options.warmup ? *options.warmup : std::clamp(plan.iterations / 10, 1, 100);
    // Bandwidth: every window is a sample (the acknowledgement separates them).
    plan.batches = op == Op::bandwidth ? plan.iterations : std::min(options.batches, plan.iterations);

    if (is_point_to_point(op) && num_peers < 2) plan.skip = "needs at least 2 peers";
    else if (options.root >= num_peers && (op == Op::bcast || op == Op::gather || op == Op::scatter || op == Op::reduce))
        plan.skip = "root " + std::to_string(options.root) + " is not a peer of " + std::to_string(num_peers);
    else if (plan.in_bytes + plan.out_bytes > options.max_memory)
        plan.skip = "needs " + std::to_string(plan.in_bytes + plan.out_bytes) + " bytes of buffers per peer, more than --max-memory " +
                    std::to_string(options.max_memory);
    return plan;
}

void fit_to_time(SizePlan& plan, double seconds_per_iteration, double max_seconds) {
    if (seconds_per_iteration <= 0 || max_seconds <= 0) return;
    double affordable = std::floor(max_seconds / seconds_per_iteration);
    int iterations = affordable >= plan.iterations ? plan.iterations : static_cast<int>(affordable);
    iterations = std::max(iterations, std::min(plan.min_iterations, plan.iterations));
    if (iterations == plan.iterations) return;
    plan.iterations = iterations;
    plan.batches = plan.op == Op::bandwidth ? iterations : std::min(plan.batches, iterations);
}

std::vector<SizePlan> plan_run(const BenchOptions& options, int num_peers) {
    std::vector<SizePlan> plans;
    const std::vector<std::size_t> sizes = message_sizes(options);
    for (Op op : options.ops) {
        if (op == Op::barrier) {
            plans.push_back(plan_for(options, op, 0, num_peers));
            continue;
        }
        std::vector<std::size_t> seen;  // reductions round sizes; measure each once
        for (std::size_t bytes : sizes) {
            SizePlan plan = plan_for(options, op, bytes, num_peers);
            if (std::find(seen.begin(), seen.end(), plan.bytes) != seen.end()) continue;
            seen.push_back(plan.bytes);
            plans.push_back(plan);
        }
    }
    return plans;
}

}  // namespace fmibench
