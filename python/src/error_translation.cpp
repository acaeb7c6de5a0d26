#include "error_translation.hpp"

#include <fmi/errors.hpp>

#include <pybind11/pybind11.h>

#include <chrono>
#include <exception>
#include <initializer_list>
#include <utility>

namespace py = pybind11;

namespace fmi::python {

namespace {

using Attributes = std::initializer_list<std::pair<const char*, py::object>>;

/// Sets the pending Python error to fmi.errors.<class_name>(what) with the
/// given attributes. The classes live in Python (with docstrings and the
/// builtin bases such as TimeoutError and OSError), so they are looked up
/// when an error is raised rather than created here.
void raise_python(const char* class_name, const std::exception& error, Attributes attributes) {
    try {
        py::object cls = py::module_::import("fmi.errors").attr(class_name);
        py::object instance = cls(py::str(error.what()));
        for (const auto& [name, value] : attributes) py::setattr(instance, name, value);
        PyErr_SetObject(cls.ptr(), instance.ptr());
    } catch (py::error_already_set&) {
        // fmi.errors unavailable (a broken installation): keep the message.
        PyErr_SetString(PyExc_RuntimeError, error.what());
    }
}

double seconds(std::chrono::milliseconds ms) { return static_cast<double>(ms.count()) / 1000.0; }

}  // namespace

void register_error_translator() {
    py::register_exception_translator([](std::exception_ptr pending) {
        if (!pending) return;
        // Most derived first; anything else propagates to pybind11's own
        // translators (MemoryError, RuntimeError, ...).
        try {
            std::rethrow_exception(pending);
        } catch (const AuthError& e) {
            raise_python("AuthError", e, {});
        } catch (const ServerError& e) {
            raise_python("ServerError", e, {});
        } catch (const PeerLostError& e) {
            raise_python("PeerLostError", e, {{"peer", py::int_(e.peer())}});
        } catch (const IoError& e) {
            raise_python("IoError", e, {});
        } catch (const TimeoutError& e) {
            raise_python("TimeoutError", e,
                         {{"elapsed", py::float_(seconds(e.elapsed()))},
                          {"allowed", py::float_(seconds(e.allowed()))}});
        } catch (const SizeMismatchError& e) {
            raise_python("SizeMismatchError", e,
                         {{"peer", py::int_(e.peer())},
                          {"expected_bytes", py::int_(e.expected_bytes())},
                          {"actual_bytes", py::int_(e.actual_bytes())}});
        } catch (const MismatchError& e) {
            raise_python("MismatchError", e, {});
        } catch (const UsageError& e) {
            raise_python("UsageError", e, {});
        } catch (const ConfigError& e) {
            raise_python("ConfigError", e, {{"field", py::str(e.field())}});
        } catch (const Error& e) {
            raise_python("Error", e, {});
        }
    });
}

}  // namespace fmi::python
