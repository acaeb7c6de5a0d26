// Failures over Redis: a server killed mid-operation, timeouts, one peer's
// failure waking the others, mismatched operations and sizes, crashed jobs
// (keys gone once their expiry passed), communicators whose names would
// collide under concatenation, and a password-protected server.
#include "redis_harness.hpp"

#include <fmi/ops.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <thread>

namespace fmi::test {
namespace {

using namespace std::chrono_literals;

template <class E>
void expect_error(const std::exception_ptr& error, const std::string& fragment = {}) {
    ASSERT_TRUE(error) << "expected an error";
    try {
        std::rethrow_exception(error);
    } catch (const E& e) {
        if (!fragment.empty()) {
            EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
        }
    } catch (const std::exception& e) {
        FAIL() << "wrong error type: " << e.what();
    }
}

/// Waits (bounded) until `ready` holds, checking every 20 ms.
bool eventually(const std::function<bool()>& ready, std::chrono::milliseconds limit) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        if (ready()) return true;
        std::this_thread::sleep_for(20ms);
    }
    return ready();
}

int blocked_clients(const RedisServer& server) {
    std::string info = server.command({"INFO", "clients"});
    auto at = info.find("blocked_clients:");
    return at == std::string::npos ? -1 : std::stoi(info.substr(at + 16));
}

TEST(RedisFailures, ServerKilledMidOperationIsAnIoErrorOnEveryPeer) {
    RedisServer server;
    std::string comm = unique_comm("killed");
    std::vector<std::exception_ptr> errors;
    std::thread job([&] {
        errors = run_ranks(4, comm, server.options(), [](Peer& p) {
            if (p.rank() == 3) {
                std::vector<int> v(4);
                p.recv(v, 0);  // never sent
            } else {
                p.barrier();  // peer 3 never arrives
            }
        }, 30s);
    });
    // Kill once all four wait inside Redis.
    ASSERT_TRUE(eventually([&] { return blocked_clients(server) == 4; }, 10s));
    server.kill_now();
    job.join();
    for (int rank = 0; rank < 4; ++rank) {
        SCOPED_TRACE("rank " + std::to_string(rank));
        ASSERT_TRUE(errors[rank]);
        try {
            std::rethrow_exception(errors[rank]);
        } catch (const TimeoutError& e) {
            FAIL() << "a timeout instead of the lost server: " << e.what();
        } catch (const IoError& e) {
            EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(server.port())), std::string::npos)
                << e.what();
        }
    }
}

TEST(RedisFailures, WaitingPastTheDeadlineIsATimeoutErrorNamingIt) {
    RedisServer server;
    auto errors = run_ranks(2, unique_comm("timeout"), server.options(), [](Peer& p) {
        if (p.rank() == 0) {
            std::vector<int> v(2);
            p.recv(v, 1);  // peer 1 never sends
        }
    }, 300ms);
    ASSERT_TRUE(errors[0]);
    EXPECT_FALSE(errors[1]);
    try {
        std::rethrow_exception(errors[0]);
    } catch (const TimeoutError& e) {
        EXPECT_EQ(e.allowed(), 300ms);
        EXPECT_LT(e.elapsed(), 10s);
        EXPECT_NE(std::string(e.what()).find("from peer 1"), std::string::npos) << e.what();
    }
}

TEST(RedisFailures, OnePeersFailureWakesTheOthers) {
    // Peer 0 times out after 300 ms; peers 1 and 2 wait in a barrier for up to
    // 60 s, and must be woken by peer 0's failure marker instead.
    RedisServer server;
    std::string comm = unique_comm("wake");
    auto errors = run_ranks(3, comm, server.options(), [](Peer& p) {
        if (p.rank() == 0) {
            std::vector<int> v(1);
            p.backend().recv(std::as_writable_bytes(std::span(v)), 1,
                             detail::OpContext{detail::OpKind::send, 0, detail::Deadline(300ms)});
        } else {
            p.barrier();
        }
    }, 60s);
    expect_error<TimeoutError>(errors[0]);
    expect_error<PeerLostError>(errors[1], "peer 0 failed");
    expect_error<PeerLostError>(errors[2], "peer 0 failed");
    // the marker expires like every other key
    for (const auto& key : server.scan(keys_of("fmi-test", comm)))
        EXPECT_GT(std::stoll(server.command({"PTTL", key})), 0) << key;
}

