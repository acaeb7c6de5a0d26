// The in-process test channel checks what a real channel checks; the
// collective tests rely on it.
#include "inproc_channel.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

namespace fmi::test {
namespace {

using detail::OpKind;
using namespace std::chrono_literals;

MessageTag tag(OpKind op, std::uint64_t seq) { return MessageTag{op, seq}; }

TEST(InprocChannel, DeliversWholeMessagesInOrder) {
    auto world = InprocWorld::create(2);
    auto a = world->channel(0), b = world->channel(1);
    Deadline dl(1s);
    std::vector<std::byte> one(3, std::byte{1}), two(0), got1(3), got2(0);
    a->send(1, tag(OpKind::bcast, 4), one, dl);
    a->send(1, tag(OpKind::bcast, 4), two, dl);
    b->recv(0, tag(OpKind::bcast, 4), got1, dl);
    b->recv(0, tag(OpKind::bcast, 4), got2, dl);
    EXPECT_EQ(got1, one);
    EXPECT_EQ(world->bytes_sent(), 3u);
    EXPECT_EQ(world->messages_sent(), 2u);
}

TEST(InprocChannel, AnotherTagIsAMismatchError) {
    auto world = InprocWorld::create(2);
    auto a = world->channel(0), b = world->channel(1);
    Deadline dl(1s);
    std::vector<std::byte> data(4);
    a->send(1, tag(OpKind::bcast, 7), data, dl);
    a->send(1, tag(OpKind::allreduce, 8), data, dl);
    EXPECT_THROW(b->recv(0, tag(OpKind::allreduce, 7), data, dl), MismatchError);  // other kind
    EXPECT_THROW(b->recv(0, tag(OpKind::allreduce, 9), data, dl), MismatchError);  // other number
}

TEST(InprocChannel, AnotherSizeIsASizeMismatchErrorNamingBothSizes) {
    auto world = InprocWorld::create(2);
    auto a = world->channel(0), b = world->channel(1);
    Deadline dl(1s);
    std::vector<std::byte> sent(5), expected(4);
    a->send(1, tag(OpKind::send, 0), sent, dl);
    try {
        b->recv(0, tag(OpKind::send, 0), expected, dl);
        FAIL() << "no SizeMismatchError";
    } catch (const SizeMismatchError& e) {
        EXPECT_EQ(e.peer(), 0);
        EXPECT_EQ(e.expected_bytes(), 4u);
        EXPECT_EQ(e.actual_bytes(), 5u);
    }
}

TEST(InprocChannel, ARecvWithoutSenderTimesOut) {
    auto world = InprocWorld::create(2);
    auto b = world->channel(1);
    std::vector<std::byte> data(1);
    auto start = std::chrono::steady_clock::now();
    EXPECT_THROW(b->recv(0, tag(OpKind::send, 0), data, Deadline(100ms)), TimeoutError);
    EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
}

TEST(InprocChannel, BlockingSendsOfLargeMessagesDeadlockLikeSocketsButSendrecvDoesNot) {
    auto world = InprocWorld::create(2, 1024);
    auto a = world->channel(0), b = world->channel(1);
    std::vector<std::byte> big(4096), in_a(4096), in_b(4096);
    // Both peers send first: neither returns until the other receives.
    std::thread t([&] { EXPECT_THROW(b->send(0, tag(OpKind::send, 0), big, Deadline(200ms)), TimeoutError); });
    EXPECT_THROW(a->send(1, tag(OpKind::send, 0), big, Deadline(200ms)), TimeoutError);
    t.join();

    auto world2 = InprocWorld::create(2, 1024);
    auto c = world2->channel(0), d = world2->channel(1);
    std::thread u([&] { d->sendrecv(0, big, 0, in_b, tag(OpKind::allreduce, 0), Deadline(2s)); });
    c->sendrecv(1, big, 1, in_a, tag(OpKind::allreduce, 0), Deadline(2s));
    u.join();
}

TEST(InprocChannel, AbortMakesBlockedPartnersFailAtOnce) {
    auto world = InprocWorld::create(3);
    auto a = world->channel(0), b = world->channel(1);
    std::vector<std::byte> data(1);
    std::thread t([&] {
        std::this_thread::sleep_for(50ms);
        a->abort();
    });
    auto start = std::chrono::steady_clock::now();
    EXPECT_THROW(b->recv(0, tag(OpKind::send, 0), data, Deadline(10s)), PeerLostError);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    t.join();
    EXPECT_THROW(b->send(0, tag(OpKind::send, 0), data, Deadline(1s)), PeerLostError);
    EXPECT_THROW(a->send(2, tag(OpKind::send, 0), data, Deadline(1s)), IoError);
}

}  // namespace
}  // namespace fmi::test
