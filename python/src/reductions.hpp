// Reductions for the Python package: the C++ built-ins for numpy's native
// element types, and Python callables wrapped as an fmi::ReduceFn.
#pragma once

#include <fmi/ops.hpp>

#include <pybind11/pybind11.h>

#include <cstddef>
#include <optional>
#include <string>

namespace fmi::python {

/// Parses a built-in op name ("sum", "bit_xor", ...); UsageError if unknown.
Op parse_op(const std::string& name);

/// The C++ kernel of a built-in op for a numpy element type given by its
/// kind ('b' bool, 'i' signed, 'u' unsigned, 'f' floating) and item size.
/// nullopt when the element type has no native kernel (float16, complex,
/// non-native byte order, ...): the package then uses a numpy kernel.
/// Throws UsageError for a bitwise op on a floating type.
std::optional<ReduceFn> native_reduce(Op op, char kind, std::size_t itemsize);

/// A ReduceFn that calls `kernel(left, right, out)` on numpy views of the
/// operands (1-D arrays of `dtype`, left and right read-only), with the GIL
/// held during the call and released around it by the caller of the
/// operation. A Python exception in the kernel propagates out of the
/// operation unchanged (as pybind11::error_already_set).
ReduceFn python_reduce(pybind11::object kernel, pybind11::object dtype, bool commutative, bool associative,
                       std::string name);

}  // namespace fmi::python
