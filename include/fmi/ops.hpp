// Reduction operations: the built-in ones and user callables.
//
// Every reduction reaches the algorithms as a type-erased ReduceFn that
// combines whole arrays at once (one indirect call per chunk, not per element).
#pragma once

#include <fmi/errors.hpp>

#include <algorithm>
#include <cstddef>
#include <functional>
#include <string>
#include <type_traits>

namespace fmi {

/// Built-in reductions. Bitwise ones are defined for integral types only.
enum class Op { sum, prod, min, max, logical_and, logical_or, logical_xor, bit_and, bit_or, bit_xor };

/// Name of a built-in op ("sum", "bit_xor", ...).
const char* to_string(Op op) noexcept;

/// An element-wise reduction over raw bytes.
///
/// apply(left, right, out, count) computes out[i] = left[i] (+) right[i] for
/// i < count; out may alias left or right. Algorithms always pass the operand
/// from the lower peer ids as `left`, so non-commutative functions see the
/// operands in peer order.
struct ReduceFn {
    std::function<void(const void* left, const void* right, void* out, std::size_t count)> apply;
    std::size_t element_size = 1;
    bool commutative = true;
    bool associative = true;
    std::string name;

    /// True when the algorithm may reorder or regroup operands freely.
    bool reorderable() const noexcept { return commutative && associative; }
};

/// A user reduction on values of T: f(left, right) with its algebraic flags.
/// When either flag is false fmi evaluates strictly left to right over peer
/// ids: ((x0 (+) x1) (+) x2) ...
template <class T>
struct Function {
    std::function<T(const T&, const T&)> f;
    bool commutative = false;
    bool associative = false;
};

/// Makes a Function<T> from any callable; the flags default to the safe,
/// strictly ordered evaluation.
template <class T, class F>
Function<T> function(F&& f, bool commutative = false, bool associative = false) {
    return Function<T>{std::function<T(const T&, const T&)>(std::forward<F>(f)), commutative,
                       associative};
}

namespace detail {

template <class T, class Combine>
ReduceFn elementwise(Combine combine, const char* name, bool commutative = true,
                     bool associative = true) {
    ReduceFn fn;
    fn.apply = [combine](const void* l, const void* r, void* o, std::size_t n) {
        const T* a = static_cast<const T*>(l);
        const T* b = static_cast<const T*>(r);
        T* out = static_cast<T*>(o);
        for (std::size_t i = 0; i < n; ++i) out[i] = combine(a[i], b[i]);
    };
    fn.element_size = sizeof(T);
    fn.commutative = commutative;
    fn.associative = associative;
    fn.name = name;
    return fn;
}

}  // namespace detail

/// The ReduceFn of a built-in op for element type T. Throws UsageError for a
/// bitwise op on a non-integral type.
template <class T>
ReduceFn make_reduce(Op op) {
    static_assert(std::is_arithmetic_v<T>, "built-in reductions need an arithmetic element type");
    switch (op) {
        case Op::sum: return detail::elementwise<T>([](T a, T b) { return T(a + b); }, "sum");
        case Op::prod: return detail::elementwise<T>([](T a, T b) { return T(a * b); }, "prod");
        case Op::min: return detail::elementwise<T>([](T a, T b) { return std::min(a, b); }, "min");
        case Op::max: return detail::elementwise<T>([](T a, T b) { return std::max(a, b); }, "max");
        case Op::logical_and:
            return detail::elementwise<T>([](T a, T b) { return T(bool(a) && bool(b)); }, "logical_and");
        case Op::logical_or:
            return detail::elementwise<T>([](T a, T b) { return T(bool(a) || bool(b)); }, "logical_or");
        case Op::logical_xor:
            return detail::elementwise<T>([](T a, T b) { return T(bool(a) != bool(b)); }, "logical_xor");
        case Op::bit_and:
        case Op::bit_or:
        case Op::bit_xor:
            if constexpr (std::is_integral_v<T>) {
                if (op == Op::bit_and) return detail::elementwise<T>([](T a, T b) { return T(a & b); }, "bit_and");
                if (op == Op::bit_or) return detail::elementwise<T>([](T a, T b) { return T(a | b); }, "bit_or");
                return detail::elementwise<T>([](T a, T b) { return T(a ^ b); }, "bit_xor");
            } else {
                throw UsageError(std::string("reduction ") + to_string(op) +
                                 " needs an integral element type");
            }
    }
    throw UsageError("unknown built-in reduction");
}

/// The ReduceFn of a user Function<T>.
template <class T>
ReduceFn make_reduce(const Function<T>& user) {
    static_assert(std::is_trivially_copyable_v<T>, "reductions need a trivially copyable type");
    if (!user.f) throw UsageError("custom reduction: the function is empty");
    return detail::elementwise<T>(user.f, "custom", user.commutative, user.associative);
}

}  // namespace fmi