TEST(RedisFailures, DifferentOperationsAreMismatchErrorsOnEveryPeer) {
    RedisServer server;
    // Two peers: bcast against allreduce. Peer 1 reads peer 0's bcast data
    // where it expects the allreduce result; peer 0 learns it at its next step.
    auto two = run_ranks(2, unique_comm("mismatch2"), server.options(), [](Peer& p) {
        std::vector<int> v(3, p.rank());
        if (p.rank() == 0) {
            p.bcast(v, 0);
            p.barrier();
        } else {
            std::vector<int> out(3);
            p.allreduce(v, out, make_reduce<int>(Op::sum));
        }
    });
    expect_error<MismatchError>(two[0]);
    expect_error<MismatchError>(two[1], "bcast");
    // Three peers: allreduce, allreduce, gather. Peer 0 combines and finds a
    // gather contribution; peer 1, waiting for the result, is woken.
    auto three = run_ranks(3, unique_comm("mismatch3"), server.options(), [](Peer& p) {
        std::vector<int> v(2, p.rank()), out(2);
        if (p.rank() < 2) {
            p.allreduce(v, out, make_reduce<int>(Op::sum));
        } else {
            std::vector<int> none;
            p.gather(v, none, 0);
            p.barrier();
        }
    });
    for (int rank = 0; rank < 3; ++rank) {
        SCOPED_TRACE("rank " + std::to_string(rank));
        expect_error<MismatchError>(three[rank]);
    }
    // Operations that share no key (a barrier and a gather's writers) are
    // caught when entering the collective; the waiting peers are woken, with a
    // 60 s deadline that must not be what ends them.
    auto disjoint = run_ranks(3, unique_comm("mismatch-disjoint"), server.options(), [](Peer& p) {
        std::vector<int> v(2, p.rank()), none;
        if (p.rank() == 2) {
            p.gather(v, none, 0);
            p.barrier();  // learns here at the latest
        } else {
            p.barrier();
        }
    }, 60s);
    for (int rank = 0; rank < 3; ++rank) {
        SCOPED_TRACE("rank " + std::to_string(rank));
        expect_error<MismatchError>(disjoint[rank], "gather");
    }
}

TEST(RedisFailures, SizeMismatchNamesBothSizesAndP2pStaysInStep) {
    RedisServer server;
    RedisOptions options = server.options();
    options.chunk_bytes = 1000;
    std::string comm = unique_comm("sizes");
    auto errors = run_ranks(2, comm, options, [](Peer& p) {
        if (p.rank() == 0) {
            p.send(std::vector<std::int64_t>{1}, 1);          // 8 bytes
            p.send(std::vector<std::int64_t>{2, 3}, 1);       // 16 bytes
            p.send(std::vector<char>(5000, 'x'), 1);          // chunked with chunk_bytes 1000
        } else {
            std::vector<std::int64_t> two(2);
            try {
                p.recv(two, 0);
                throw std::runtime_error("no SizeMismatchError");
            } catch (const SizeMismatchError& e) {
                if (e.expected_bytes() != 16 || e.actual_bytes() != 8 || e.peer() != 0)
                    throw std::runtime_error(std::string("wrong sizes: ") + e.what());
            }
            p.recv(two, 0);
            if (two != std::vector<std::int64_t>{2, 3}) throw std::runtime_error("second message wrong");
            std::vector<char> small(10);
            try {
                p.recv(small, 0);
                throw std::runtime_error("no SizeMismatchError for the chunked message");
            } catch (const SizeMismatchError&) {
            }
        }
        p.finalize();
    });
    EXPECT_FALSE(errors[0]);
    EXPECT_FALSE(errors[1]);
    // refused messages are removed too, chunks included
    EXPECT_EQ(server.scan(keys_of("fmi-test", comm)), std::vector<std::string>{});
}

