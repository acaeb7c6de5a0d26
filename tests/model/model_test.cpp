// The model's formulas against closed-form values, the choice rules, and the
// model section's parsing (ours, the original FMI's, FMI_MODEL).
#include "core/selector.hpp"

#include <fmi/config.hpp>
#include <fmi/errors.hpp>
#include <fmi/model.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace fmi::model {
namespace {

/// Parameters with round numbers, so expected values are easy to write down.
Params round_params() {
    Params p = default_params();
    p.direct = {1e-3, 1e6, 0.0, {}, {}, {}, 0.0, {}};    // 1 ms, 1 MB/s, no shared limit
    p.redis = {2e-3, 1e6, 2e6, {}, {}, {}, 0.0, {}};     // 2 ms, 1 MB/s, 2 MB/s together
    p.s3 = {10e-3, 1e6, 0.0, {}, {}, {}, 0.0, {}};       // 10 ms per message, 1 MB/s
    p.reduce_Bps = 1e7;
    p.prices = Prices{};
    return p;
}

Request req(Operation op, std::size_t bytes, int peers, std::size_t mib = 1024) { return {op, bytes, peers, mib}; }

TEST(ModelTime, DirectSendIsLatencyPlusBytesOverBandwidth) {
    Prediction p = predict(round_params(), ChannelKind::direct, req(Operation::send, 1000, 2));
    EXPECT_DOUBLE_EQ(p.seconds, 1e-3 + 1000 / 1e6);
    EXPECT_EQ(p.algorithm, "message");
    EXPECT_EQ(p.requests, 0);
}

TEST(ModelTime, DirectAllreduceRecursiveDoublingSteps) {
    const Params P = round_params();
    const double n = 1000;
    // 4 peers: log2 4 = 2 steps of (latency + n / bandwidth + n / reduce speed)
    EXPECT_DOUBLE_EQ(predict(P, ChannelKind::direct, req(Operation::allreduce, 1000, 4)).seconds,
                     2 * (1e-3 + n / 1e6 + n / 1e7));
    // 3 peers: P' = 2, one exchange plus the fold in and out: 3 steps
    Prediction three = predict(P, ChannelKind::direct, req(Operation::allreduce, 1000, 3));
    EXPECT_EQ(three.algorithm, "recursive_doubling");
    EXPECT_DOUBLE_EQ(three.seconds, 3 * (1e-3 + n / 1e6 + n / 1e7));
}

TEST(ModelTime, DirectAllreduceLargeUsesRabenseifnerOrRing) {
    const Params P = round_params();
    const double n = 1 << 20;
    Prediction rab = predict(P, ChannelKind::direct, req(Operation::allreduce, 1 << 20, 4));
    EXPECT_EQ(rab.algorithm, "rabenseifner");
    EXPECT_DOUBLE_EQ(rab.seconds, 4 * 1e-3 + 2 * n * 3 / 4 / 1e6 + n * 3 / 4 / 1e7);
    Prediction ring = predict(P, ChannelKind::direct, req(Operation::allreduce, 1 << 20, 5));
    EXPECT_EQ(ring.algorithm, "ring");
    EXPECT_DOUBLE_EQ(ring.seconds, 8 * 1e-3 + 2 * n * 4 / 5 / 1e6 + n * 4 / 5 / 1e7);
}

TEST(ModelTime, AggregateBandwidthLimitsConcurrentStreams) {
    Params P = round_params();
    P.direct.aggregate_bandwidth_Bps = 2e6;  // 4 streams of 1 MB/s share 2 MB/s
    const double n = 1000;
    EXPECT_DOUBLE_EQ(predict(P, ChannelKind::direct, req(Operation::allreduce, 1000, 4)).seconds,
                     2 * (1e-3 + 4 * n / 2e6 + n / 1e7));
    // a single stream is not limited by the shared figure
    EXPECT_DOUBLE_EQ(predict(P, ChannelKind::direct, req(Operation::send, 1000, 4)).seconds, 1e-3 + n / 1e6);
    // measured by job size: jobs below the first count have no shared limit
    P.direct.aggregate_at_peers = {{4, {{0, 2e6}}}, {8, {{0, 1e6}}}};
    EXPECT_DOUBLE_EQ(P.direct.aggregate(2, n), 0.0);
    EXPECT_DOUBLE_EQ(P.direct.aggregate(8, n), 1e6);
    EXPECT_DOUBLE_EQ(predict(P, ChannelKind::direct, req(Operation::allreduce, 1000, 2)).seconds,
                     1e-3 + n / 1e6 + n / 1e7);
    EXPECT_DOUBLE_EQ(predict(P, ChannelKind::direct, req(Operation::allreduce, 1000, 8)).seconds,
                     3 * (1e-3 + 8 * n / 1e6 + n / 1e7));
}

TEST(ModelTime, AggregateBySizeInterpolatesAndScalesBelowTheSmallestSize) {
    ChannelParams c{0.0, 2e6, 0.0, {}, {{1000, 4e6}, {4000, 2e6}}, {}, 0.0, {}};
    c.aggregate_at_peers = {{2, {{2000, 6e6}, {8000, 2e6}}}, {8, {{2000, 3e6}}}};
    EXPECT_DOUBLE_EQ(c.aggregate(1, 4000), 0.0);   // below the first job size: no shared limit
    EXPECT_DOUBLE_EQ(c.aggregate(2, 2000), 6e6);
    // log2 4000 is halfway between 2000 and 8000: seconds per byte halfway,
    // (1/6e6 + 1/2e6) / 2 = 1/3e6
    EXPECT_DOUBLE_EQ(c.aggregate(2, 4000), 3e6);
    EXPECT_DOUBLE_EQ(c.aggregate(2, 64000), 2e6);  // flat above the largest size
    // below the smallest size: times bandwidth(1000) / bandwidth(2000) = 4 / 3
    EXPECT_DOUBLE_EQ(c.bandwidth(2000), 3e6);
    EXPECT_DOUBLE_EQ(c.aggregate(2, 1000), 6e6 * 4 / 3);
    EXPECT_DOUBLE_EQ(c.aggregate(8, 8000), 3e6);   // one size: flat above it
    EXPECT_DOUBLE_EQ(c.aggregate(4, 2000), 4.5e6); // between job sizes, in log2(peers)
    // a value at every size (bytes 0) scales by the gain over bandwidth_Bps
    c.aggregate_at_peers = {{2, {{0, 5e6}}}};
    EXPECT_DOUBLE_EQ(c.aggregate(2, 16000), 5e6);
    EXPECT_DOUBLE_EQ(c.aggregate(2, 1000), 10e6);

    // The formulas take the limit of the request's size: a 2-peer allreduce
    // of 2000 B (recursive doubling, one exchange of 2 streams) is bound by
    // 2 x 2000 / 6e6, one of 8000 B by 2 x 8000 / 2e6.
    Params P = round_params();
    P.direct.aggregate_at_peers = {{2, {{2000, 6e6}, {8000, 2e6}}}};
    P.limits.p2p_recursive_doubling_max_bytes = 1 << 20;
    EXPECT_DOUBLE_EQ(predict(P, ChannelKind::direct, req(Operation::allreduce, 2000, 2)).seconds,
                     1e-3 + std::max(2000 / 1e6, 2 * 2000 / 6e6) + 2000 / 1e7);
    EXPECT_DOUBLE_EQ(predict(P, ChannelKind::direct, req(Operation::allreduce, 8000, 2)).seconds,
                     1e-3 + 2 * 8000 / 2e6 + 8000 / 1e7);
}

TEST(ModelTime, LatencyInterpolatesInLog2OfPeers) {
    ChannelParams c{1.0, 1.0, 0.0, {{2, 1.0}, {8, 4.0}}, {}, {}, 0.0, {}};
    EXPECT_DOUBLE_EQ(c.latency(2), 1.0);
    EXPECT_DOUBLE_EQ(c.latency(4), 2.5);   // log2 4 is halfway between log2 2 and log2 8
    EXPECT_DOUBLE_EQ(c.latency(8), 4.0);
    EXPECT_DOUBLE_EQ(c.latency(1), 1.0);   // below the table: its first value
    EXPECT_DOUBLE_EQ(c.latency(32), 4.0);  // beyond it: its last value
    ChannelParams flat{0.5, 1.0, 0.0, {}, {}, {}, 0.0, {}};
    EXPECT_DOUBLE_EQ(flat.latency(9), 0.5);
}

TEST(ModelTime, SendTakesTheMessageLatencyOfTheJobsSize) {
    // A send in a job of k peers pays message_latency(k); collectives keep
    // their step latency; without the table every job size pays latency_s.
    Params P = round_params();
    P.direct.message_latency_at_peers = {{2, 1e-3}, {8, 4e-3}};
    P.redis.message_latency_at_peers = {{2, 3e-3}};
    const double n = 1000;
    EXPECT_DOUBLE_EQ(predict(P, ChannelKind::direct, req(Operation::send, 1000, 2)).seconds, 1e-3 + n / 1e6);
    EXPECT_DOUBLE_EQ(predict(P, ChannelKind::direct, req(Operation::send, 1000, 4)).seconds, 2.5e-3 + n / 1e6);
    EXPECT_DOUBLE_EQ(predict(P, ChannelKind::direct, req(Operation::send, 1000, 8)).seconds, 4e-3 + n / 1e6);
    EXPECT_DOUBLE_EQ(predict(P, ChannelKind::redis, req(Operation::send, 1000, 8)).seconds, 3e-3 + n / 1e6);
    EXPECT_DOUBLE_EQ(predict(P, ChannelKind::s3, req(Operation::send, 1000, 8)).seconds, 10e-3 + 2 * n / 1e6);
    EXPECT_DOUBLE_EQ(predict(P, ChannelKind::direct, req(Operation::barrier, 0, 8)).seconds, 3 * 1e-3);
    Section section;
    section.params = P;
    Section again = parse_section(to_json(section));
    EXPECT_EQ(again.params.direct.message_latency_at_peers, P.direct.message_latency_at_peers);
}

TEST(ModelTime, BandwidthBySizeInterpolatesInLog2OfBytes) {
    ChannelParams c{0.0, 5.0, 0.0, {}, {{1024, 100.0}, {4096, 300.0}}, {}, 0.0, {}};
    EXPECT_DOUBLE_EQ(c.bandwidth(2048), 200.0);
    EXPECT_DOUBLE_EQ(c.bandwidth(10), 100.0);
    EXPECT_DOUBLE_EQ(c.bandwidth(1 << 20), 300.0);
    Params P = round_params();
    P.direct.bandwidth_at_bytes = {{1000, 1e6}, {4000, 4e6}};
    // a send and a collective step use the latency between 2 peers and the
    // bandwidth for the bytes they move
    P.direct.latency_at_peers = {{2, 5e-3}};
    EXPECT_DOUBLE_EQ(predict(P, ChannelKind::direct, req(Operation::send, 2000, 2)).seconds, 1e-3 + 2000 / 2.5e6);
    EXPECT_DOUBLE_EQ(predict(P, ChannelKind::direct, req(Operation::barrier, 0, 2)).seconds, 5e-3);
}

TEST(ModelTime, RedisExchangeAndReducePublish) {
    const Params P = round_params();
    // 4 peers x 8 B fit inline: one round trip, each reads 4 messages
    // (4 streams of 32 B through a 2 MB/s server), folds 3.
    Prediction small = predict(P, ChannelKind::redis, req(Operation::allreduce, 8, 4));
    EXPECT_EQ(small.algorithm, "exchange");
    EXPECT_DOUBLE_EQ(small.seconds, 2e-3 + 4 * 32 / 2e6 + 3 * 8 / 1e7);
    EXPECT_DOUBLE_EQ(small.requests, 12);  // enter, XREAD, XRANGE per peer
    // 1 MiB at 2 peers: 2 chunks of 512 KiB per message.
    const double n = 1 << 20;
    Prediction big = predict(P, ChannelKind::redis, req(Operation::allreduce, 1 << 20, 2));
    EXPECT_EQ(big.algorithm, "reduce_publish");
    // two latencies, the combiner reads 1 message, folds it, one reader reads the result
    EXPECT_DOUBLE_EQ(big.seconds, 2 * 2e-3 + n / 1e6 + n / 1e7 + n / 1e6);
    // other: 3 + ack; combiner 3 + 1 XREAD; contribution 2K + K; publish 2K + K reads (K = 2)
    EXPECT_DOUBLE_EQ(big.requests, 4 + 4 + 6 + 4 + 2);
}

TEST(ModelTime, RedisStepsWithFewerActivePeersCostLessThanAnExchangeStep) {
    // A step in which N-1 peers write or read costs m(N) + (a(N) - m(N)) (N-2)/(N-1):
    // a message's latency at 2 peers, close to the exchange's step at 8.
    Params P = round_params();
    P.redis.latency_at_peers = {{2, 3e-3}, {8, 9e-3}};
    P.redis.message_latency_at_peers = {{2, 1e-3}, {8, 2e-3}};
    P.redis.aggregate_bandwidth_Bps = 0.0;  // no shared limit: the latencies show
    const double n = 1 << 20;
    // 2 peers: two messages, the combiner folds one contribution
    EXPECT_DOUBLE_EQ(predict(P, ChannelKind::redis, req(Operation::allreduce, 1 << 20, 2)).seconds,
                     2 * 1e-3 + n / 1e6 + n / 1e7 + n / 1e6);
    // 8 peers: 7 of 8 active in each step
    const double step8 = 2e-3 + (9e-3 - 2e-3) * 6 / 7;
    EXPECT_DOUBLE_EQ(predict(P, ChannelKind::redis, req(Operation::allreduce, 1 << 20, 8)).seconds,
                     2 * step8 + 7 * n / 1e6 + 7 * n / 1e7 + n / 1e6);
    EXPECT_DOUBLE_EQ(predict(P, ChannelKind::redis, req(Operation::gather, 1000, 2)).seconds, 1e-3 + 1000 / 1e6);
    EXPECT_DOUBLE_EQ(predict(P, ChannelKind::redis, req(Operation::bcast, 1000, 8)).seconds, step8 + 1000 / 1e6);
    EXPECT_DOUBLE_EQ(predict(P, ChannelKind::redis, req(Operation::scatter, 1000, 8)).seconds,
                     step8 + 7 * 1000 / 1e6);
    // all N active: the exchange's step, whatever the message latency
    EXPECT_DOUBLE_EQ(predict(P, ChannelKind::redis, req(Operation::barrier, 0, 8)).seconds, 9e-3);
    EXPECT_DOUBLE_EQ(predict(P, ChannelKind::redis, req(Operation::allreduce, 8, 2)).seconds,
                     3e-3 + 2 * 8 / 1e6 + 8 / 1e7);
}

TEST(ModelTime, RedisSendRequestsMatchTheAlgorithmTable) {
    const Params P = round_params();
    EXPECT_DOUBLE_EQ(predict(P, ChannelKind::redis, req(Operation::send, 8, 3)).requests, 3);  // XADD; XREAD, DEL
    // 1 MiB + 1 B: 3 chunks: sender 2 x 3 more, receiver 3 GETs more
    EXPECT_DOUBLE_EQ(predict(P, ChannelKind::redis, req(Operation::send, (1 << 20) + 1, 2)).requests, 3 + 9);
    EXPECT_DOUBLE_EQ(predict(P, ChannelKind::redis, req(Operation::barrier, 0, 5)).requests, 10);
}

TEST(ModelTime, S3RequestsMatchTheAlgorithmTablePlusOneEmptyPollPerWaiter) {
    Params P = round_params();
    P.prices.s3_put_request = 5e-6;
    P.prices.s3_get_request = 4e-7;
    // docs/algorithms/s3.md, allreduce of 8 B: n=2: 2/2/0, n=4: 4/6/1, n=8: 8/14/1 (PUT/GET/LIST)
    struct Row { int peers; double put, get, list; };
    for (Row r : {Row{2, 2, 2, 0}, Row{4, 4, 6, 1}, Row{8, 8, 14, 1}}) {
        Prediction p = predict(P, ChannelKind::s3, req(Operation::allreduce, 8, r.peers));
        const double misses = r.peers - 1;
        EXPECT_DOUBLE_EQ(p.requests, r.put + r.get + r.list + misses) << r.peers;
        EXPECT_DOUBLE_EQ(p.request_dollars, (r.put + r.list) * 5e-6 + (r.get + misses) * 4e-7) << r.peers;
    }
    Prediction send = predict(P, ChannelKind::s3, req(Operation::send, 1000, 2));
    EXPECT_DOUBLE_EQ(send.seconds, 10e-3 + 2 * 1000 / 1e6);  // a message and both transfers
    EXPECT_DOUBLE_EQ(send.requests, 2.2);                    // PUT, GET, ~0.2 empty polls measured
}

TEST(ModelTime, S3AllreduceTwoPeersIsTwoMessages) {
    const Params P = round_params();
    const double n = 1000;
    Prediction p = predict(P, ChannelKind::s3, req(Operation::allreduce, 1000, 2));
    // contribution (message + put + get), fold, result (message + put + get)
    EXPECT_DOUBLE_EQ(p.seconds, 2 * 10e-3 + 2 * n / 1e6 + n / 1e7 + n / 1e6 + n / 1e6);
}

TEST(ModelPrice, FaasInfrastructureAndRequests) {
    Params P = round_params();
    P.prices.faas_gib_second = 1e-5;
    P.prices.redis_instance_per_hour = 3.6;   // $0.001 per second
    P.prices.rendezvous_vm_per_hour = 0.36;
    P.prices.infrastructure_share = 0.5;
    P.prices.operations_per_hour = 3600;      // each operation holds at least 1 s of the hour
    Prediction r = predict(P, ChannelKind::redis, req(Operation::barrier, 0, 4, 2048));
    EXPECT_DOUBLE_EQ(r.faas_dollars, 4 * 2.0 * r.seconds * 1e-5);
    EXPECT_DOUBLE_EQ(r.infrastructure_dollars, 3.6 * 0.5 * (1.0 / 3600));  // 2 ms < 1 s: the share of the hour
    EXPECT_DOUBLE_EQ(r.dollars(), r.faas_dollars + r.infrastructure_dollars);
    // An operation longer than its share of the hour pays for its time.
    Prediction big = predict(P, ChannelKind::direct, req(Operation::send, 4'000'000, 8, 1024));
    EXPECT_DOUBLE_EQ(big.infrastructure_dollars, 0.36 * 0.5 * big.seconds / 3600);
    EXPECT_DOUBLE_EQ(big.faas_dollars, 2 * 1.0 * big.seconds * 1e-5);  // a send bills its two peers
    P.prices.transfer_per_gb = 0.02;
    Prediction s3 = predict(P, ChannelKind::s3, req(Operation::send, 1'000'000, 2));
    EXPECT_DOUBLE_EQ(s3.transfer_dollars, 2e6 / 1e9 * 0.02);  // in and out of the store
    EXPECT_DOUBLE_EQ(s3.infrastructure_dollars, 0);
}

TEST(ModelPrice, OnePeerIsALocalCopy) {
    Prediction p = predict(round_params(), ChannelKind::s3, req(Operation::allreduce, 1 << 20, 1));
    EXPECT_EQ(p.algorithm, "local");
    EXPECT_EQ(p.seconds, 0);
    EXPECT_EQ(p.dollars(), 0);
    EXPECT_THROW(predict(round_params(), ChannelKind::s3, req(Operation::send, 1, 0)), UsageError);
}

const std::vector<ChannelKind> all{ChannelKind::direct, ChannelKind::redis, ChannelKind::s3};

TEST(ModelChoice, FastTakesLeastTimeCheapLeastPrice) {
    Params P = round_params();
    P.prices.s3_put_request = 1e-9;  // S3 almost free, direct and redis pay hours
    P.prices.rendezvous_vm_per_hour = 1.0;
    P.prices.redis_instance_per_hour = 2.0;
    Request r = req(Operation::allreduce, 8, 2);
    Explanation fast = choose(P, all, r, Hint::fast, {});
    EXPECT_EQ(fast.chosen, ChannelKind::direct);
    EXPECT_EQ(fast.reason, "least predicted time");
    ASSERT_EQ(fast.candidates.size(), 3u);
    Explanation cheap = choose(P, all, r, Hint::cheap, {});
    EXPECT_EQ(cheap.chosen, ChannelKind::s3);
    for (const Candidate& c : cheap.candidates)
        EXPECT_GE(c.prediction.dollars(), cheap.candidates[2].prediction.dollars());
    EXPECT_NE(cheap.to_string().find("s3 collect_publish"), std::string::npos) << cheap.to_string();
}

TEST(ModelChoice, BudgetsConstrainTheOtherQuantity) {
    Params P = round_params();
    P.prices.s3_put_request = 1e-9;
    P.prices.rendezvous_vm_per_hour = 1.0;
    P.prices.redis_instance_per_hour = 0.5;
    Request r = req(Operation::allreduce, 8, 2);
    const double direct_price = predict(P, ChannelKind::direct, r).dollars();
    const double redis_price = predict(P, ChannelKind::redis, r).dollars();
    ASSERT_LT(redis_price, direct_price);
    // fastest within a price that excludes direct: redis (faster than s3)
    Explanation e = choose(P, all, r, Hint::fast, Budget{0, (redis_price + direct_price) / 2});
    EXPECT_EQ(e.chosen, ChannelKind::redis);
    EXPECT_FALSE(e.candidates[0].within_budget);
    // cheapest within a time that excludes s3: redis (cheaper than direct)
    const double redis_time = predict(P, ChannelKind::redis, r).seconds;
    e = choose(P, all, r, Hint::cheap, Budget{redis_time * 1.01, 0});
    EXPECT_EQ(e.chosen, ChannelKind::redis);
    // nothing within a tiny time: the closest (direct, the fastest)
    e = choose(P, all, r, Hint::cheap, Budget{1e-9, 0});
    EXPECT_EQ(e.chosen, ChannelKind::direct);
    EXPECT_NE(e.reason.find("closest"), std::string::npos);
}

TEST(ModelChoice, PinWinsAndMustBeAvailable) {
    const Params P = round_params();
    Request r = req(Operation::send, 8, 2);
    EXPECT_EQ(choose(P, all, r, Hint::fast, {}, ChannelKind::s3).chosen, ChannelKind::s3);
    EXPECT_THROW(choose(P, {ChannelKind::direct}, r, Hint::fast, {}, ChannelKind::redis), ConfigError);
    EXPECT_THROW(choose(P, {}, r, Hint::fast, {}), ConfigError);
}

TEST(ModelDefaults, OriginalMeasurementsGiveTheExpectedExtremes) {
    const Params P = default_params();
    EXPECT_DOUBLE_EQ(P.direct.latency_s, 0.41e-3);
    EXPECT_DOUBLE_EQ(P.s3.bandwidth_Bps, 54e6);
    // fast: direct at 2 and 8 peers, small and large (lowest latency, highest
    // bandwidth); at 32 peers 5 direct steps of 0.41 ms take longer than
    // Redis's single 2 ms exchange round trip.
    for (std::size_t bytes : {std::size_t{8}, std::size_t{16} << 20})
        for (int peers : {2, 8})
            EXPECT_EQ(choose(P, all, req(Operation::allreduce, bytes, peers, 2048), Hint::fast, {}).chosen,
                      ChannelKind::direct);
    // cheap: a rare tiny allreduce at 2 peers costs two PUTs on S3, less
    // than a thousandth of an hour of the VM; at 32 peers S3's requests cost more.
    // (128 MiB functions, the default)
    EXPECT_EQ(choose(P, all, req(Operation::allreduce, 8, 2, 128), Hint::cheap, {}).chosen, ChannelKind::s3);
    EXPECT_EQ(choose(P, all, req(Operation::allreduce, 8, 32, 128), Hint::cheap, {}).chosen, ChannelKind::direct);
    // 16 MiB at 8 peers of 2 GiB: S3's seconds of FaaS time dominate
    EXPECT_EQ(choose(P, all, req(Operation::allreduce, 16 << 20, 8, 2048), Hint::cheap, {}).chosen,
              ChannelKind::direct);
}

TEST(ModelSection, OursRoundTripsAndOverridesDefaults) {
    Section s = parse_section(R"({"source": "test", "redis": {"latency_s": 0.001, "latency_at_peers": {"2": 0.001, "8": 0.004}},
        "prices": {"infrastructure_share": 0.25}, "pin": {"allreduce": "redis"}, "budget": {"max_seconds": 0.5}})");
    EXPECT_EQ(s.params.source, "test");
    EXPECT_DOUBLE_EQ(s.params.redis.latency_s, 0.001);
    EXPECT_DOUBLE_EQ(s.params.redis.latency(8), 0.004);
    EXPECT_DOUBLE_EQ(s.params.redis.bandwidth_Bps, 96e6);  // default kept
    EXPECT_DOUBLE_EQ(s.params.prices.infrastructure_share, 0.25);
    EXPECT_EQ(s.pins.at(Operation::allreduce), ChannelKind::redis);
    EXPECT_DOUBLE_EQ(s.budget.max_seconds, 0.5);
    s.params.s3.bandwidth_at_bytes = {{65536, 1e7}, {1u << 20, 2e7}};
    Section again = parse_section(to_json(s));
    EXPECT_EQ(again.params.s3.bandwidth_at_bytes, s.params.s3.bandwidth_at_bytes);
    EXPECT_EQ(again.params.redis.latency_at_peers, s.params.redis.latency_at_peers);
    EXPECT_EQ(again.pins, s.pins);
    EXPECT_DOUBLE_EQ(again.params.prices.faas_gib_second, s.params.prices.faas_gib_second);
    EXPECT_DOUBLE_EQ(again.budget.max_seconds, 0.5);
}

