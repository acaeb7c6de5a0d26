// --verify: each (channel, operation, size) measured with the communicator
// pinned to the channel, beside the model's prediction; then, per operation
// and size, the measured fastest channel and what each hint chooses.
#include "calibrate.hpp"
#include "measure.hpp"

#include <fmi/model.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>

namespace fmi::calibrate {

namespace {

/// The model's prediction for channel `kind` (none when it is no candidate).
model::Prediction prediction_for(const Communicator& comm, ChannelKind kind, Operation op, std::size_t bytes) {
    for (const model::Candidate& c : comm.explain(op, bytes).candidates)
        if (c.channel == kind) return c.prediction;
    return {};
}

const char* name_of(ChannelKind k) { return to_string(k); }

}  // namespace

void verify(Communicator& comm, const Options& options) {
    const int n = comm.num_peers();
    const bool root = comm.peer_id() == 0;
    const std::vector<ChannelKind> channels = channels_to_measure(comm, options);
    std::size_t largest = 8;
    for (std::size_t s : options.sizes) largest = std::max(largest, s);
    Buffers buf(largest, largest * static_cast<std::size_t>(n));
    const Hint saved = comm.hint();

    // measured[(op, size)][channel]
    std::map<std::pair<Operation, std::size_t>, std::map<ChannelKind, double>> measured;
    if (root) {
        std::printf("| channel | operation | peers | bytes | algorithm | predicted ms | measured ms | error |\n");
        std::printf("|---|---|---|---|---|---|---|---|\n");
    }
    // Sizes ascending, every operation at each size, as benchmarks sweep:
    // a store slowed by the cleanup of the largest objects then slows only
    // the largest cases (right after 16 MiB sends, an 8-byte S3 allreduce
    // at 4 peers took 42 ms on Ceph; alone, 27 ms).
    std::vector<std::size_t> sizes = options.sizes;
    std::stable_sort(sizes.begin(), sizes.end());
    for (ChannelKind kind : channels) {
        for (std::size_t bytes : sizes) {
            for (Operation op : options.ops) {
                comm.pin(std::nullopt);
                const model::Prediction prediction = prediction_for(comm, kind, op, bytes);
                const double p = prediction.seconds;
                const std::string& algorithm = prediction.algorithm;
                // Repetitions from the prediction, so every peer agrees on them.
                const int reps = reps_per_batch(op, p, options.batch_seconds, options.max_reps);
                comm.pin(kind);
                const double m = time_operation(comm, op, bytes, Timing{reps, options.batches, std::max(1, reps / 4)}, buf);
                measured[{op, bytes}][kind] = m;
                if (root) {
                    std::printf("| %s | %s | %d | %zu | %s | %.4g | %.4g | %+.0f%% |\n", name_of(kind), to_string(op), n,
                                bytes, algorithm.c_str(), p * 1e3, m * 1e3, (p - m) / m * 100);
                    std::fflush(stdout);
                }
            }
        }
    }
    comm.pin(std::nullopt);
    if (root) {
        std::printf("\n| operation | peers | bytes | measured fastest | hint fast chooses | hint cheap chooses | predicted price per channel |\n");
        std::printf("|---|---|---|---|---|---|---|\n");
    }
    for (const auto& [key, times] : measured) {
        auto fastest = std::min_element(times.begin(), times.end(),
                                        [](const auto& a, const auto& b) { return a.second < b.second; });
        comm.hint(Hint::fast);
        model::Explanation fast = comm.explain(key.first, key.second);
        comm.hint(Hint::cheap);
        model::Explanation cheap = comm.explain(key.first, key.second);
        if (!root) continue;
        std::string prices;
        for (const model::Candidate& c : cheap.candidates) {
            char text[64];
            std::snprintf(text, sizeof text, "%s%s $%.3g", prices.empty() ? "" : ", ", name_of(c.channel),
                          c.prediction.dollars());
            prices += text;
        }
        std::printf("| %s | %d | %zu | %s | %s | %s | %s |\n", to_string(key.first), n, key.second,
                    name_of(fastest->first), name_of(fast.chosen), name_of(cheap.chosen), prices.c_str());
    }
    comm.hint(saved);
    if (root) std::fflush(stdout);
}

}  // namespace fmi::calibrate
