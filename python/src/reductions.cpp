#include "reductions.hpp"

#include <pybind11/numpy.h>

#include <cstdint>
#include <memory>
#include <utility>

namespace py = pybind11;

namespace fmi::python {

Op parse_op(const std::string& name) {
    static constexpr Op all[] = {Op::sum,         Op::prod,       Op::min,         Op::max,     Op::logical_and,
                                 Op::logical_or,  Op::logical_xor, Op::bit_and,    Op::bit_or,  Op::bit_xor};
    for (Op op : all)
        if (name == to_string(op)) return op;
    throw UsageError("unknown built-in reduction '" + name + "'");
}

std::optional<ReduceFn> native_reduce(Op op, char kind, std::size_t itemsize) {
    switch (kind) {
        case 'b':
            if (itemsize == 1) return make_reduce<bool>(op);
            break;
        case 'i':
            if (itemsize == 1) return make_reduce<std::int8_t>(op);
            if (itemsize == 2) return make_reduce<std::int16_t>(op);
            if (itemsize == 4) return make_reduce<std::int32_t>(op);
            if (itemsize == 8) return make_reduce<std::int64_t>(op);
            break;
        case 'u':
            if (itemsize == 1) return make_reduce<std::uint8_t>(op);
            if (itemsize == 2) return make_reduce<std::uint16_t>(op);
            if (itemsize == 4) return make_reduce<std::uint32_t>(op);
            if (itemsize == 8) return make_reduce<std::uint64_t>(op);
            break;
        case 'f':
            if (itemsize == sizeof(float)) return make_reduce<float>(op);
            if (itemsize == sizeof(double)) return make_reduce<double>(op);
            // numpy's longdouble is the C long double of the platform.
            if (itemsize == sizeof(long double)) return make_reduce<long double>(op);
            break;
        default:
            break;
    }
    return std::nullopt;
}

namespace {

/// The Python side of a reduction. Owned through a shared_ptr by every copy
/// of the ReduceFn, so copies made by the algorithms never touch Python
/// reference counts; the last owner drops the objects under the GIL.
struct PythonKernel {
    py::object kernel;
    py::dtype dtype;
    py::ssize_t itemsize;

    PythonKernel(py::object k, py::dtype d) : kernel(std::move(k)), dtype(std::move(d)), itemsize(dtype.itemsize()) {}
    PythonKernel(const PythonKernel&) = delete;
    PythonKernel& operator=(const PythonKernel&) = delete;
    ~PythonKernel() {
        py::gil_scoped_acquire gil;
        kernel = py::object();
        dtype = py::dtype();
    }

    /// A 1-D numpy view of `count` elements at `data` (no copy: the base
    /// object tells numpy that it does not own the memory).
    py::array view(const void* data, std::size_t count, bool writable) const {
        py::array array(dtype, {static_cast<py::ssize_t>(count)}, {itemsize}, data, py::none());
        if (!writable) array.attr("setflags")(py::arg("write") = false);
        return array;
    }
};

}  // namespace

ReduceFn python_reduce(py::object kernel, py::object dtype, bool commutative, bool associative, std::string name) {
    auto state = std::make_shared<PythonKernel>(std::move(kernel), py::dtype::from_args(dtype));
    if (state->itemsize <= 0) throw UsageError("reduction '" + name + "': the element type has no size");
    ReduceFn fn;
    fn.element_size = static_cast<std::size_t>(state->itemsize);
    fn.commutative = commutative;
    fn.associative = associative;
    fn.name = std::move(name);
    fn.apply = [state](const void* left, const void* right, void* out, std::size_t count) {
        py::gil_scoped_acquire gil;
        // left and right are read-only views: a kernel that modified them
        // in place would corrupt the caller's send buffer.
        state->kernel(state->view(left, count, false), state->view(right, count, false),
                      state->view(out, count, true));
    };
    return fn;
}

}  // namespace fmi::python
