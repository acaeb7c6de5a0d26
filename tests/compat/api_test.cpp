// The original FMI's C++ API through include/fmi/compat (fmi.h): every
// operation with the original's signatures, closed-form expected values, any
// number of peers, roots other than 0, and non-commutative functions on
// scalars and on whole vectors (2x2 matrix products), folded left to right.
//
//   fmirun -n N -- compat_api_test original_config.json
#include <fmi.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

int failures = 0;

#define CHECK(condition)                                                                       \
    do {                                                                                       \
        if (!(condition)) {                                                                    \
            std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #condition); \
            ++failures;                                                                        \
        }                                                                                      \
    } while (0)

using Matrix = std::vector<long>;  // 2x2, row-major

Matrix multiply(const Matrix& a, const Matrix& b) {
    return {a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3], a[2] * b[0] + a[3] * b[2],
            a[2] * b[1] + a[3] * b[3]};
}

Matrix matrix_of(unsigned p) { return {1, long(p) + 1, long(p % 3), 1}; }

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2 || !std::getenv("FMI_PEER_ID") || !std::getenv("FMI_NUM_PEERS") || !std::getenv("FMI_COMM")) {
        std::fprintf(stderr, "usage: fmirun -n N -- %s CONFIG\n", argv[0]);
        return 2;
    }
    const FMI::Utils::peer_num me = std::atoi(std::getenv("FMI_PEER_ID"));
    const FMI::Utils::peer_num n = std::atoi(std::getenv("FMI_NUM_PEERS"));
    FMI::Communicator comm(me, n, argv[1], std::getenv("FMI_COMM"), 512);
    comm.hint(FMI::Utils::Hint::fast);
    comm.hint(FMI::Utils::cheap);
    const FMI::Utils::peer_num last = n - 1;

    // send / recv around a ring (even peers send first).
    if (n > 1) {
        FMI::Comm::Data<std::vector<int>> out(std::vector<int>{int(me), int(me) * 2}), in(2);
        FMI::Comm::Data<double> value = me + 0.5, got;
        if (me % 2 == 0) {
            comm.send(out, (me + 1) % n);
            comm.send(value, (me + 1) % n);
            comm.recv(in, (me + n - 1) % n);
            comm.recv(got, (me + n - 1) % n);
        } else {
            comm.recv(in, (me + n - 1) % n);
            comm.recv(got, (me + n - 1) % n);
            comm.send(out, (me + 1) % n);
            comm.send(value, (me + 1) % n);
        }
        const int pred = int((me + n - 1) % n);
        CHECK(in.get() == (std::vector<int>{pred, pred * 2}));
        CHECK(got == pred + 0.5);
    }

    // bcast from the last peer, scalar and vector.
    FMI::Comm::Data<long> word;
    FMI::Comm::Data<std::vector<float>> floats(3);
    if (me == last) {
        word = 1234567890123L;
        floats = std::vector<float>{1.5f, -2.0f, 3.25f};
    }
    comm.bcast(word, last);
    comm.bcast(floats, last);
    CHECK(word == 1234567890123L);
    CHECK(floats.get() == (std::vector<float>{1.5f, -2.0f, 3.25f}));
    comm.barrier();

    // gather to the last peer; scatter from it.
    FMI::Comm::Data<std::vector<int>> mine(std::vector<int>{int(me), -int(me)});
    FMI::Comm::Data<std::vector<int>> all = me == last ? FMI::Comm::Data<std::vector<int>>(2 * n)
                                                       : FMI::Comm::Data<std::vector<int>>();
    comm.gather(mine, all, last);
    if (me == last) {
        std::vector<int> expected;
        for (unsigned p = 0; p < n; ++p) expected.insert(expected.end(), {int(p), -int(p)});
        CHECK(all.get() == expected);
    }
    std::vector<int> deal(3 * n);
    for (unsigned i = 0; i < deal.size(); ++i) deal[i] = int(i * i);
    FMI::Comm::Data<std::vector<int>> source = me == last ? FMI::Comm::Data<std::vector<int>>(deal)
                                                          : FMI::Comm::Data<std::vector<int>>();
    FMI::Comm::Data<std::vector<int>> part(3);
    comm.scatter(source, part, last);
    CHECK(part.get() == (std::vector<int>{int(9 * me * me), int((3 * me + 1) * (3 * me + 1)),
                                          int((3 * me + 2) * (3 * me + 2))}));

    // Scalar reductions: a commutative sum and the non-commutative a*10+b,
    // whose left-to-right fold over peers 0..n-1 is the number with digits
    // 1 2 ... n (n <= 9).
    FMI::Utils::Function<long> sum([](long a, long b) { return a + b; }, true, true);
    FMI::Utils::Function<long> digits([](long a, long b) { return a * 10 + b; }, false, false);
    long expected_digits = 0;
    for (unsigned p = 0; p < n; ++p) expected_digits = expected_digits * 10 + (p + 1);
    FMI::Comm::Data<long> one = long(me) + 1, result;
    comm.allreduce(one, result, sum);
    CHECK(result == long(n) * (n + 1) / 2);
    comm.allreduce(one, result, digits);
    CHECK(result == expected_digits);
    FMI::Comm::Data<long> at_root;
    comm.reduce(one, at_root, last, digits);
    if (me == last) CHECK(at_root == expected_digits);
    comm.scan(one, result, digits);
    long expected_prefix = 0;
    for (unsigned p = 0; p <= me; ++p) expected_prefix = expected_prefix * 10 + (p + 1);
    CHECK(result == expected_prefix);
    CHECK(one == long(me) + 1);  // the send buffer is never modified

    // A vector function sees whole vectors: 2x2 matrix products in peer order.
    FMI::Utils::Function<Matrix> matmul(multiply, false, true);
    FMI::Comm::Data<Matrix> m(matrix_of(me)), product(4);
    comm.allreduce(m, product, matmul);
    Matrix expected = matrix_of(0);
    for (unsigned p = 1; p < n; ++p) expected = multiply(expected, matrix_of(p));
    CHECK(product.get() == expected);
    FMI::Comm::Data<Matrix> prefix(4);
    comm.scan(m, prefix, matmul);
    Matrix expected_scan = matrix_of(0);
    for (unsigned p = 1; p <= me; ++p) expected_scan = multiply(expected_scan, matrix_of(p));
    CHECK(prefix.get() == expected_scan);

    // Raw memory through Data<void*>.
    char text[8] = {};
    if (me == 0) std::snprintf(text, sizeof text, "fmi-ok");
    FMI::Comm::Data<void*> raw(text, sizeof text);
    comm.bcast(raw, 0);
    CHECK(std::string(text) == "fmi-ok");

    // Misuse is a typed error (std::runtime_error underneath, as the original's).
    bool threw = false;
    try {
        FMI::Comm::Data<std::vector<int>> small(1), big(2);
        comm.allreduce(small, big, FMI::Utils::Function<std::vector<int>>(
                                       [](std::vector<int> a, std::vector<int>) { return a; }, true, true));
    } catch (const std::runtime_error&) {
        threw = true;
    }
    CHECK(threw);
    comm.barrier();

    if (failures == 0) std::printf("peer %u: compat API checks passed\n", me);
    return failures == 0 ? 0 : 1;
}