TEST(ModelSection, OriginalFormatIsConvertedToSeconds) {
    Section s = parse_section(R"({
      "FaaS":   {"gib_second_price": 0.0000166667},
      "S3":     {"bandwidth": 50.0, "overhead": 40.4, "transfer_price": 0.0, "download_price": 0.00000043, "upload_price": 0.0000054},
      "Redis":  {"bandwidth_single": 100.0, "bandwidth_multiple": 400.0, "overhead": 5.2, "transfer_price": 0.0,
                 "instance_price": 0.038, "requests_per_hour": 1000, "include_infrastructure_costs": true},
      "Direct": {"bandwidth": 400.0, "overhead": 0.34, "transfer_price": 0.0, "vm_price": 0.0134,
                 "requests_per_hour": 1000, "include_infrastructure_costs": false}})");
    EXPECT_DOUBLE_EQ(s.params.s3.bandwidth_Bps, 50e6);
    EXPECT_DOUBLE_EQ(s.params.s3.latency_s, 0.0404);
    EXPECT_DOUBLE_EQ(s.params.redis.aggregate_bandwidth_Bps, 400e6);
    EXPECT_DOUBLE_EQ(s.params.redis.latency_s, 0.0052);
    EXPECT_DOUBLE_EQ(s.params.direct.latency_s, 0.00034);
    EXPECT_DOUBLE_EQ(s.params.prices.s3_put_request, 0.0000054);
    EXPECT_DOUBLE_EQ(s.params.prices.redis_instance_per_hour, 0.038);
    EXPECT_DOUBLE_EQ(s.params.prices.rendezvous_vm_per_hour, 0.0);  // infrastructure excluded
}

