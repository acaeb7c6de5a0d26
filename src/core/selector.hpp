// Chooses the channel of each operation with the performance and cost model
// (include/fmi/model.hpp, docs/model.md): a pinned channel if the user or the
// configuration pins one (per operation first, then globally), else the
// channel with the least predicted time (hint fast) or price (hint cheap),
// within the budget if one is set. An operation's pinned algorithm narrows
// the candidates to the channels that run it, and is what the chosen channel
// runs (Explanation::request.algorithm, passed on in OpContext::algorithm). Every peer holds the same parameters and
// computes the same choice, so the peers of an operation meet on one channel.
#pragma once

#include "core/op_kind.hpp"

#include <fmi/config.hpp>
#include <fmi/model.hpp>

#include <array>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fmi::detail {

/// The public name of an internal operation kind.
Operation to_operation(OpKind op) noexcept;

class Selector {
public:
    /// `config` gives the model section, the global pin and the algorithms'
    /// switch points; `peers` is the communicator's size.
    Selector(std::vector<ChannelKind> available, const Config& config, int peers);

    /// Every candidate with its prediction, and the choice. The reference
    /// stays valid until the next call for the same operation.
    const model::Explanation& explain(Operation op, std::size_t bytes, Hint hint) const;

    /// The channel for one operation of `bytes` payload bytes per peer.
    ChannelKind choose(OpKind op, std::size_t bytes, Hint hint) const {
        return explain(to_operation(op), bytes, hint).chosen;
    }

    /// Pins one operation (nullopt: back to the configuration's pin or the model).
    void pin(Operation op, std::optional<ChannelKind> channel);
    /// Pins every operation without a per-operation pin (nullopt: none).
    void pin_all(std::optional<ChannelKind> channel);
    /// Pins the algorithm of one operation (a name of model::algorithms(op);
    /// nullopt: each channel's automatic choice). A name no enabled channel
    /// runs for `op` is a UsageError.
    void pin_algorithm(Operation op, std::optional<std::string> algorithm);
    void budget(const model::Budget& b) {
        budget_ = b;
        forget_choices();
    }
    const model::Budget& budget() const noexcept { return budget_; }

    const model::Params& params() const noexcept { return params_; }
    const std::vector<ChannelKind>& available() const noexcept { return available_; }

private:
    void check_available(std::optional<ChannelKind> channel, const char* what) const;
    /// What is wrong with pinning `algorithm` for `op` (empty: nothing).
    std::string algorithm_problem(Operation op, const std::string& algorithm) const;
    void forget_choices() noexcept {
        for (auto& entry : last_) entry.reset();
    }

    /// The last choice per operation. Jobs repeat an operation on one size,
    /// and a choice evaluates the model once per channel (about 1 us) on a
    /// path where an 8-byte allreduce takes about 6 us. Pins (of channels
    /// and of algorithms) and the budget are the only other inputs; changing
    /// them forgets every choice.
    struct LastChoice {
        std::size_t bytes;
        Hint hint;
        model::Explanation explanation;
    };
    mutable std::array<std::optional<LastChoice>, static_cast<std::size_t>(Operation::scan) + 1> last_;

    std::vector<ChannelKind> available_;
    model::Params params_;
    std::map<Operation, ChannelKind> pins_;
    std::optional<ChannelKind> pin_all_;
    std::map<Operation, std::string> algorithm_pins_;
    model::Budget budget_;
    int peers_;
    std::size_t faas_memory_mib_;
};

}  // namespace fmi::detail
