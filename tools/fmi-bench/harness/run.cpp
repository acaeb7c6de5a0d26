#include "run.hpp"

#include "measure.hpp"

#include <chrono>
#include <cstring>
#include <iostream>
#include <optional>
#include <stdexcept>

namespace fmibench {

std::vector<Result> run_benchmarks(System& system, const BenchOptions& options, std::ostream& table) {
    const bool printing = system.rank() == 0 && !options.quiet;
    std::vector<SizePlan> plans = plan_run(options, system.size());
    for (SizePlan& plan : plans)
        if (plan.skip.empty() && !system.supports(plan.op)) plan.skip = "not implemented by " + system.name();
    Buffers buffers = buffers_for(plans);

    if (printing) print_table_header(table, system.name(), system.transport(), system.size());
    std::vector<Result> results;
    for (const SizePlan& plan : plans) {
        Result r;
        r.system = system.name();
        r.transport = system.transport();
        r.num_peers = system.size();
        r.plan = plan;
        if (plan.skip.empty()) {
            SizePlan timed = plan;
            if (options.check) {
                r.checked = check_once(system, plan, buffers, options.root);
                if (!*r.checked)
                    throw std::runtime_error(system.name() + " (" + system.transport() + ") computed a wrong " +
                                             to_string(plan.op) + " of " + std::to_string(plan.bytes) +
                                             " bytes at " + std::to_string(system.size()) + " peers");
                timed.warmup = std::max(0, plan.warmup - 1);  // the check was the first warm-up
            }
            // The warm-up also tells how long an iteration takes: slow
            // systems get fewer timed iterations (the same on every peer).
            fit_to_time(timed, warm_up(system, timed, buffers, options.root), timed.max_seconds);
            r.plan = timed;
            r.samples = time_batches(system, timed, buffers, options.root);
            r.time = summarize(r.samples);
        }
        if (printing) print_table_row(table, r);
        results.push_back(std::move(r));
    }
    return results;
}

namespace {

// Parses the options; returns an exit status when the program is done
// (--help printed, or bad options), nullopt to go on.
std::optional<int> parse_or_exit(int argc, char** argv, const std::string& program, const std::string& synopsis,
                                 const std::vector<ExtraOption>& extras, BenchOptions& options) {
    try {
        options = parse_options(std::vector<std::string>(argv + 1, argv + argc), extras);
    } catch (const OptionError& e) {
        std::cerr << program << ": " << e.what() << "\n";
        return 2;
    }
    if (options.help) {
        std::cout << usage(synopsis, extras);
        return 0;
    }
    return std::nullopt;
}

}  // namespace

std::vector<double> time_calls(SizePlan& plan, const std::function<void()>& once) {
    using Clock = std::chrono::steady_clock;
    auto start = Clock::now();
    for (int w = 0; w < plan.warmup; ++w) once();
    if (plan.warmup > 0)
        fit_to_time(plan, std::chrono::duration<double>(Clock::now() - start).count() / plan.warmup, plan.max_seconds);
    std::vector<double> samples;
    for (int batch = 0; batch < plan.batches; ++batch) {
        int count = plan.iterations / plan.batches + (batch < plan.iterations % plan.batches ? 1 : 0);
        auto start = Clock::now();
        for (int k = 0; k < count; ++k) once();
        samples.push_back(std::chrono::duration<double>(Clock::now() - start).count() / count);
    }
    return samples;
}

std::vector<SizePlan> single_process_plans(const BenchOptions& options, const std::vector<Op>& ops) {
    std::vector<SizePlan> plans;
    for (Op op : ops) {
        for (std::size_t bytes : message_sizes(options)) {
            SizePlan plan = plan_for(options, Op::bcast, bytes, 1);  // batches of back-to-back calls
            plan.op = op;
            plans.push_back(plan);
        }
    }
    return plans;
}

std::vector<Result> measure_single_process(const BenchOptions& options, const std::string& system,
                                           const std::string& transport, const std::vector<SizePlan>& plans,
                                           const SingleProcessSteps& steps) {
    Buffers buffers = buffers_for(plans);
    if (!options.quiet) print_table_header(std::cout, system, transport, 1);
    std::vector<Result> results;
    for (const SizePlan& plan : plans) {
        Result r{system, transport, 1, plan, {}, {}, {}};
        MutableBytes in = buffers.in(plan.bytes), out = buffers.out(plan.bytes);
        for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<std::byte>(i * 7 + 1);
        steps.round_trip(in, out);
        r.checked = std::memcmp(in.data(), out.data(), plan.bytes) == 0;
        r.samples = time_calls(r.plan, [&] { steps.timed(plan, in, out); });
        r.time = summarize(r.samples);
        if (!options.quiet) print_table_row(std::cout, r);
        results.push_back(std::move(r));
    }
    return results;
}

int single_process_main(int argc, char** argv, const std::string& program, const std::string& synopsis,
                        const std::vector<ExtraOption>& extras, const Measurer& measurer) {
    BenchOptions options;
    if (auto status = parse_or_exit(argc, argv, program, synopsis, extras, options)) return *status;
    try {
        RunInfo info = describe_host(program, argc, argv, options.label);
        std::vector<Result> results = measurer(options);
        info.load_after = load_average();
        if (!options.json_path.empty()) write_json(options.json_path, info, options, results);
        return 0;
    } catch (const std::exception& e) {
        std::cerr << program << ": " << e.what() << "\n";
        return 1;
    }
}

int benchmark_main(int argc, char** argv, const std::string& program, const std::string& synopsis,
                   const std::vector<ExtraOption>& extras, const Driver& driver) {
    BenchOptions options;
    if (auto status = parse_or_exit(argc, argv, program, synopsis, extras, options)) return *status;
    try {
        RunInfo info = describe_host(program, argc, argv, options.label);
        std::vector<Result> results;
        bool is_first_peer = false;
        driver(options, [&](System& system) {
            std::vector<Result> more = run_benchmarks(system, options, std::cout);
            results.insert(results.end(), more.begin(), more.end());
            is_first_peer = system.rank() == 0;
        });
        if (is_first_peer && !options.json_path.empty()) {
            info.load_after = load_average();
            write_json(options.json_path, info, options, results);
        }
        return 0;
    } catch (const OptionError& e) {
        std::cerr << program << ": " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << program << ": " << e.what() << "\n";
        return 1;
    }
}

}  // namespace fmibench
