// One peer of the extremes test: measures send/recv and allreduce at a tiny
// and a huge size on every enabled channel (the communicator pinned to each),
// then checks the model's choices (calibrated parameters from FMI_MODEL):
//  - hint fast must choose the measured fastest channel, unless the fastest
//    two measured within 30% of each other (noise on a shared 2-core host:
//    then either is accepted);
//  - hint cheap must choose the channel of least predicted price, recomputed
//    here from the public model with the same parameters.
// Peer 0 prints one line per case and exits 1 on a wrong choice.
#include <fmi/communicator.hpp>
#include <fmi/model.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double slowest(fmi::Communicator& comm, double v) { return comm.allreduce(v, fmi::Op::max); }

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

/// Seconds per operation: median of 3 batches, each the slowest peer's mean.
double measure(fmi::Communicator& comm, fmi::Operation op, std::size_t bytes, int reps, std::vector<float>& in,
               std::vector<float>& out) {
    std::span<const float> src(in.data(), bytes / sizeof(float));
    std::span<float> dst(out.data(), bytes / sizeof(float));
    std::vector<double> batches;
    for (int b = 0; b < 3; ++b) {
        comm.barrier();
        auto start = Clock::now();
        for (int i = 0; i < reps; ++i) {
            if (op == fmi::Operation::allreduce) {
                comm.allreduce(src, dst, fmi::Op::sum);
            } else if (comm.peer_id() == 0) {
                comm.send(src, 1);
                comm.recv(dst, 1);
            } else if (comm.peer_id() == 1) {
                comm.recv(dst, 0);
                comm.send(src, 0);
            }
        }
        double per_op = std::chrono::duration<double>(Clock::now() - start).count() / reps;
        if (op == fmi::Operation::send) per_op /= 2;  // half a round trip
        batches.push_back(slowest(comm, per_op));
    }
    return median(batches);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        std::size_t huge = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : (16u << 20);
        fmi::Communicator comm = fmi::Communicator::from_environment();
        const bool root = comm.peer_id() == 0;
        std::vector<fmi::ChannelKind> channels;
        if (comm.config().direct.enabled) channels.push_back(fmi::ChannelKind::direct);
        if (comm.config().redis.enabled) channels.push_back(fmi::ChannelKind::redis);
        if (comm.config().s3.enabled) channels.push_back(fmi::ChannelKind::s3);
        std::vector<float> in(huge / sizeof(float), 1.0f), out(huge / sizeof(float), 0.0f);
        int failures = 0;
        for (fmi::Operation op : {fmi::Operation::send, fmi::Operation::allreduce}) {
            for (std::size_t bytes : {std::size_t{8}, huge}) {
                std::map<fmi::ChannelKind, double> measured;
                comm.pin(std::nullopt);
                fmi::model::Explanation why = comm.explain(op, bytes);
                for (fmi::ChannelKind kind : channels) {
                    double predicted = 0;
                    for (const auto& c : why.candidates)
                        if (c.channel == kind) predicted = c.prediction.seconds;
                    int reps = static_cast<int>(std::clamp(0.05 / std::max(predicted, 1e-6), 1.0, 100.0));
                    comm.pin(kind);
                    measured[kind] = measure(comm, op, bytes, reps, in, out);
                }
                comm.pin(std::nullopt);
                std::vector<std::pair<double, fmi::ChannelKind>> order;
                for (auto [kind, t] : measured) order.push_back({t, kind});
                std::sort(order.begin(), order.end());
                const bool clear = order.size() < 2 || order[1].first > 1.3 * order[0].first;

                comm.hint(fmi::Hint::fast);
                fmi::ChannelKind fast = comm.explain(op, bytes).chosen;
                comm.hint(fmi::Hint::cheap);
                fmi::model::Explanation cheap = comm.explain(op, bytes);
                // the cheapest recomputed from the public model
                fmi::ChannelKind cheapest = channels.front();
                double least = 1e300;
                for (const auto& c : cheap.candidates) {
                    fmi::model::Request r{op, bytes, comm.num_peers(), comm.config().faas_memory_mib};
                    fmi::model::Section section = fmi::model::parse_section(comm.config().model_json);
                    double d = fmi::model::predict(section.params, c.channel, r).dollars();
                    if (d < least) least = d, cheapest = c.channel;
                }
                const bool fast_ok = fast == order[0].second || (!clear && fast == order[1].second);
                const bool cheap_ok = cheap.chosen == cheapest;
                if (root) {
                    std::printf("%s %zu B at %d peers: measured", fmi::to_string(op), bytes, comm.num_peers());
                    for (auto [t, kind] : order) std::printf(" %s %.4g ms", fmi::to_string(kind), t * 1e3);
                    std::printf("; fast chose %s%s; cheap chose %s (computed cheapest %s)%s\n", fmi::to_string(fast),
                                clear ? "" : " (fastest two within 30%)", fmi::to_string(cheap.chosen),
                                fmi::to_string(cheapest), fast_ok && cheap_ok ? "" : "  WRONG");
                }
                failures += !(fast_ok && cheap_ok);
            }
        }
        // The summary: every (channel, operation) used, with predictions.
        for (const fmi::OperationStats& st : comm.statistics()) {
            if (st.operation == "allreduce" && (st.count == 0 || !(st.predicted_seconds > 0) || !(st.seconds > 0))) {
                std::fprintf(stderr, "statistics of %s allreduce lack counts or predictions\n", st.channel.c_str());
                ++failures;
            }
        }
        if (root) {
            std::string summary = comm.summary();
            std::printf("%s", summary.c_str());
            for (fmi::ChannelKind kind : channels)
                if (summary.find(std::string(fmi::to_string(kind)) + " ") == std::string::npos) ++failures;
        }
        comm.finalize();
        return failures == 0 ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "extremes_peer: %s\n", e.what());
        return 2;
    }
}