void expect_config_error(const std::string& text, const std::string& field) {
    try {
        parse_section(text, "test.json");
        ADD_FAILURE() << "accepted " << text;
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.field(), field) << e.what();
        EXPECT_NE(std::string(e.what()).find("test.json"), std::string::npos) << e.what();
    }
}

TEST(ModelSection, BadInputNamesTheField) {
    expect_config_error(R"({"redis": {"latency": 1}})", "model.redis.latency");
    expect_config_error(R"({"direct": {"bandwidth_Bps": 0}})", "model.direct.bandwidth_Bps");
    expect_config_error(R"({"s3": {"latency_s": -1}})", "model.s3.latency_s");
    expect_config_error(R"({"s3": {"latency_s": "fast"}})", "model.s3.latency_s");
    expect_config_error(R"({"pin": {"alreduce": "direct"}})", "model.pin.alreduce");
    expect_config_error(R"({"pin": {"send": "sqs"}})", "model.pin.send");
    expect_config_error(R"({"redis": {"latency_at_peers": {"two": 1}}})", "model.redis.latency_at_peers.two");
    expect_config_error(R"({"redis": {"bandwidth_at_bytes": {"64": 0}}})", "model.redis.bandwidth_at_bytes.64");
    expect_config_error(R"({"Redis": {"requests_per_hour": 10}, "Direct": {"requests_per_hour": 20}})",
                        "model.Direct.requests_per_hour");
    expect_config_error(R"({"FaaS": {}, "prices": {}})", "model.prices");
    expect_config_error(R"([1])", "model");
}


