// Writes a Config in our file format, the inverse of parse_config(): tools
// that produce configurations (fmi-calibrate writes the model section) and
// `fmirun --print-config` use it, and the tests check the round trip.
#pragma once

#include <fmi/config.hpp>

#include <string>

namespace fmi::detail {

/// Every field of `config` as a pretty-printed JSON document in our format
/// (rendezvous as rendezvous_host/rendezvous_port, an unset channel as null).
/// Secrets are written as they are: treat the output like the config file.
std::string config_to_json(const Config& config);

}  // namespace fmi::detail
