#include "pinned_buffer.hpp"

#include <fmi/errors.hpp>

#include <cstring>
#include <string>
#include <utility>

namespace fmi::python {

namespace {

/// Takes the pending Python error's message (and clears it), so it can be
/// folded into an fmi::UsageError.
std::string take_python_error_message() {
    PyObject *type = nullptr, *value = nullptr, *traceback = nullptr;
    PyErr_Fetch(&type, &value, &traceback);
    std::string message;
    if (value != nullptr) {
        if (PyObject* text = PyObject_Str(value)) {
            if (const char* utf8 = PyUnicode_AsUTF8(text)) message = utf8;
            Py_DECREF(text);
        }
    }
    PyErr_Clear();
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(traceback);
    return message;
}

std::string describe_layout(const Py_buffer& view) {
    std::string text = "shape (";
    for (int i = 0; i < view.ndim; ++i) {
        if (i) text += ", ";
        text += std::to_string(view.shape ? view.shape[i] : 0);
    }
    text += "), strides (";
    for (int i = 0; i < view.ndim; ++i) {
        if (i) text += ", ";
        text += std::to_string(view.strides ? view.strides[i] : 0);
    }
    return text + ")";
}

}  // namespace

PinnedBuffer::PinnedBuffer(PyObject* object, Access access, const char* operation, const char* role) {
    const std::string where = std::string(operation) + ": " + role;
    const char* type_name = Py_TYPE(object)->tp_name;
    // Strides and format are requested so that any exporter answers; the
    // contiguity check below then decides.
    int flags = PyBUF_STRIDES | PyBUF_FORMAT | (access == Access::write ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(object, &view_, flags) != 0) {
        std::string reason = take_python_error_message();
        if (access == Access::write && PyObject_GetBuffer(object, &view_, flags & ~PyBUF_WRITABLE) == 0) {
            PyBuffer_Release(&view_);
            throw UsageError(where + " must be a writable buffer, but the " + type_name + " given is read-only");
        }
        PyErr_Clear();
        throw UsageError(where + " must support the buffer protocol (numpy array, bytearray, memoryview, "
                                 "array.array), got " + type_name + " (" + reason +
                         "); use the lowercase methods for arbitrary Python objects");
    }
    held_ = true;
    if (view_.format != nullptr && std::strcmp(view_.format, "O") == 0) {
        release();
        throw UsageError(where + " holds Python object references (dtype object), which cannot be sent as "
                                 "memory; use the lowercase (pickle-based) methods");
    }
    if (!PyBuffer_IsContiguous(&view_, 'A')) {
        std::string layout = describe_layout(view_);
        release();
        throw UsageError(where + " is not contiguous (" + layout +
                         "); buffers are moved as raw memory, pass numpy.ascontiguousarray(x) or a copy");
    }
}

PinnedBuffer::PinnedBuffer(PinnedBuffer&& other) noexcept
    : view_(other.view_), held_(std::exchange(other.held_, false)) {}

PinnedBuffer& PinnedBuffer::operator=(PinnedBuffer&& other) noexcept {
    if (this != &other) {
        release();
        view_ = other.view_;
        held_ = std::exchange(other.held_, false);
    }
    return *this;
}

void PinnedBuffer::release() noexcept {
    if (held_) {
        PyBuffer_Release(&view_);
        held_ = false;
    }
}

}  // namespace fmi::python
