#include "options.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <sstream>

namespace fmibench {

namespace {

int parse_int(const std::string& option, const std::string& text, int min_value, int max_value) {
    int value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size())
        throw OptionError(option + ": expected an integer, got '" + text + "'");
    if (value < min_value || value > max_value)
        throw OptionError(option + ": must be between " + std::to_string(min_value) + " and " +
                          std::to_string(max_value) + " (got " + text + ")");
    return value;
}

std::size_t parse_size_option(const std::string& option, const std::string& text) {
    try {
        return parse_size(text);
    } catch (const OptionError& e) {
        throw OptionError(option + ": " + e.what());
    }
}

}  // namespace

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> parts;
    std::string part;
    std::istringstream in(text);
    while (std::getline(in, part, ',')) parts.push_back(part);
    if (parts.empty() || text.back() == ',') parts.push_back("");  // "8," is an error to the caller
    return parts;
}

const std::vector<Op>& all_ops() {
    static const std::vector<Op> ops{Op::pingpong, Op::bandwidth, Op::barrier, Op::bcast,    Op::gather,
                                     Op::scatter,  Op::allgather, Op::reduce,  Op::allreduce, Op::scan};
    return ops;
}

Op parse_op(const std::string& name) {
    for (Op op : all_ops())
        if (name == to_string(op)) return op;
    std::string known;
    for (Op op : all_ops()) known += std::string(known.empty() ? "" : ", ") + to_string(op);
    throw OptionError("--op: unknown operation '" + name + "' (known: " + known + ", all)");
}

std::size_t parse_size(const std::string& text) {
    std::size_t value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || ptr == text.data())
        throw OptionError("expected a size in bytes such as 8, 64K or 16MiB, got '" + text + "'");
    std::string unit(ptr, text.data() + text.size());
    std::size_t multiplier = 1;
    if (unit.empty() || unit == "B") multiplier = 1;
    else if (unit == "K" || unit == "k" || unit == "KiB") multiplier = KiB;
    else if (unit == "M" || unit == "MiB") multiplier = MiB;
    else if (unit == "G" || unit == "GiB") multiplier = 1024 * MiB;
    else throw OptionError("unknown unit '" + unit + "' in size '" + text + "' (use B, K, M or G: powers of 1024)");
    if (value > std::numeric_limits<std::size_t>::max() / multiplier)
        throw OptionError("size '" + text + "' is too large");
    return value * multiplier;
}

BenchOptions parse_options(const std::vector<std::string>& args, const std::vector<ExtraOption>& extras) {
    BenchOptions o;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string name = args[i];
        std::optional<std::string> attached;
        if (auto eq = name.find('='); name.starts_with("--") && eq != std::string::npos) {
            attached = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        auto value = [&]() -> std::string {
            if (attached) return *attached;
            if (i + 1 >= args.size()) throw OptionError(name + ": missing value");
            return args[++i];
        };
        auto flag = [&]() {
            if (attached) throw OptionError(name + ": takes no value (got '" + *attached + "')");
        };

        if (name == "-h" || name == "--help") {
            flag();
            o.help = true;
        } else if (name == "--op") {
            o.ops.clear();
            for (const std::string& part : split_list(value())) {
                if (part == "all") {
                    for (Op op : all_ops()) o.ops.push_back(op);
                } else {
                    o.ops.push_back(parse_op(part));
                }
            }
        } else if (name == "--sizes") {
            o.sizes.clear();
            for (const std::string& part : split_list(value())) o.sizes.push_back(parse_size_option(name, part));
        } else if (name == "--min") {
            o.min_bytes = parse_size_option(name, value());
        } else if (name == "--max") {
            o.max_bytes = parse_size_option(name, value());
        } else if (name == "--iterations" || name == "--iters") {
            o.iterations = parse_int(name, value(), 1, 100'000'000);
        } else if (name == "--min-iterations") {
            o.min_iterations = parse_int(name, value(), 1, 100'000'000);
        } else if (name == "--max-time") {
            std::string text = value();
            double seconds = -1;
            auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
            if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || !(seconds >= 0) ||
                seconds > 86400)
                throw OptionError("--max-time: expected seconds between 0 and 86400, got '" + text + "'");
            o.max_seconds = seconds;
        } else if (name == "--budget") {
            o.budget_bytes = parse_size_option(name, value());
        } else if (name == "--warmup") {
            o.warmup = parse_int(name, value(), 0, 100'000'000);
        } else if (name == "--batches") {
            o.batches = parse_int(name, value(), 1, 1'000'000);
        } else if (name == "--window") {
            o.window = parse_int(name, value(), 1, 1'000'000);
        } else if (name == "--window-bytes") {
            o.window_bytes = parse_size_option(name, value());
        } else if (name == "--root") {
            o.root = parse_int(name, value(), 0, 1'000'000);
        } else if (name == "--max-memory") {
            o.max_memory = parse_size_option(name, value());
        } else if (name == "--no-check") {
            flag();
            o.check = false;
        } else if (name == "--json") {
            o.json_path = value();
            if (o.json_path.empty()) throw OptionError("--json: missing file name");
        } else if (name == "--label") {
            o.label = value();
        } else if (name == "--quiet") {
            flag();
            o.quiet = true;
        } else {
            auto extra = std::find_if(extras.begin(), extras.end(), [&](const ExtraOption& e) { return e.name == name; });
            if (extra == extras.end()) throw OptionError("unknown option '" + args[i] + "' (see --help)");
            if (extra->value_name.empty()) {
                flag();
                extra->apply("");
            } else {
                extra->apply(value());
            }
        }
    }
    if (o.ops.empty()) o.ops = all_ops();
    if (o.min_bytes > o.max_bytes)
        throw OptionError("--min (" + std::to_string(o.min_bytes) + " bytes) is larger than --max (" +
                          std::to_string(o.max_bytes) + " bytes)");
    if (o.min_iterations > o.iterations) o.min_iterations = o.iterations;
    if (o.budget_bytes == 0) throw OptionError("--budget: must be at least 1 byte");
    if (o.window_bytes == 0) throw OptionError("--window-bytes: must be at least 1 byte");
    return o;
}