TEST(ModelSection, AggregateTableByPeersAndBytesRoundTrips) {
    Section s = parse_section(R"({"direct": {"aggregate_at_peers": {"4": 3e9, "8": {"2097152": 5e9, "16777216": 2e9}}}})");
    const std::map<int, std::map<std::size_t, double>> expected = {
        {4, {{0, 3e9}}}, {8, {{2097152, 5e9}, {16777216, 2e9}}}};
    EXPECT_EQ(s.params.direct.aggregate_at_peers, expected);
    Section again = parse_section(to_json(s));
    EXPECT_EQ(again.params.direct.aggregate_at_peers, expected);
    EXPECT_NE(to_json(s).find("\"4\": 3"), std::string::npos) << "a value at every size is written as a number";
    expect_config_error(R"({"direct": {"aggregate_at_peers": {"8": {"0": 1e9}}}})",
                        "model.direct.aggregate_at_peers.8.0");
    expect_config_error(R"({"direct": {"aggregate_at_peers": {"8": {"1024": -1}}}})",
                        "model.direct.aggregate_at_peers.8.1024");
    expect_config_error(R"({"direct": {"aggregate_at_peers": {"8": {}}}})", "model.direct.aggregate_at_peers.8");
    expect_config_error(R"({"direct": {"aggregate_at_peers": {"0": 1e9}}})", "model.direct.aggregate_at_peers.0");
    expect_config_error(R"({"direct": {"aggregate_at_peers": {"8": "fast"}}})", "model.direct.aggregate_at_peers.8");
}

