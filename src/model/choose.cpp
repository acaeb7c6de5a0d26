// The choice among channels: the least predicted time (hint fast) or price
// (hint cheap), optionally within a budget on the other quantity; a pinned
// channel always wins. Deterministic: every peer computes the same choice
// from the same parameters, so all peers of an operation meet on one channel.
#include <fmi/errors.hpp>
#include <fmi/model.hpp>

#include <algorithm>
#include <cstdio>
#include <sstream>

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

}  // namespace

Explanation choose(const Params& params, const std::vector<ChannelKind>& available, const Request& request,
                   Hint hint, const Budget& budget, std::optional<ChannelKind> pinned) {
    if (available.empty()) throw ConfigError("channels", "no channel is enabled (enable direct, redis or s3)");
    Explanation e;
    e.request = request;
    e.hint = hint;
    e.budget = budget;
    for (ChannelKind kind : available) {
        Candidate c{kind, predict(params, kind, request), true};
        c.within_budget = within(c.prediction, budget);
        e.candidates.push_back(std::move(c));
    }
    if (pinned) {
        if (std::find(available.begin(), available.end(), *pinned) == available.end())
            throw ConfigError("pin", std::string("channel '") + to_string(*pinned) + "' pinned for " +
                                         to_string(request.op) + " is not enabled");
        e.chosen = *pinned;
        e.reason = "pinned";
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
    out << fmi::to_string(request.op) << " of " << request.bytes << " B at " << request.peers
        << " peers, hint " << fmi::to_string(hint);
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
        if (c.channel == chosen) out << "  <- chosen";
    }
    return out.str();
}

}  // namespace fmi::model
