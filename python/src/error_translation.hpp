// Turns the C++ error hierarchy (include/fmi/errors.hpp) into the Python one
// (python/fmi/errors.py), keeping the structured fields (peer, sizes,
// elapsed and allowed time, config field) as attributes.
#pragma once

namespace fmi::python {

/// Registers the pybind11 exception translator; call once at module init.
void register_error_translator();

}  // namespace fmi::python
