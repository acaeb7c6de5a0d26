// FMI_* environment variables: the table of configuration variables that
// apply_environment() (include/fmi/config.hpp) reads, the process variables
// fmirun sets, and the check that catches misspelled variables
// (FMI_REDIS_PROT), which getenv-style lookups alone would silently ignore.
// docs/configuration.md lists every variable.
#pragma once

#include "config/values.hpp"

#include <fmi/config.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace fmi::detail {

/// One configuration variable: its name, the config field it overrides (in
/// our file format's dotted notation) and how it is applied.
struct ConfigVariable {
    std::string_view name;
    std::string_view field;
    void (*apply)(Config& config, std::string_view value, const ValueSource& source);
};

/// Every configuration variable, in documentation order.
const std::vector<ConfigVariable>& config_variables();

/// FMI_* variables that are not configuration and never an error: the
/// process variables fmirun sets (FMI_PEER_ID, FMI_NUM_PEERS, FMI_COMM,
/// FMI_CONFIG) and the test-harness variables written by scripts/s3/start-rgw.sh
/// (FMI_S3_DNS_NAME, FMI_S3_RGW_DIR).
const std::vector<std::string_view>& non_config_variables();

/// Prefixes of FMI_* variables reserved for scripts, tests and benchmarks
/// (FMI_TEST_, FMI_BENCH_, FMI_BUILD_): never configuration, never an error.
const std::vector<std::string_view>& reserved_variable_prefixes();

/// The names of all variables of this process's environment that start with
/// "FMI_" (EnvLookup can only look names up; this lists them).
std::vector<std::string> fmi_environment_names();

/// Throws ConfigError naming the first variable of `names` that looks like a
/// configuration variable but is none: it starts with a section prefix
/// (FMI_DIRECT_, FMI_REDIS_, FMI_S3_, FMI_RENDEZVOUS) or is within two edits
/// of a known name. Other FMI_* names are left alone.
void check_environment_names(const std::vector<std::string>& names);

/// What a communicator or tool does at start-up: checks the names of the
/// process environment, then applies it (apply_environment).
void apply_process_environment(Config& config);

}  // namespace fmi::detail
