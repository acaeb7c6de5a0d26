// Calibration: measures the channels and returns the model section.
#pragma once

#include "options.hpp"

#include <fmi/communicator.hpp>

#include <string>

namespace fmi::calibrate {

/// The channels to measure: those asked for, else every enabled one.
std::vector<ChannelKind> channels_to_measure(const Communicator& comm, const Options& options);

/// Measures every channel; returns {"model": {...}} on peer 0 (empty elsewhere).
std::string calibrate(Communicator& comm, const Options& options);

/// Measures each (channel, op, size) and prints predicted against measured
/// times and the choices for each hint (markdown) on peer 0.
void verify(Communicator& comm, const Options& options);

}  // namespace fmi::calibrate
