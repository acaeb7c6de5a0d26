// One peer of the multi-process tests. The scenario is the first argument;
// every scenario checks its own results against closed-form values (or a
// left-to-right reference fold) and exits 0 only if all checks passed or the
// expected typed error was raised. Started by fmirun or by the gtest harness.
#include <fmi/fmi.hpp>

#include "scenarios.hpp"

#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s <scenario> [args]\n", argv[0]);
        return 2;
    }
    std::string scenario = argv[1];
    try {
        return fmi_test::run_scenario(scenario, argc - 2, argv + 2);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "scenario %s: unexpected exception: %s\n", scenario.c_str(), e.what());
        return 1;
    }
}