TEST(RedisFailures, CollectiveSizeMismatchIsASizeMismatchError) {
    RedisServer server;
    auto errors = run_ranks(3, unique_comm("bcast-sizes"), server.options(), [](Peer& p) {
        std::vector<int> v(p.rank() == 1 ? 3 : 2);
        p.bcast(v, 1);
    });
    EXPECT_FALSE(errors[1]);
    expect_error<SizeMismatchError>(errors[0], "12 bytes");
    expect_error<SizeMismatchError>(errors[2], "12 bytes");
}

TEST(RedisFailures, CrashedJobLeavesNothingOnceTheExpiryPassed) {
    RedisServer server;
    RedisOptions options = server.options();
    options.key_ttl = 1s;
    options.chunk_bytes = 1000;
    std::string comm = unique_comm("crash");
    auto errors = run_ranks(3, comm, options, [](Peer& p) {
        std::vector<char> big(4000, 'c');
        if (p.rank() == 0) {
            p.send(big, 1);   // never received
            p.bcast(big, 0);  // never read
        } else if (p.rank() == 2) {
            p.backend().abort();  // a peer that fails on purpose
            return;
        }
        p.crash();  // gone without finalize
    });
    for (const auto& e : errors) EXPECT_FALSE(e);
    // 2 messages x (stream + 4 chunks), the bcast's entry record and the
    // abort marker; the crashed peers' last writes may still be in the
    // server's socket buffer for a moment.
    std::vector<std::string> left;
    EXPECT_TRUE(eventually([&] { return (left = server.scan(keys_of(options.key_prefix, comm))).size() == 12; }, 5s))
        << left.size() << " keys";
    for (const auto& key : left) {
        long long ttl = std::stoll(server.command({"PTTL", key}));
        EXPECT_GT(ttl, 0) << key;
        EXPECT_LE(ttl, 1000) << key;
    }
    EXPECT_TRUE(eventually([&] { return server.scan(keys_of(options.key_prefix, comm)).empty(); }, 10s));
}

TEST(RedisFailures, AppAndApp1DoNotCollide) {
    // Under "comm + src" naming, App1's peer 1 and App's peer 11 would share
    // keys. Run both jobs at once; each must get its own data.
    RedisServer server;
    auto job = [&](const std::string& comm, int size, int talker) {
        run_all(size, comm, server.options(), [&](Peer& p) {
            std::vector<int> mine{size * 100 + p.rank()}, got(1);
            if (p.rank() == talker) p.send(mine, 0);
            if (p.rank() == 0) {
                p.recv(got, talker);
                if (got[0] != size * 100 + talker) throw std::runtime_error(comm + ": p2p got " + std::to_string(got[0]));
            }
            std::vector<int> b{p.rank() == talker ? size : -1};
            p.bcast(b, talker);
            if (b[0] != size) throw std::runtime_error(comm + ": bcast got " + std::to_string(b[0]));
            std::vector<int> sum(1);
            p.allreduce(mine, sum, make_reduce<int>(Op::sum));
            if (sum[0] != size * size * 100 + size * (size - 1) / 2)
                throw std::runtime_error(comm + ": allreduce got " + std::to_string(sum[0]));
            p.finalize();
        });
    };
    std::thread a([&] { job("App1", 2, 1); });
    std::thread b([&] { job("App", 12, 11); });
    a.join();
    b.join();
    EXPECT_EQ(server.scan("*"), std::vector<std::string>{});
}

