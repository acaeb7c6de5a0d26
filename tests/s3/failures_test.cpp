// Failures over S3 end in typed errors, never in hangs: a wrong secret, a
// partner in another operation, sizes that disagree, a partner that never
// comes, aborts or leaves; and leftovers of crashed jobs can be removed by
// communicator name without touching any other communicator.
#include "cleanup.hpp"
#include "s3_harness.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

namespace fmi::test {
namespace {

using Elem = std::uint64_t;
using Clock = std::chrono::steady_clock;

// True when rank's error is an E; its message goes to *message.
template <class E>
bool failed_with(const JobResult& job, int rank, std::string* message = nullptr) {
    if (!job.errors[rank]) return false;
    try {
        std::rethrow_exception(job.errors[rank]);
    } catch (const E& e) {
        if (message) *message = e.what();
        return true;
    } catch (...) {
        return false;
    }
}

std::size_t objects_of(const std::string& comm) {
    TestClient t;
    return t.client.list_all(detail::s3::KeySpace("fmi-test", comm).root(), Deadline(std::chrono::milliseconds(10'000)))
        .size();
}

TEST(S3Failures, WrongSecretKeyIsAnAuthErrorWithinASecond) {
    S3Options options = rgw_options();
    options.secret_access_key = "wrong";
    std::vector<Clock::duration> took(2);
    JobResult job = run_job(2, "wrong secret", options, [&](Peer& peer) {
        const auto started = Clock::now();
        std::vector<Elem> v{1};
        try {
            peer.backend.bcast(writable(v), 0, peer.collective(OpKind::bcast));
        } catch (...) {
            took[peer.rank] = Clock::now() - started;
            throw;
        }
    }, /*finalize=*/false);
    for (int r = 0; r < 2; ++r) {
        std::string message;
        EXPECT_TRUE(failed_with<AuthError>(job, r, &message)) << job.describe();
        EXPECT_NE(message.find("SignatureDoesNotMatch"), std::string::npos) << message;
        EXPECT_NE(message.find(rgw().bucket), std::string::npos) << message;
        EXPECT_LT(took[r], std::chrono::seconds(1));
    }
}

TEST(S3Failures, PartnerInAnotherOperationIsAMismatch) {
    // Peer 1 waits for an allreduce result while peer 0 broadcast: peer 1's
    // long-wait diagnosis finds bcast's object at the same sequence number.
    JobResult job = run_job(2, "mismatch bcast", rgw_options(), [](Peer& peer) {
        std::vector<Elem> v{1, 2}, out(2);
        if (peer.rank == 0)
            peer.backend.bcast(writable(v), 0, peer.collective(OpKind::bcast));
        else
            peer.backend.allreduce(bytes_of(v), writable(out), make_reduce<Elem>(Op::sum),
                                   peer.collective(OpKind::allreduce));
    });
    std::string message;
    EXPECT_TRUE(failed_with<MismatchError>(job, 1, &message)) << job.describe();
    EXPECT_NE(message.find("bcast"), std::string::npos) << message;
    EXPECT_FALSE(job.errors[0]) << job.describe();
    EXPECT_EQ(objects_of("mismatch bcast"), 0u);

    // A collecting root sees the other operation in its first LIST and
    // leaves the error where its partner waits.
    job = run_job(2, "mismatch barrier", rgw_options(), [](Peer& peer) {
        std::vector<Elem> v{1}, out(1);
        if (peer.rank == 0)
            peer.backend.allreduce(bytes_of(v), writable(out), make_reduce<Elem>(Op::sum),
                                   peer.collective(OpKind::allreduce));
        else
            peer.backend.barrier(peer.collective(OpKind::barrier));
    });
    EXPECT_TRUE(failed_with<MismatchError>(job, 0)) << job.describe();
    EXPECT_TRUE(failed_with<MismatchError>(job, 1)) << job.describe();
}

TEST(S3Failures, SizesThatDisagreeAreSizeMismatches) {
    JobResult job = run_job(2, "size bcast", rgw_options(), [](Peer& peer) {
        std::vector<Elem> v(peer.rank == 0 ? 1 : 2, 5);
        peer.backend.bcast(writable(v), 0, peer.collective(OpKind::bcast));
    });
    ASSERT_TRUE(job.errors[1]) << "peer 1 expected 16 bytes but got 8";
    try {
        std::rethrow_exception(job.errors[1]);
    } catch (const SizeMismatchError& e) {
        EXPECT_EQ(e.peer(), 0);
        EXPECT_EQ(e.expected_bytes(), 16u);
        EXPECT_EQ(e.actual_bytes(), 8u);
    }

    // Peer 1 contributes 16 bytes to an 8-byte allreduce: the root finds it in
    // the listing and every peer fails with the same error at once.
    job = run_job(3, "size allreduce", rgw_options(), [](Peer& peer) {
        std::vector<Elem> v(peer.rank == 1 ? 2 : 1, 5), out(v.size());
        peer.backend.allreduce(bytes_of(v), writable(out), make_reduce<Elem>(Op::sum),
                               peer.collective(OpKind::allreduce));
    });
    for (int r = 0; r < 3; ++r) {
        ASSERT_TRUE(job.errors[r]) << "rank " << r;
        try {
            std::rethrow_exception(job.errors[r]);
        } catch (const SizeMismatchError& e) {
            EXPECT_EQ(e.peer(), 1) << "rank " << r;
            EXPECT_EQ(e.expected_bytes(), 8u);
            EXPECT_EQ(e.actual_bytes(), 16u);
        } catch (const std::exception& e) {
            ADD_FAILURE() << "rank " << r << ": " << e.what();
        }
    }
}

TEST(S3Failures, AbsentPartnerTimesOutNamingTheKey) {
    const auto started = Clock::now();
    JobResult job = run_job(2, "absent", rgw_options(), [](Peer& peer) {
        if (peer.rank == 1) return;  // never sends, and never finishes (no finalize below)
        std::vector<Elem> v(1);
        peer.backend.recv(writable(v), 1, peer.from(1));
    }, /*finalize=*/false, std::chrono::milliseconds(1'500));
    std::string message;
    ASSERT_TRUE(failed_with<TimeoutError>(job, 0, &message)) << job.describe();
    EXPECT_NE(message.find("fmi-test/absent/send/1-0/0"), std::string::npos) << message;
    EXPECT_NE(message.find("allowed 1500 ms"), std::string::npos) << message;
    EXPECT_LT(Clock::now() - started, std::chrono::seconds(10));
    TestClient t;  // the job never finalized: remove what it left
    detail::s3::remove_communicator_objects(t.client, detail::s3::KeySpace("fmi-test", "absent"),
                                            Deadline(std::chrono::milliseconds(10'000)));
}

TEST(S3Failures, AbortedOrFinishedPartnerIsPeerLostNotATimeout) {
    const auto started = Clock::now();
    JobResult job = run_job(2, "aborting", rgw_options(), [](Peer& peer) {
        if (peer.rank == 1) throw std::runtime_error("peer 1 fails before sending");  // run_job aborts it
        std::vector<Elem> v(1);
        peer.backend.recv(writable(v), 1, peer.from(1));
    });
    std::string message;
    EXPECT_TRUE(failed_with<PeerLostError>(job, 0, &message)) << job.describe();
    EXPECT_NE(message.find("aborted"), std::string::npos) << message;
    EXPECT_LT(Clock::now() - started, std::chrono::seconds(15));  // its deadline is 30 s

    job = run_job(2, "leaving", rgw_options(), [](Peer& peer) {
        if (peer.rank == 1) return;  // finishes (finalize) without sending
        std::vector<Elem> v(1);
        peer.backend.recv(writable(v), 1, peer.from(1));
    });
    EXPECT_TRUE(failed_with<PeerLostError>(job, 0, &message)) << job.describe();
    EXPECT_NE(message.find("finished"), std::string::npos) << message;
    EXPECT_EQ(objects_of("leaving"), 0u);
}

TEST(S3Failures, SlowReceiverStillGetsTheLastMessage) {
    // The original's Redis channel deleted a peer's keys when it exited, so a
    // slower receiver of its last message timed out. Here the sender finishes
    // at once and the receiver reads a second later.
    JobResult job = run_job(2, "slow receiver", rgw_options(), [](Peer& peer) {
        std::vector<Elem> v{42};
        if (peer.rank == 0) {
            peer.backend.send(bytes_of(v), 1, peer.to(1));
            peer.backend.bcast(writable(v), 0, peer.collective(OpKind::bcast));
            return;
        }
        std::this_thread::sleep_for(std::chrono::seconds(1));
        std::vector<Elem> got(1), b(1);
        peer.backend.recv(writable(got), 0, peer.from(0));
        peer.backend.bcast(writable(b), 0, peer.collective(OpKind::bcast));
        EXPECT_EQ(got[0], 42u);
        EXPECT_EQ(b[0], 42u);
    });
    EXPECT_TRUE(job.ok()) << job.describe();
    EXPECT_EQ(objects_of("slow receiver"), 0u);
}

TEST(S3Failures, FinalizeWaitsBoundedlyAndCleanupRemovesLeftoversByName) {
    S3Options options = rgw_options();
    options.finalize_timeout = std::chrono::milliseconds(1'000);
    // Peer 1 "crashes" after a collective (no finalize, no abort).
    std::vector<std::unique_ptr<Peer>> peers;
    for (int r = 0; r < 2; ++r) peers.push_back(std::make_unique<Peer>(r, 2, "crashed", options));
    std::thread t1([&] {
        std::vector<Elem> v{1};
        peers[1]->backend.bcast(writable(v), 0, peers[1]->collective(OpKind::bcast));
        peers[1]->backend.send(bytes_of(v), 0, peers[1]->to(0));
        peers[1]->backend.send(bytes_of(v), 0, peers[1]->to(0));
    });
    std::vector<Elem> v{1};
    peers[0]->backend.bcast(writable(v), 0, peers[0]->collective(OpKind::bcast));
    t1.join();
    // A second communicator whose name extends this one's must be untouched.
    JobResult other = run_job(1, "crashed1", options, [](Peer& peer) {
        std::vector<Elem> w{2};
        peer.backend.send(bytes_of(w), 0, peer.to(0));  // never received: stays until finalize
    }, /*finalize=*/false);
    ASSERT_TRUE(other.ok()) << other.describe();

    const auto started = Clock::now();
    try {
        peers[0]->backend.finalize();
        FAIL() << "peer 0 cannot finish cleanup while peer 1 has not finished";
    } catch (const TimeoutError& e) {
        EXPECT_NE(std::string(e.what()).find("peer(s) 1"), std::string::npos) << e.what();
    }
    EXPECT_LT(Clock::now() - started, std::chrono::seconds(10));
    EXPECT_EQ(objects_of("crashed"), 3u);  // bcast's object and two unread messages

    TestClient t;
    Deadline d(std::chrono::milliseconds(10'000));
    auto dry = detail::s3::remove_communicator_objects(t.client, detail::s3::KeySpace("fmi-test", "crashed"), d, true);
    EXPECT_EQ(dry.objects, 3u);
    EXPECT_EQ(objects_of("crashed"), 3u);
    const auto before = t.client.counts();
    auto removed = detail::s3::remove_communicator_objects(t.client, detail::s3::KeySpace("fmi-test", "crashed"), d);
    EXPECT_EQ(removed.objects, 3u);
    EXPECT_EQ((t.client.counts() - before).list, 1u);
    EXPECT_EQ((t.client.counts() - before).del, 1u);
    EXPECT_EQ(objects_of("crashed"), 0u);
    EXPECT_EQ(objects_of("crashed1"), 1u);
#ifdef FMI_CLEANUP_TOOL
    // The same through the command: by name, its own prefix only.
    const RgwInfo& info = rgw();
    const std::string command = std::string(FMI_CLEANUP_TOOL) + " --s3-bucket " + info.bucket + " --comm crashed1" +
                                " --s3-endpoint " + info.endpoint + " --s3-path-style --s3-key-prefix fmi-test" +
                                " --s3-access-key-id " + info.access_key + " --s3-secret-access-key " +
                                info.secret_key + " 2>&1";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
    std::string output;
    char buf[512];
    while (pipe && fgets(buf, sizeof buf, pipe.get())) output += buf;
    EXPECT_EQ(pclose(pipe.release()), 0) << output;
    EXPECT_NE(output.find("deleted 1 object(s)"), std::string::npos) << output;
#else
    detail::s3::remove_communicator_objects(t.client, detail::s3::KeySpace("fmi-test", "crashed1"), d);
#endif
    EXPECT_EQ(objects_of("crashed1"), 0u);
}

}  // namespace
}  // namespace fmi::test
