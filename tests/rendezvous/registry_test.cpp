// The server's bookkeeping rules, without sockets: completion, refusals,
// bounds, disconnects and expiry.
#include "rendezvous/registry.hpp"

#include <gtest/gtest.h>

namespace fmi::detail::rendezvous {
namespace {

using std::chrono::milliseconds;

RegisterMessage reg(const std::string& comm, std::uint32_t id, std::uint32_t count) {
    RegisterMessage m;
    m.comm = comm;
    m.peer_id = id;
    m.peer_count = count;
    m.endpoints = {{"10.1." + std::to_string(id) + ".1", static_cast<std::uint16_t>(2000 + id)}};
    return m;
}

Endpoint seen(std::uint32_t id) { return {"198.51.100." + std::to_string(id), static_cast<std::uint16_t>(60000 + id)}; }

class RegistryTest : public ::testing::Test {
protected:
    RegistryLimits limits{4, 2, milliseconds(100)};
    Registry registry{limits};
    Clock::time_point t0 = Clock::now();

    Registry::Outcome add(ClientId client, const RegisterMessage& m) {
        return registry.add(client, m, seen(m.peer_id), t0);
    }
    ErrorCode refusal(ClientId client, const RegisterMessage& m) {
        auto out = add(client, m);
        EXPECT_TRUE(out.error.has_value());
        return out.error ? out.error->code : ErrorCode::shutting_down;
    }
};

TEST_F(RegistryTest, CompleteCommunicatorAnswersEveryoneAndIsForgotten) {
    // Register out of order: 2, 0, 1.
    EXPECT_FALSE(add(12, reg("c", 2, 3)).answer);
    EXPECT_FALSE(add(10, reg("c", 0, 3)).answer);
    auto out = add(11, reg("c", 1, 3));
    ASSERT_FALSE(out.error);
    ASSERT_TRUE(out.answer);
    EXPECT_EQ(out.answer_to, (std::vector<ClientId>{10, 11, 12}));  // by peer id
    auto frame = parse_frame(*out.answer, out.answer->size());
    ASSERT_TRUE(frame);
    PeersMessage peers = decode_peers(frame->payload);
    EXPECT_EQ(peers.comm, "c");
    ASSERT_EQ(peers.peers.size(), 3u);
    for (std::uint32_t i = 0; i < 3; ++i) {
        EXPECT_EQ(peers.peers[i].id, i);
        EXPECT_EQ(peers.peers[i].private_endpoints, reg("c", i, 3).endpoints);
        EXPECT_EQ(peers.peers[i].public_endpoint, seen(i));
    }
    EXPECT_EQ(registry.communicators(), 0u);
    EXPECT_EQ(registry.registrations(), 0u);
    // The name is free again, even with another count.
    EXPECT_FALSE(add(20, reg("c", 0, 2)).error);
}

TEST_F(RegistryTest, WorldOfOneCompletesAtOnce) {
    auto out = add(1, reg("solo", 0, 1));
    ASSERT_TRUE(out.answer);
    EXPECT_EQ(out.answer_to, std::vector<ClientId>{1});
}

TEST_F(RegistryTest, CountDisagreementIsRefused) {
    EXPECT_FALSE(add(1, reg("c", 0, 3)).error);
    EXPECT_EQ(refusal(2, reg("c", 1, 2)), ErrorCode::count_mismatch);
    EXPECT_EQ(registry.registrations(), 1u);
}

TEST_F(RegistryTest, DuplicatePeerIsRefusedUntilTheFirstDisconnects) {
    EXPECT_FALSE(add(1, reg("c", 0, 3)).error);
    EXPECT_EQ(refusal(2, reg("c", 0, 3)), ErrorCode::duplicate_peer);
    registry.remove(1);  // the first peer crashed
    EXPECT_FALSE(add(2, reg("c", 0, 3)).error);
}

TEST_F(RegistryTest, SecondRegistrationOnOneConnectionIsRefused) {
    EXPECT_FALSE(add(1, reg("c", 0, 3)).error);
    EXPECT_EQ(refusal(1, reg("d", 0, 3)), ErrorCode::already_registered);
}

TEST_F(RegistryTest, InvalidIdsAndNamesAreRefused) {
    EXPECT_EQ(refusal(1, reg("c", 3, 3)), ErrorCode::bad_peer);
    EXPECT_EQ(refusal(1, reg("c", 0, 0)), ErrorCode::bad_peer);
    EXPECT_EQ(refusal(1, reg("", 0, 2)), ErrorCode::bad_name);
}

TEST_F(RegistryTest, BoundsAreEnforced) {
    EXPECT_EQ(refusal(1, reg("c", 0, 5)), ErrorCode::too_many_peers);  // limit 4
    EXPECT_FALSE(add(1, reg("a", 0, 4)).error);
    EXPECT_FALSE(add(2, reg("b", 0, 4)).error);
    EXPECT_EQ(refusal(3, reg("c", 0, 4)), ErrorCode::too_many_communicators);  // limit 2
    EXPECT_FALSE(add(4, reg("a", 1, 4)).error);  // existing ones still grow
}

TEST_F(RegistryTest, ExpiryDropsOldRegistrationsAndNamesTheCommunicator) {
    EXPECT_FALSE(add(1, reg("c", 0, 3)).error);
    EXPECT_FALSE(registry.add(2, reg("c", 1, 3), seen(1), t0 + milliseconds(80)).error);
    EXPECT_TRUE(registry.expire(t0 + milliseconds(99)).empty());
    auto expired = registry.expire(t0 + milliseconds(100));
    ASSERT_EQ(expired.size(), 1u);
    EXPECT_EQ(expired[0].client, 1u);
    EXPECT_EQ(expired[0].error.code, ErrorCode::expired);
    EXPECT_NE(expired[0].error.text.find("'c'"), std::string::npos);
    EXPECT_NE(expired[0].error.text.find("2 of 3"), std::string::npos);
    expired = registry.expire(t0 + milliseconds(180));
    ASSERT_EQ(expired.size(), 1u);
    EXPECT_EQ(expired[0].client, 2u);
    EXPECT_EQ(registry.communicators(), 0u);
    EXPECT_EQ(registry.registrations(), 0u);
}

}  // namespace
}  // namespace fmi::detail::rendezvous