// ---- algorithm pins ---------------------------------------------------------

Request with_algorithm(Operation op, std::size_t bytes, int peers, std::string algorithm) {
    Request r = req(op, bytes, peers);
    r.algorithm = std::move(algorithm);
    return r;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// Predicted seconds of `algorithm` on the direct channel.
double direct_seconds(const Params& P, Operation op, std::size_t bytes, int peers, const char* algorithm) {
    return predict(P, ChannelKind::direct, with_algorithm(op, bytes, peers, algorithm)).seconds;
}

TEST(ModelAlgorithms, NamesPerChannelAndOperation) {
    using V = std::vector<std::string>;
    EXPECT_EQ(algorithms(ChannelKind::direct, Operation::allreduce), (V{"recursive_doubling", "rabenseifner", "ring"}));
    EXPECT_EQ(algorithms(ChannelKind::direct, Operation::bcast), (V{"binomial", "scatter_allgather"}));
    EXPECT_EQ(algorithms(ChannelKind::direct, Operation::scan), (V{"recursive_doubling", "linear"}));
    EXPECT_EQ(algorithms(ChannelKind::direct, Operation::barrier), (V{"dissemination"}));
    EXPECT_EQ(algorithms(ChannelKind::redis, Operation::allreduce), (V{"exchange", "reduce_publish"}));
    EXPECT_EQ(algorithms(ChannelKind::redis, Operation::allgather), (V{"exchange", "publish"}));
    EXPECT_EQ(algorithms(ChannelKind::redis, Operation::scan), (V{"exchange", "publish_prefix"}));
    EXPECT_EQ(algorithms(ChannelKind::redis, Operation::scatter), (V{"direct"}));
    EXPECT_EQ(algorithms(ChannelKind::s3, Operation::allreduce), (V{"collect_publish"}));
    EXPECT_EQ(algorithms(ChannelKind::s3, Operation::send), (V{"put_get"}));
    EXPECT_EQ(algorithms(Operation::allreduce),
              (V{"recursive_doubling", "rabenseifner", "ring", "exchange", "reduce_publish", "collect_publish"}));
    // every name is what predict() reports when that algorithm is asked for
    for (ChannelKind kind : {ChannelKind::direct, ChannelKind::redis, ChannelKind::s3})
        for (Operation op : {Operation::send, Operation::bcast, Operation::barrier, Operation::gather,
                             Operation::scatter, Operation::allgather, Operation::reduce, Operation::allreduce,
                             Operation::scan})
            for (const std::string& name : algorithms(kind, op))
                EXPECT_EQ(predict(round_params(), kind, with_algorithm(op, 1000, 4, name)).algorithm, name);
}

TEST(ModelAlgorithms, AutomaticChoiceIsOneOfTheAlgorithmsWithTheSameFormula) {
    const Params P = round_params();
    for (ChannelKind kind : {ChannelKind::direct, ChannelKind::redis})
        for (Operation op : {Operation::bcast, Operation::allgather, Operation::allreduce, Operation::scan})
            for (std::size_t bytes : {std::size_t{0}, std::size_t{8}, std::size_t{100000}, std::size_t{1} << 22})
                for (int peers : {2, 3, 4, 7, 8}) {
                    Prediction automatic = predict(P, kind, req(op, bytes, peers));
                    Prediction pinned = predict(P, kind, with_algorithm(op, bytes, peers, automatic.algorithm));
                    EXPECT_EQ(pinned.seconds, automatic.seconds) << automatic.algorithm;
                    EXPECT_EQ(pinned.requests, automatic.requests) << automatic.algorithm;
                }
}

TEST(ModelTime, PinnedDirectAllreduceAlgorithms) {
    const Params P = round_params();
    const double n = 1000, big = 1 << 20;
    // 1000 B at 4 peers, below the recursive-doubling limit
    EXPECT_DOUBLE_EQ(direct_seconds(P, Operation::allreduce, 1000, 4, "rabenseifner"),
                     4 * 1e-3 + 2 * n * 3 / 4 / 1e6 + n * 3 / 4 / 1e7);
    EXPECT_DOUBLE_EQ(direct_seconds(P, Operation::allreduce, 1000, 4, "ring"),
                     6 * 1e-3 + 2 * n * 3 / 4 / 1e6 + n * 3 / 4 / 1e7);
    // 1 MiB at 4 peers by recursive doubling: 2 exchanges of the whole message
    EXPECT_DOUBLE_EQ(direct_seconds(P, Operation::allreduce, 1 << 20, 4, "recursive_doubling"),
                     2 * (1e-3 + big / 1e6 + big / 1e7));
    // Rabenseifner at 3 peers folds: peer 0 sends n to peer 1 (folded there),
    // P' = 2 halve and double (2 steps, n/2 each way), peer 1 hands back n
    EXPECT_DOUBLE_EQ(direct_seconds(P, Operation::allreduce, 1000, 3, "rabenseifner"),
                     2 * 1e-3 + 2 * n / 2 / 1e6 + n / 2 / 1e7 + 2 * (1e-3 + n / 1e6) + n / 1e7);
    EXPECT_DOUBLE_EQ(direct_seconds(P, Operation::allreduce, 1000, 3, "ring"),
                     4 * 1e-3 + 2 * n * 2 / 3 / 1e6 + n * 2 / 3 / 1e7);
}

TEST(ModelTime, PinnedDirectBcastAndScanAlgorithms) {
    Params P = round_params();
    const double n = 1000;
    // scatter (2 steps, the root sends 3/4 n) + ring allgather (3 steps of n/4)
    EXPECT_DOUBLE_EQ(direct_seconds(P, Operation::bcast, 1000, 4, "scatter_allgather"),
                     2 * 1e-3 + 750 / 1e6 + 3 * (1e-3 + 250 / 1e6));
    EXPECT_DOUBLE_EQ(direct_seconds(P, Operation::bcast, 1000, 4, "binomial"),
                     2 * (1e-3 + n / 1e6));
    // the linear chain: 4 hops of one segment at 5 peers
    EXPECT_DOUBLE_EQ(direct_seconds(P, Operation::scan, 1000, 5, "linear"),
                     4 * (1e-3 + n / 1e6 + n / 1e7));
    // in 3 segments the chain pipelines: 4 + 2 segment steps
    P.limits.p2p_segment_bytes = 400;
    const double x = n / 3;
    EXPECT_DOUBLE_EQ(direct_seconds(P, Operation::scan, 1000, 5, "linear"),
                     6 * (1e-3 + x / 1e6 + x / 1e7));
}

TEST(ModelTime, PinnedRedisAlgorithms) {
    const Params P = round_params();
    // 1 MiB at 2 peers by exchange: one round trip, each reads both messages
    // (2 streams of 2 MiB through a 2 MB/s server), folds one; 3 requests each
    const double n = 1 << 20;
    Prediction exchange = predict(P, ChannelKind::redis, with_algorithm(Operation::allreduce, 1 << 20, 2, "exchange"));
    EXPECT_DOUBLE_EQ(exchange.seconds, 2e-3 + 2 * 2 * n / 2e6 + n / 1e7);
    EXPECT_DOUBLE_EQ(exchange.requests, 6);
    // 8 B at 4 peers by reduce + publish: 3 contributions to the combining
    // peer, then one result read by 3 (3 streams of 8 B through 2 MB/s)
    Prediction rp = predict(P, ChannelKind::redis, with_algorithm(Operation::allreduce, 8, 4, "reduce_publish"));
    EXPECT_DOUBLE_EQ(rp.seconds, 2 * 2e-3 + 24 / 1e6 + 24 / 1e7 + 3 * 8 / 2e6);
    EXPECT_DOUBLE_EQ(rp.requests, 3 * 3 + 3 + 3);  // others: enter, post, XREAD; combiner: enter, DEL, post + 3 XREAD
    // allgather of 8 B at 3 peers by publishing: each reads 2 messages
    Prediction pub = predict(P, ChannelKind::redis, with_algorithm(Operation::allgather, 8, 3, "publish"));
    EXPECT_DOUBLE_EQ(pub.seconds, 2e-3 + 3 * 16 / 2e6);
    EXPECT_DOUBLE_EQ(pub.requests, 3 * (2 + 2));
}

TEST(ModelAlgorithms, WhatAChannelCannotRun) {
    EXPECT_EQ(cannot_run(ChannelKind::direct, req(Operation::allreduce, 8, 4)), "");  // nothing asked for
    EXPECT_EQ(cannot_run(ChannelKind::direct, with_algorithm(Operation::allreduce, 8, 3, "rabenseifner")), "");
    EXPECT_EQ(cannot_run(ChannelKind::direct, with_algorithm(Operation::allreduce, 8, 4, "exchange")),
              "direct runs recursive_doubling or rabenseifner or ring for allreduce, not exchange");
    // the exchange inlines each message in one argument: up to 512 MiB with its header
    const std::size_t limit = (std::size_t{512} << 20) - 40;
    EXPECT_EQ(cannot_run(ChannelKind::redis, with_algorithm(Operation::allreduce, limit, 4, "exchange")), "");
    const std::string over =
        cannot_run(ChannelKind::redis, with_algorithm(Operation::allreduce, limit + 1, 4, "exchange"));
    EXPECT_TRUE(contains(over, "proto-max-bulk-len")) << over;
    EXPECT_EQ(cannot_run(ChannelKind::redis, with_algorithm(Operation::allreduce, limit + 1, 1, "exchange")), "");
    EXPECT_EQ(cannot_run(ChannelKind::redis, with_algorithm(Operation::allreduce, limit + 1, 4, "reduce_publish")), "");
    EXPECT_THROW(predict(round_params(), ChannelKind::direct, with_algorithm(Operation::allreduce, 8, 4, "exchange")),
                 UsageError);
    // one peer: a local copy whatever the algorithm
    Prediction alone = predict(round_params(), ChannelKind::direct, with_algorithm(Operation::allreduce, 8, 1, "ring"));
    EXPECT_EQ(alone.algorithm, "local");
}

TEST(ModelChoice, AlgorithmPinNarrowsTheCandidates) {
    Params P = round_params();
    Request ring = with_algorithm(Operation::allreduce, 8, 4, "ring");
    Explanation e = choose(P, all, ring, Hint::cheap, {});
    EXPECT_EQ(e.chosen, ChannelKind::direct);
    ASSERT_EQ(e.candidates.size(), 1u);
    EXPECT_EQ(e.candidates[0].prediction.algorithm, "ring");
    ASSERT_EQ(e.excluded.size(), 2u);
    EXPECT_EQ(e.excluded[0].channel, ChannelKind::redis);
    EXPECT_EQ(e.excluded[0].reason, "redis runs exchange or reduce_publish for allreduce, not ring");
    EXPECT_EQ(e.excluded[1].channel, ChannelKind::s3);
    EXPECT_EQ(e.reason, "the only enabled channel that runs ring");
    const std::string text = e.to_string();
    EXPECT_TRUE(contains(text, "allreduce of 8 B at 4 peers, algorithm ring, hint cheap: direct (the only")) << text;
    EXPECT_TRUE(contains(text, "direct ring: ")) << text;
    EXPECT_TRUE(contains(text, "not both commutative and associative run ordered instead")) << text;
    EXPECT_TRUE(contains(text, "redis: left out: redis runs exchange or reduce_publish")) << text;
    // the exchange runs on Redis only: chosen even where direct is faster
    Request exchange = with_algorithm(Operation::allreduce, 8, 4, "exchange");
    Explanation x = choose(P, all, exchange, Hint::fast, {});
    EXPECT_EQ(x.chosen, ChannelKind::redis);
    EXPECT_EQ(x.reason, "the only enabled channel that runs exchange");
    EXPECT_LT(predict(P, ChannelKind::direct, req(Operation::allreduce, 8, 4)).seconds,
              x.candidates[0].prediction.seconds);
    // with the channel pinned too, that channel runs it
    EXPECT_EQ(choose(P, all, ring, Hint::fast, {}, ChannelKind::direct).reason, "pinned");
}

void expect_usage_error(const std::function<void()>& f, const std::vector<std::string>& parts) {
    try {
        f();
        ADD_FAILURE() << "no UsageError";
    } catch (const UsageError& e) {
        for (const std::string& part : parts) EXPECT_TRUE(contains(e.what(), part)) << e.what() << " lacks " << part;
    }
}

TEST(ModelChoice, AlgorithmNoChannelRunsIsAUsageErrorNamingEverything) {
    const Params P = round_params();
    Request exchange = with_algorithm(Operation::allreduce, 8, 4, "exchange");
    expect_usage_error([&] { choose(P, {ChannelKind::direct, ChannelKind::s3}, exchange, Hint::fast, {}); },
                       {"allreduce of 8 B at 4 peers", "'exchange'", "direct runs recursive_doubling",
                        "'exchange' runs on redis"});
    expect_usage_error([&] { choose(P, all, exchange, Hint::fast, {}, ChannelKind::direct); },
                       {"allreduce of 8 B at 4 peers", "'exchange' is pinned with channel direct", "runs on redis"});
    // enabled, but not at this size
    Request huge = with_algorithm(Operation::allgather, std::size_t{600} << 20, 2, "exchange");
    expect_usage_error([&] { choose(P, all, huge, Hint::fast, {}); },
                       {"allgather of 629145600 B at 2 peers", "proto-max-bulk-len", "'exchange' runs on redis"});
    // a channel pin that is not enabled stays a ConfigError
    EXPECT_THROW(choose(P, {ChannelKind::direct}, exchange, Hint::fast, {}, ChannelKind::redis), ConfigError);
}

TEST(ModelSection, AlgorithmPinsParseAndRoundTrip) {
    Section s = parse_section(
        R"({"pin": {"allreduce": "direct/ring", "scan": "*/publish_prefix", "barrier": "redis",
                    "bcast": "direct/scatter_allgather"}})");
    EXPECT_EQ(s.pins, (std::map<Operation, ChannelKind>{{Operation::allreduce, ChannelKind::direct},
                                                        {Operation::barrier, ChannelKind::redis},
                                                        {Operation::bcast, ChannelKind::direct}}));
    EXPECT_EQ(s.algorithm_pins, (std::map<Operation, std::string>{{Operation::allreduce, "ring"},
                                                                  {Operation::scan, "publish_prefix"},
                                                                  {Operation::bcast, "scatter_allgather"}}));
    const std::string text = to_json(s);
    EXPECT_TRUE(contains(text, R"("allreduce": "direct/ring")")) << text;
    EXPECT_TRUE(contains(text, R"("scan": "*/publish_prefix")")) << text;
    EXPECT_TRUE(contains(text, R"("barrier": "redis")")) << text;
    Section again = parse_section(text);
    EXPECT_EQ(again.pins, s.pins);
    EXPECT_EQ(again.algorithm_pins, s.algorithm_pins);
}