TEST(RedisPassword, OperationsOverAPasswordProtectedServer) {
    RedisServer server("the password");
    RedisOptions options = server.options();
    options.chunk_bytes = 64;
    std::string comm = unique_comm("password");
    run_all(4, comm, options, [](Peer& p) {
        const int n = p.size();
        std::vector<std::int64_t> v(40);
        std::iota(v.begin(), v.end(), p.rank() * 100);
        std::vector<std::int64_t> sum(40), all(40 * n), prefix(40);
        p.allreduce(v, sum, make_reduce<std::int64_t>(Op::sum));
        p.allgather(v, all);
        p.scan(v, prefix, make_reduce<std::int64_t>(Op::max));
        p.barrier();
        for (std::size_t i = 0; i < 40; ++i) {
            if (sum[i] != 100 * n * (n - 1) / 2 + n * std::int64_t(i)) throw std::runtime_error("allreduce");
            if (prefix[i] != p.rank() * 100 + std::int64_t(i)) throw std::runtime_error("scan");
            for (int src = 0; src < n; ++src)
                if (all[src * 40 + i] != src * 100 + std::int64_t(i)) throw std::runtime_error("allgather");
        }
        p.finalize();
    });
    EXPECT_EQ(server.scan(keys_of(options.key_prefix, comm)), std::vector<std::string>{});
    options.password = "not the password";
    EXPECT_THROW(Peer(0, 1, comm, options), AuthError);
}

TEST(RedisPassword, AclUserWithTheDocumentedPermissionsRunsEveryOperation) {
    // The permission list of docs/channels/redis.md, on the key prefix only.
    RedisServer server("admin");
    server.command({"ACL", "SETUSER", "fmi", "on", ">user-secret", "~fmi-test/*", "+ping", "+select", "+script|load",
                    "+evalsha", "+xadd", "+xread", "+xrange", "+set", "+get", "+getdel", "+del", "+pexpire", "+multi",
                    "+exec", "+incr", "+hsetnx", "+hget", "+hincrby"});
    RedisOptions options = server.options();
    options.user = "fmi";
    options.password = "user-secret";
    options.chunk_bytes = 64;
    std::string comm = unique_comm("acl");
    run_all(3, comm, options, [](Peer& p) {
        std::vector<std::int64_t> small{p.rank() + 1}, big(50, p.rank()), out(50), all(150);
        std::vector<std::int64_t> sum(1);
        p.allreduce(small, sum, make_reduce<std::int64_t>(Op::sum));  // exchange
        p.allreduce(big, out, make_reduce<std::int64_t>(Op::sum));    // combining peer, chunked
        p.allgather(big, all);
        p.scan(big, out, make_reduce<std::int64_t>(Op::sum));
        p.bcast(big, 1);
        std::vector<std::int64_t> none;
        p.gather(big, p.rank() == 0 ? all : none, 0);
        p.reduce(big, out, 0, make_reduce<std::int64_t>(Op::max));
        p.scatter(p.rank() == 2 ? all : none, out, 2);
        p.barrier();
        if (p.rank() == 0) p.send(big, 1);
        if (p.rank() == 1) p.recv(out, 0);
        if (sum[0] != 6) throw std::runtime_error("allreduce over ACL user: " + std::to_string(sum[0]));
        p.finalize();
    });
    EXPECT_EQ(server.scan(keys_of(options.key_prefix, comm)), std::vector<std::string>{});
    // and a failure announcement needs nothing more
    std::string failing = unique_comm("acl-fail");
    auto errors = run_ranks(2, failing, options, [](Peer& p) {
        if (p.rank() == 0) p.barrier();
    }, 300ms);
    expect_error<TimeoutError>(errors[0]);
    auto left = server.scan(keys_of(options.key_prefix, failing));
    EXPECT_NE(std::find(left.begin(), left.end(), "fmi-test/" + failing + "/abort"), left.end());
}

}  // namespace
}  // namespace fmi::test
