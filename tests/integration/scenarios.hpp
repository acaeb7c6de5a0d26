#pragma once

#include <string>

namespace fmi_test {
/// Runs a named scenario; returns the process exit code.
int run_scenario(const std::string& name, int argc, char** argv);
}
