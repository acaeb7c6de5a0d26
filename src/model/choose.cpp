// The choice among channels: the least predicted time (hint fast) or price
// (hint cheap), optionally within a budget on the other quantity; a pinned
// channel always wins. An algorithm asked for narrows the candidates to the
// channels that can run it. Deterministic: every peer computes the same choice
// from the same parameters, so all peers of an operation meet on one channel.
#include "model/algorithm_list.hpp"

#include <fmi/errors.hpp>
#include <fmi/model.hpp>

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

namespace fmi::model {

namespace {

std::string format(const char* fmt, double value) {
    char buf[64];
    std::snprintf(buf, sizeof buf, fmt, value);
    return buf;
}

bool within(const Prediction& p, const Budget& b) {
    if (b.max_seconds > 0 && p.seconds > b.max_seconds) return false;
    if (b.max_dollars > 0 && p.dollars() > b.max_dollars) return false;
    return true;
}

/// "allreduce of 8 B at 4 peers", the start of every message about a request.
std::string describe(const Request& r) {
    return std::string(to_string(r.op)) + " of " + std::to_string(r.bytes) + " B at " + std::to_string(r.peers) +
           " peers";
}

/// The channels, enabled or not, that run `algorithm` for `op` at all.
std::string on_channels(Operation op, const std::string& algorithm) {
    const std::vector<ChannelKind> kinds = channels_running(op, algorithm);
    return kinds.empty() ? "no channel" : channel_names(kinds, ", ");
}

/// With an algorithm asked for: the pinned channel must run it, and some
/// enabled channel must (UsageError otherwise; every peer fails alike, before
/// anything is sent).
void check_algorithm_runs(const Explanation& e, std::optional<ChannelKind> pinned) {
    const Request& r = e.request;
    const std::string runs_on = "'" + r.algorithm + "' runs on " + on_channels(r.op, r.algorithm);
    for (const Exclusion& x : e.excluded)
        if (pinned && x.channel == *pinned)
            throw UsageError(describe(r) + ": algorithm '" + r.algorithm + "' is pinned with channel " +
                             to_string(x.channel) + ", but " + x.reason + " (" + runs_on + ")");
    if (!e.candidates.empty()) return;
    std::string reasons;
    for (const Exclusion& x : e.excluded) reasons += (reasons.empty() ? "" : "; ") + x.reason;
    throw UsageError(describe(r) + ": no enabled channel can run the pinned algorithm '" + r.algorithm + "' (" +
                     reasons + "); " + runs_on);
}

/// What runs instead of an algorithm asked for, for the functions it is not
/// correct for (the peer-to-peer algorithms that regroup or reorder).
const char* caveat(ChannelKind kind, Operation op) {
    if (kind != ChannelKind::direct) return nullptr;  // the stores' algorithms fold in peer order when needed
    switch (op) {
        case Operation::allreduce:
        case Operation::reduce: return "functions not both commutative and associative run ordered instead";
        case Operation::scan: return "non-associative functions run linear instead";
        default: return nullptr;
    }
}

}  // namespace

Explanation choose(const Params& params, const std::vector<ChannelKind>& available, const Request& request,
                   Hint hint, const Budget& budget, std::optional<ChannelKind> pinned) {
    if (available.empty()) throw ConfigError("channels", "no channel is enabled (enable direct, redis or s3)");
    if (pinned && std::find(available.begin(), available.end(), *pinned) == available.end())
        throw ConfigError("pin", std::string("channel '") + to_string(*pinned) + "' pinned for " +
                                     to_string(request.op) + " is not enabled");
    Explanation e;
    e.request = request;
    e.hint = hint;
    e.budget = budget;
    for (ChannelKind kind : available) {
        if (std::string why = cannot_run(kind, request); !why.empty()) {
            e.excluded.push_back(Exclusion{kind, std::move(why)});
            continue;
        }
        Candidate c{kind, predict(params, kind, request), true};
        c.within_budget = within(c.prediction, budget);
        e.candidates.push_back(std::move(c));
    }
    if (!request.algorithm.empty()) check_algorithm_runs(e, pinned);
    if (pinned) {
        e.chosen = *pinned;
        e.reason = "pinned";
        return e;
    }
    if (!request.algorithm.empty() && e.candidates.size() == 1) {
        e.chosen = e.candidates[0].channel;
        e.reason = "the only enabled channel that runs " + request.algorithm;
        return e;
    }
    auto key = [&](const Candidate& c) {
        return hint == Hint::fast ? c.prediction.seconds : c.prediction.dollars();
    };
    const Candidate* best = nullptr;
    for (const Candidate& c : e.candidates)
        if (c.within_budget && (!best || key(c) < key(*best))) best = &c;
    const char* objective = hint == Hint::fast ? "least predicted time" : "least predicted price";
    if (best) {
        e.chosen = best->channel;
        e.reason = objective;
        if (budget.max_seconds > 0 || budget.max_dollars > 0) e.reason += " within the budget";
        return e;
    }
    // Nothing meets the budget: the candidate that comes closest to it
    // (least over in the budgeted quantity), so the job still runs.
    auto over = [&](const Candidate& c) {
        double o = 0;
        if (budget.max_seconds > 0) o = std::max(o, c.prediction.seconds / budget.max_seconds);
        if (budget.max_dollars > 0) o = std::max(o, c.prediction.dollars() / budget.max_dollars);
        return o;
    };
    best = &*std::min_element(e.candidates.begin(), e.candidates.end(),
                              [&](const Candidate& x, const Candidate& y) { return over(x) < over(y); });
    e.chosen = best->channel;
    e.reason = "no channel within the budget; the closest to it";
    return e;
}

std::string Explanation::to_string() const {
    std::ostringstream out;
    out << describe(request);
    if (!request.algorithm.empty()) out << ", algorithm " << request.algorithm;
    out << ", hint " << fmi::to_string(hint);
    if (budget.max_seconds > 0) out << ", max " << format("%.3g", budget.max_seconds) << " s";
    if (budget.max_dollars > 0) out << ", max $" << format("%.3g", budget.max_dollars);
    out << ": " << fmi::to_string(chosen) << " (" << reason << ")";
    for (const Candidate& c : candidates) {
        out << "\n  " << fmi::to_string(c.channel) << " " << c.prediction.algorithm << ": "
            << format("%.4g", c.prediction.seconds * 1e3) << " ms, $" << format("%.4g", c.prediction.dollars())
            << " (requests $" << format("%.3g", c.prediction.request_dollars) << ", infrastructure $"
            << format("%.3g", c.prediction.infrastructure_dollars) << ", FaaS $"
            << format("%.3g", c.prediction.faas_dollars) << ", transfer $"
            << format("%.3g", c.prediction.transfer_dollars) << ")";
        if (c.prediction.requests > 0) out << ", " << format("%.4g", c.prediction.requests) << " requests";
        if (!c.within_budget) out << ", over budget";
        if (!request.algorithm.empty())
            if (const char* note = caveat(c.channel, request.op)) out << "; " << note;
        if (c.channel == chosen) out << "  <- chosen";
    }
    for (const Exclusion& x : excluded) out << "\n  " << fmi::to_string(x.channel) << ": left out: " << x.reason;
    return out.str();
}

}  // namespace fmi::model
