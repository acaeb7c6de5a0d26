// Failures the peers can only see together: another operation, another size,
// a missing partner; and the local usage errors the backend itself checks.
// Nothing may hang: every run must end well within its deadline.
#include "reductions.hpp"
#include "typed_calls.hpp"

#include <chrono>

namespace fmi::test {
namespace {

using Clock = std::chrono::steady_clock;

template <class E>
bool is_error(const std::exception_ptr& e) {
    if (!e) return false;
    try {
        std::rethrow_exception(e);
    } catch (const E&) {
        return true;
    } catch (...) {
        return false;
    }
}

int count_errors_of_type(const RankOutcomes& o, bool (*pred)(const std::exception_ptr&)) {
    int n = 0;
    for (const auto& e : o.errors) n += pred(e) ? 1 : 0;
    return n;
}

/// Every rank either returned or threw an fmi::Error (nothing else).
void expect_only_fmi_errors(const RankOutcomes& o) {
    for (std::size_t r = 0; r < o.errors.size(); ++r)
        if (o.errors[r]) {
            EXPECT_TRUE(is_error<Error>(o.errors[r])) << "rank " << r << ": " << o.first_failure();
        }
}

HarnessOptions with_timeout(std::chrono::milliseconds timeout) {
    HarnessOptions h;
    h.timeout = timeout;
    return h;
}

TEST(Errors, DifferentCollectivesGiveAMismatchErrorAndNobodyHangs) {
    for (int size : {2, 3, 5}) {
        SCOPED_TRACE("P" + std::to_string(size));
        auto start = Clock::now();
        RankOutcomes o = run_ranks(size, with_timeout(std::chrono::seconds(20)), [&](TestPeer& peer) {
            std::vector<std::int64_t> data(4, peer.rank());
            if (peer.rank() == 0) {
                peer.backend().bcast(writable(data), 0, peer.next(OpKind::bcast));
                // The next collective meets the partners' leftover messages or aborted channels.
                peer.backend().barrier(peer.next(OpKind::barrier));
            } else {
                std::vector<std::int64_t> out(4);
                peer.backend().allreduce(bytes_of(data), writable(out), make_reduce<std::int64_t>(Op::sum),
                                         peer.next(OpKind::allreduce));
            }
        });
        EXPECT_GE(count_errors_of_type(o, is_error<MismatchError>), 1) << o.first_failure();
        expect_only_fmi_errors(o);
        // Aborted channels end the others at once, far below the 20 s deadline.
        EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
    }
}

TEST(Errors, DifferentSizesGiveASizeMismatchError) {
    for (int size : {2, 4, 7}) {
        SCOPED_TRACE("P" + std::to_string(size));
        RankOutcomes o = run_ranks(size, with_timeout(std::chrono::seconds(20)), [&](TestPeer& peer) {
            std::vector<std::int64_t> in(peer.rank() == 1 ? 5 : 4, 1), out(in.size());
            peer.backend().allreduce(bytes_of(in), writable(out), make_reduce<std::int64_t>(Op::sum),
                                     peer.next(OpKind::allreduce));
        });
        EXPECT_GE(count_errors_of_type(o, is_error<SizeMismatchError>), 1) << o.first_failure();
        expect_only_fmi_errors(o);
    }
}

/// Sizes that are whole multiples of the segment size: the receivers' first
/// segments match, so only the segment rule (a short final segment, possibly
/// empty) lets them see that the root sent more. None may return quietly.
TEST(Errors, SizesThatDifferByWholeSegmentsAreStillCaught) {
    HarnessOptions h = with_timeout(std::chrono::seconds(20));
    h.p2p = P2POptions::with_small_segments(64);
    for (auto algorithm : {detail::p2p::BcastAlgorithm::binomial, detail::p2p::BcastAlgorithm::scatter_allgather}) {
        h.p2p.bcast = algorithm;
        RankOutcomes o = run_ranks(3, h, [&](TestPeer& peer) {
            std::vector<std::byte> data(peer.rank() == 0 ? 384 : 192);
            peer.backend().bcast(writable(data), 0, peer.next(OpKind::bcast));
        });
        EXPECT_TRUE(o.errors[1] && o.errors[2]) << "a receiver accepted a shorter message";
        EXPECT_GE(count_errors_of_type(o, is_error<SizeMismatchError>), 1) << o.first_failure();
        expect_only_fmi_errors(o);
    }
    // Ring allreduce where one peer's blocks are two segments and the
    // other's one: without the rule its second segment would be taken for
    // the next step's message.
    h.p2p.allreduce = detail::p2p::AllreduceAlgorithm::ring;
    RankOutcomes o = run_ranks(2, h, [&](TestPeer& peer) {
        std::vector<std::int64_t> in(peer.rank() == 0 ? 32 : 16, 1), out(in.size());
        peer.backend().allreduce(bytes_of(in), writable(out), make_reduce<std::int64_t>(Op::sum),
                                 peer.next(OpKind::allreduce));
    });
    EXPECT_TRUE(o.errors[0] && o.errors[1]) << "a peer returned a result of mismatched sizes";
    EXPECT_GE(count_errors_of_type(o, is_error<SizeMismatchError>), 1) << o.first_failure();
}

TEST(Errors, AMissingPartnerTimesOutWithinTheDeadline) {
    const auto timeout = std::chrono::milliseconds(300);
    auto start = Clock::now();
    RankOutcomes o = run_ranks(3, with_timeout(timeout), [&](TestPeer& peer) {
        if (peer.rank() == 2) return;  // never joins the collective
        std::vector<double> in(3, 1.0), out(3);
        peer.backend().allreduce(bytes_of(in), writable(out), make_reduce<double>(Op::sum),
                                 peer.next(OpKind::allreduce));
    });
    auto elapsed = Clock::now() - start;
    EXPECT_GE(count_errors_of_type(o, is_error<TimeoutError>), 1) << o.first_failure();
    expect_only_fmi_errors(o);
    EXPECT_GE(elapsed, timeout);
    EXPECT_LT(elapsed, std::chrono::seconds(10));  // generous: fails within the deadline, not forever
}

TEST(Errors, LocalMisuseIsAUsageErrorAndSendsNothing) {
    RankOutcomes o = run_ranks(2, HarnessOptions{}, [&](TestPeer& peer) {
        auto sum = make_reduce<std::int32_t>(Op::sum);
        std::vector<std::int32_t> v(8, 1);
        EXPECT_THROW(peer.backend().bcast(writable(v), 2, peer.next(OpKind::bcast)), UsageError);
        EXPECT_THROW(peer.backend().reduce(bytes_of(v), writable(v), -1, sum, peer.next(OpKind::reduce)),
                     UsageError);
        // Output overlapping the input without being the same buffer.
        EXPECT_THROW(peer.backend().allreduce(bytes_of(v).first(16), writable(v).subspan(4, 16), sum,
                                              peer.next(OpKind::allreduce)),
                     UsageError);
        // A byte count that is not a whole number of elements.
        EXPECT_THROW(peer.backend().allreduce(bytes_of(v).first(6), writable(v).subspan(8, 6), sum,
                                              peer.next(OpKind::allreduce)),
                     UsageError);
        EXPECT_THROW(peer.backend().send(bytes_of(v), peer.rank(), peer.next_send(peer.rank())), UsageError);
        std::vector<std::int32_t> gathered(3);
        EXPECT_THROW(peer.backend().gather(bytes_of(v), writable(gathered), peer.rank(), peer.next(OpKind::gather)),
                     UsageError);
        // Nothing was sent: the channel is still usable for a real collective.
        std::vector<std::int32_t> out(8);
        peer.backend().allreduce(bytes_of(v), writable(out), sum, peer.next(OpKind::allreduce));
        EXPECT_EQ(out, std::vector<std::int32_t>(8, 2));
    });
    EXPECT_TRUE(o.first_failure().empty()) << o.first_failure();
}

}  // namespace
}  // namespace fmi::test