TEST(ModelSection, BadAlgorithmPinsListTheValidNames) {
    for (const char* text :
         {R"({"pin": {"allreduce": "direct/exchange"}})", R"({"pin": {"allreduce": "*/fastest"}})"}) {
        try {
            parse_section(text, "test.json");
            ADD_FAILURE() << "accepted " << text;
        } catch (const ConfigError& e) {
            EXPECT_EQ(e.field(), "model.pin.allreduce");
            EXPECT_TRUE(contains(e.what(), "direct: recursive_doubling, rabenseifner, ring; redis: exchange, "
                                           "reduce_publish; s3: collect_publish"))
                << e.what();
        }
    }
    expect_config_error(R"({"pin": {"scan": "*"}})", "model.pin.scan");
    expect_config_error(R"({"pin": {"scan": "direct/"}})", "model.pin.scan");
    expect_config_error(R"({"pin": {"scan": "/linear"}})", "model.pin.scan");
    expect_config_error(R"({"pin": {"scan": "redis/linear"}})", "model.pin.scan");
    expect_config_error(R"({"pin": {"scan": 3}})", "model.pin.scan");
}
}  // namespace
}  // namespace fmi::model

namespace fmi::detail {
namespace {

TEST(Selector, ConfigPinsBudgetAndLimits) {
    Config config;
    config.redis.chunk_bytes = 1000;
    config.model_json = R"({"pin": {"barrier": "redis"}, "budget": {"max_dollars": 1}})";
    Selector sel({ChannelKind::direct, ChannelKind::redis}, config, 4);
    EXPECT_EQ(sel.choose(OpKind::barrier, 0, Hint::fast), ChannelKind::redis);
    EXPECT_EQ(sel.choose(OpKind::send, 8, Hint::fast), ChannelKind::direct);
    EXPECT_DOUBLE_EQ(sel.budget().max_dollars, 1);
    EXPECT_EQ(sel.params().limits.redis_chunk_bytes, 1000u);
    // the user's pins: per operation over global, nullopt returns to the model
    sel.pin_all(ChannelKind::redis);
    EXPECT_EQ(sel.choose(OpKind::send, 8, Hint::fast), ChannelKind::redis);
    sel.pin(Operation::send, ChannelKind::direct);
    EXPECT_EQ(sel.choose(OpKind::send, 8, Hint::fast), ChannelKind::direct);
    sel.pin(Operation::send, std::nullopt);
    sel.pin_all(std::nullopt);
    EXPECT_EQ(sel.choose(OpKind::send, 8, Hint::fast), ChannelKind::direct);
    EXPECT_THROW(sel.pin(Operation::send, ChannelKind::s3), ConfigError);
    EXPECT_EQ(sel.explain(Operation::allreduce, 8, Hint::fast).request.peers, 4);
}

TEST(Selector, GlobalConfigPinAndBadSection) {
    Config config;
    config.channel = ChannelKind::s3;
    EXPECT_THROW(Selector({ChannelKind::direct}, config, 2), ConfigError);
    config.channel.reset();
    config.model_json = R"({"pin": {"scan": "s3"}})";
    EXPECT_THROW(Selector({ChannelKind::direct}, config, 2), ConfigError);
    config.model_json = R"({"typo": 1})";
    EXPECT_THROW(Selector({ChannelKind::direct}, config, 2), ConfigError);
}

TEST(Selector, AlgorithmPins) {
    Config config;
    config.model_json = R"({"pin": {"allreduce": "*/ring"}})";
    Selector sel({ChannelKind::direct, ChannelKind::redis}, config, 4);
    const model::Explanation& e = sel.explain(Operation::allreduce, 8, Hint::fast);
    EXPECT_EQ(e.request.algorithm, "ring");
    EXPECT_EQ(e.chosen, ChannelKind::direct);
    EXPECT_EQ(e.candidates.at(0).prediction.algorithm, "ring");
    // a new pin forgets the cached choice
    sel.pin_algorithm(Operation::allreduce, "exchange");
    EXPECT_EQ(sel.explain(Operation::allreduce, 8, Hint::fast).chosen, ChannelKind::redis);
    EXPECT_EQ(sel.explain(Operation::allreduce, 8, Hint::fast).request.algorithm, "exchange");
    sel.pin_algorithm(Operation::allreduce, std::nullopt);
    EXPECT_EQ(sel.explain(Operation::allreduce, 8, Hint::fast).request.algorithm, "");
    EXPECT_EQ(sel.explain(Operation::allreduce, 8, Hint::fast).candidates.size(), 2u);
    // unknown names and names no enabled channel runs: UsageError at once
    try {
        sel.pin_algorithm(Operation::bcast, "ring");
        ADD_FAILURE() << "accepted ring for bcast";
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("direct: binomial, scatter_allgather; redis: publish; s3: one_put"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_THROW(sel.pin_algorithm(Operation::allreduce, "collect_publish"), UsageError);
    // the channel pin and the algorithm pin must agree when the operation runs
    sel.pin_all(ChannelKind::redis);
    sel.pin_algorithm(Operation::allreduce, "rabenseifner");
    EXPECT_THROW(sel.explain(Operation::allreduce, 8, Hint::fast), UsageError);
    sel.pin(Operation::allreduce, ChannelKind::direct);
    EXPECT_EQ(sel.explain(Operation::allreduce, 8, Hint::fast).chosen, ChannelKind::direct);
}

TEST(Selector, ConfigAlgorithmPinOnADisabledChannel) {
    Config config;
    config.model_json = R"({"pin": {"allgather": "*/publish"}})";
    try {
        Selector({ChannelKind::direct}, config, 2);
        ADD_FAILURE() << "accepted";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.field(), "pin.allgather");
        EXPECT_NE(std::string(e.what()).find("runs on redis, which is not enabled"), std::string::npos) << e.what();
    }
}

TEST(Selector, ModelFileFromTheEnvironment) {
    const std::string path = testing::TempDir() + "fmi_model_env_test.json";
    {
        std::ofstream out(path);
        out << R"({"model": {"direct": {"latency_s": 0.125}}})";
    }
    Config config;
    apply_environment(config, [&](std::string_view name) -> std::optional<std::string> {
        if (name == "FMI_MODEL") return path;
        return std::nullopt;
    });
    EXPECT_DOUBLE_EQ(model::parse_section(config.model_json).params.direct.latency_s, 0.125);
    std::remove(path.c_str());
    EXPECT_THROW(apply_environment(config,
                                   [&](std::string_view name) -> std::optional<std::string> {
                                       if (name == "FMI_MODEL") return path + ".missing";
                                       return std::nullopt;
                                   }),
                 ConfigError);
}

}  // namespace
}  // namespace fmi::detail
