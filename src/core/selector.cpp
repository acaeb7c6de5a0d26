#include "core/selector.hpp"

#include "model/algorithm_list.hpp"

#include <fmi/errors.hpp>

#include <algorithm>
#include <string>

namespace fmi::detail {

Operation to_operation(OpKind op) noexcept {
    switch (op) {
        case OpKind::send: return Operation::send;
        case OpKind::bcast: return Operation::bcast;
        case OpKind::barrier: return Operation::barrier;
        case OpKind::gather: return Operation::gather;
        case OpKind::scatter: return Operation::scatter;
        case OpKind::allgather: return Operation::allgather;
        case OpKind::reduce: return Operation::reduce;
        case OpKind::allreduce: return Operation::allreduce;
        case OpKind::scan: return Operation::scan;
    }
    return Operation::send;
}

Selector::Selector(std::vector<ChannelKind> available, const Config& config, int peers)
    : available_(std::move(available)), peers_(peers), faas_memory_mib_(config.faas_memory_mib) {
    if (available_.empty()) throw ConfigError("channels", "no channel is enabled (enable direct, redis or s3)");
    model::Section section = model::parse_section(config.model_json, "the model section");
    params_ = std::move(section.params);
    // The switch points the channels will use, so the model predicts the
    // algorithm that really runs.
    params_.limits.redis_chunk_bytes = config.redis.chunk_bytes;
    params_.limits.s3_multipart_bytes = config.s3.multipart_threshold;
    params_.limits.s3_parallel_transfers = config.s3.parallel_transfers;
    for (const auto& [op, kind] : section.pins) pin(op, kind);
    for (const auto& [op, algorithm] : section.algorithm_pins) {
        if (std::string problem = algorithm_problem(op, algorithm); !problem.empty())
            throw ConfigError(std::string("pin.") + to_string(op), problem);
        algorithm_pins_[op] = algorithm;
    }
    budget_ = section.budget;
    check_available(config.channel, "channel");
    pin_all_ = config.channel;
}

void Selector::check_available(std::optional<ChannelKind> channel, const char* what) const {
    if (channel && std::find(available_.begin(), available_.end(), *channel) == available_.end())
        throw ConfigError(what, std::string("pinned channel '") + to_string(*channel) + "' is not enabled");
}

void Selector::pin(Operation op, std::optional<ChannelKind> channel) {
    check_available(channel, (std::string("pin.") + to_string(op)).c_str());
    if (channel) pins_[op] = *channel;
    else pins_.erase(op);
    forget_choices();
}

void Selector::pin_all(std::optional<ChannelKind> channel) {
    check_available(channel, "channel");
    pin_all_ = channel;
    forget_choices();
}

std::string Selector::algorithm_problem(Operation op, const std::string& algorithm) const {
    const std::vector<std::string> known = model::algorithms(op);
    if (std::find(known.begin(), known.end(), algorithm) == known.end())
        return "unknown algorithm '" + algorithm + "' for " + to_string(op) + " (" + model::algorithm_list(op) + ")";
    const std::vector<ChannelKind> runs_on = model::channels_running(op, algorithm);
    for (ChannelKind kind : runs_on)
        if (std::find(available_.begin(), available_.end(), kind) != available_.end()) return {};
    return std::string(to_string(op)) + " by " + algorithm + " runs on " + model::channel_names(runs_on, " and ") +
           ", which is not enabled";
}

void Selector::pin_algorithm(Operation op, std::optional<std::string> algorithm) {
    if (algorithm) {
        if (std::string problem = algorithm_problem(op, *algorithm); !problem.empty())
            throw UsageError("pin_algorithm: " + problem);
        algorithm_pins_[op] = std::move(*algorithm);
    } else {
        algorithm_pins_.erase(op);
    }
    forget_choices();
}

const model::Explanation& Selector::explain(Operation op, std::size_t bytes, Hint hint) const {
    std::optional<LastChoice>& last = last_[static_cast<std::size_t>(op)];
    if (last && last->bytes == bytes && last->hint == hint) return last->explanation;
    std::optional<ChannelKind> pinned = pin_all_;
    if (auto it = pins_.find(op); it != pins_.end()) pinned = it->second;
    model::Request request{op, bytes, peers_, faas_memory_mib_};
    if (auto it = algorithm_pins_.find(op); it != algorithm_pins_.end()) request.algorithm = it->second;
    last = LastChoice{bytes, hint, model::choose(params_, available_, request, hint, budget_, pinned)};
    return last->explanation;
}

}  // namespace fmi::detail