std::string usage(const std::string& synopsis, const std::vector<ExtraOption>& extras) {
    std::string text = synopsis + R"(
Measures, OSU-style, point-to-point latency (ping-pong: half a round trip),
streaming bandwidth (a window of sends, then a 1-byte acknowledgement) and
collectives (back-to-back operations after a barrier; the slowest peer's
mean per operation), over message sizes, and prints medians and p10/p90.

Options:
  --op LIST           operations, comma-separated: pingpong, bandwidth, barrier,
                      bcast, gather, scatter, allgather, reduce, allreduce,
                      scan, or all (default: all)
  --sizes LIST        message sizes, comma-separated: 8,1K,64K,1M,16M,64M
                      (K, M, G are powers of 1024). Default: the powers of two
                      from --min to --max plus odd sizes (3, 1000, 99999,
                      1000003, 20000005) in that range
  --min SIZE          smallest size (default 1)
  --max SIZE          largest size (default 64M)
  --iterations N      timed iterations per size (default 1000); sizes above
                      --budget / N bytes get --budget / size, at least
                      --min-iterations (default 5); --iters N is the same
  --budget SIZE       bytes a size moves in its timed iterations (default 128M)
  --max-time SECONDS  cut the timed iterations of a size to about this long,
                      as estimated from the warm-up (default 2; 0: no limit);
                      bandwidth iterations are windows, --iterations counts
                      their messages
  --warmup N          untimed iterations first (default: a tenth of the timed
                      ones, 1..100)
  --batches N         timed iterations are split into N batches, each after a
                      barrier; each gives one sample (default 20)
  --window N          messages per bandwidth window (default 64), capped so a
                      window moves at most --window-bytes (default 16M)
  --root R            root of bcast, gather, scatter and reduce (default 0)
  --max-memory SIZE   skip sizes needing more buffer memory per peer (1G)
  --no-check          do not check results (by default the first warmup
                      iteration runs on known data and every peer checks it)
  --json FILE         write the results as JSON (docs/performance.md)
  --label TEXT        free text recorded in the JSON
  --quiet             no table on standard output
  -h, --help          this help
)";
    if (!extras.empty()) {
        text += "\nOptions of this program:\n";
        for (const ExtraOption& e : extras) {
            std::string left = "  " + e.name + (e.value_name.empty() ? "" : " " + e.value_name);
            if (left.size() < 22) left.resize(22, ' ');
            else left += "\n" + std::string(22, ' ');
            text += left + e.help + "\n";
        }
    }
    text += R"(
Reductions sum floats (sizes are rounded down to whole floats, at least one).
Gather, scatter and allgather sizes are per peer (MPI's convention).
)";
    return text;
}

}  // namespace fmibench
