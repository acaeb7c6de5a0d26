// The reductions the collective tests run, each with its inputs and its
// expected prefix results: closed forms where one exists, else the strictly
// left-to-right fold computed here as the reference.
//
// x_r[i] is peer r's element i; expected(k, i) is x_0[i] (+) ... (+) x_k[i]
// (k = P - 1 for reduce and allreduce, k = r for the scan at peer r).
#pragma once

#include <fmi/ops.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace fmi::test {

template <class T>
struct ReductionCase {
    std::string name;
    ReduceFn fn;
    std::function<T(int rank, std::size_t i)> input;
    std::function<T(int last_rank, std::size_t i)> expected;
};

/// A 2x2 matrix of integers modulo 2^64: an associative, non-commutative product.
struct Mat2 {
    std::uint64_t a, b, c, d;
    friend bool operator==(const Mat2&, const Mat2&) = default;
};

inline Mat2 operator*(const Mat2& x, const Mat2& y) {
    return {x.a * y.a + x.b * y.c, x.a * y.b + x.b * y.d, x.c * y.a + x.d * y.c, x.c * y.b + x.d * y.d};
}

inline std::ostream& operator<<(std::ostream& os, const Mat2& m) {
    return os << "[[" << m.a << "," << m.b << "],[" << m.c << "," << m.d << "]]";
}

inline std::int64_t factorial(int k) {
    std::int64_t f = 1;
    for (int j = 2; j <= k; ++j) f *= j;
    return f;
}

/// Reorderable built-in reductions on 64-bit integers.
inline std::vector<ReductionCase<std::int64_t>> integer_cases() {
    using I = std::int64_t;
    return {
        // sum of (r + 1)(i + 1) over r <= k is (i + 1)(k + 1)(k + 2)/2
        {"sum", make_reduce<I>(Op::sum), [](int r, std::size_t i) { return I(r + 1) * I(i + 1); },
         [](int k, std::size_t i) { return I(i + 1) * (k + 1) * (k + 2) / 2; }},
        // even i: (r + 1) multiplies to (k + 1)!; odd i: -1 multiplies to (-1)^(k + 1)
        {"prod", make_reduce<I>(Op::prod), [](int r, std::size_t i) { return i % 2 == 0 ? I(r + 1) : I(-1); },
         [](int k, std::size_t i) { return i % 2 == 0 ? factorial(k + 1) : ((k + 1) % 2 ? I(-1) : I(1)); }},
        {"min", make_reduce<I>(Op::min), [](int r, std::size_t i) { return I(i) - r; },
         [](int k, std::size_t i) { return I(i) - k; }},
        {"max", make_reduce<I>(Op::max), [](int r, std::size_t i) { return I(i) + r; },
         [](int k, std::size_t i) { return I(i) + k; }},
        // distinct bits (r + i) mod 61: their xor sets bits i mod 61 .. (i + k) mod 61
        {"bit_xor", make_reduce<I>(Op::bit_xor), [](int r, std::size_t i) { return I(1) << ((r + i) % 61); },
         [](int k, std::size_t i) {
             I bits = 0;
             for (int j = 0; j <= k; ++j) bits |= I(1) << ((j + i) % 61);
             return bits;
         }},
    };
}

/// f(a, b) = 31 a + b modulo 2^64 ("concatenation" of base-31 digits): neither
/// associative nor commutative; the left fold is sum_r x_r 31^(k - r).
inline ReductionCase<std::uint64_t> concat_case() {
    using U = std::uint64_t;
    return {"concat31",
            make_reduce(function<U>([](U a, U b) { return a * 31 + b; }, false, false)),
            [](int r, std::size_t i) { return U(r + 1) + U(i) * 7; },
            [](int k, std::size_t i) {
                U total = 0, power = 1;
                for (int r = k; r >= 0; --r, power *= 31) total += (U(r + 1) + U(i) * 7) * power;
                return total;
            }};
}

/// f(a, b) = a - b: not associative, not commutative; left fold x_0 - x_1 - ... - x_k.
inline ReductionCase<std::int64_t> minus_case() {
    using I = std::int64_t;
    return {"minus",
            make_reduce(function<I>([](I a, I b) { return a - b; }, false, false)),
            [](int r, std::size_t i) { return I(r + 1) * 10 + I(i); },
            [](int k, std::size_t i) {
                // x_0 - sum_{r=1..k} x_r with x_r = 10(r + 1) + i
                I rest = 10 * (I(k) * (k + 3) / 2) + I(k) * I(i);
                return I(10 + i) - rest;
            }};
}

/// 2x2 matrix product: associative, not commutative. Reference: the left fold.
inline ReductionCase<Mat2> matrix_case() {
    auto input = [](int r, std::size_t i) {
        std::uint64_t u = i;
        return Mat2{std::uint64_t(r) + 1, u + 2, (std::uint64_t(r) * 3 + u) % 5 + 1, std::uint64_t(r) + u + 3};
    };
    return {"matrix_product",
            make_reduce(function<Mat2>([](const Mat2& x, const Mat2& y) { return x * y; }, false, true)),
            input,
            [input](int k, std::size_t i) {
                Mat2 acc = input(0, i);
                for (int r = 1; r <= k; ++r) acc = acc * input(r, i);
                return acc;
            }};
}

template <class T>
std::vector<T> inputs_of(const ReductionCase<T>& c, int rank, std::size_t count) {
    std::vector<T> v(count);
    for (std::size_t i = 0; i < count; ++i) v[i] = c.input(rank, i);
    return v;
}

template <class T>
std::vector<T> expected_of(const ReductionCase<T>& c, int last_rank, std::size_t count) {
    std::vector<T> v(count);
    for (std::size_t i = 0; i < count; ++i) v[i] = c.expected(last_rank, i);
    return v;
}

/// Calls f(case) for every case above.
template <class F>
void for_each_reduction(F&& f) {
    for (const auto& c : integer_cases()) f(c);
    f(concat_case());
    f(minus_case());
    f(matrix_case());
}

}  // namespace fmi::test
