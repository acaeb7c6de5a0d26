// Frame encoding and decoding of the rendezvous protocol, including
// malformed, truncated and oversized input.
#include "rendezvous/protocol.hpp"

#include <gtest/gtest.h>

#include <string>

namespace fmi::detail::rendezvous {
namespace {

RegisterMessage sample_register() {
    RegisterMessage m;
    m.comm = "job-42";
    m.peer_id = 3;
    m.peer_count = 9;
    m.endpoints = {{"10.0.0.7", 40123}, {"fe80::1", 65535}};
    m.auth = "";
    return m;
}

PeersMessage sample_peers() {
    PeersMessage m;
    m.comm = "job-42";
    for (std::uint32_t i = 0; i < 5; ++i)
        m.peers.push_back({i, {{"10.0.0." + std::to_string(i), static_cast<std::uint16_t>(1000 + i)}},
                           {"203.0.113." + std::to_string(i), static_cast<std::uint16_t>(50000 + i)}});
    return m;
}

/// Parses one whole frame and checks it has the given type.
FrameView whole_frame(const Bytes& bytes, MessageType type) {
    auto frame = parse_frame(bytes, bytes.size());
    EXPECT_TRUE(frame.has_value());
    EXPECT_EQ(frame->type, static_cast<std::uint16_t>(type));
    EXPECT_EQ(frame->frame_bytes, bytes.size());
    return *frame;
}

ErrorCode code_of(auto&& fn) {
    try {
        fn();
    } catch (const ProtocolError& e) {
        return e.code();
    }
    ADD_FAILURE() << "no ProtocolError thrown";
    return ErrorCode::shutting_down;
}

TEST(RendezvousProtocol, RegisterHasTheDocumentedByteLayout) {
    RegisterMessage m;
    m.comm = "ab";
    m.peer_id = 1;
    m.peer_count = 2;
    m.endpoints = {{"h", 7}};
    const Bytes expected = {
        0, 0, 0, 25,           // length: 4 (version, type) + 21 payload
        0, 1,                  // version
        0, 1,                  // type REGISTER
        0, 2, 'a', 'b',        // communicator
        0, 0, 0, 1,            // peer id
        0, 0, 0, 2,            // peer count
        0, 1,                  // one endpoint
        0, 1, 'h', 0, 7,       // host "h", port 7
        0, 0,                  // empty auth
    };
    EXPECT_EQ(encode(m), expected);
}

TEST(RendezvousProtocol, RegisterRoundTrips) {
    const RegisterMessage m = sample_register();
    const Bytes bytes = encode(m);
    EXPECT_EQ(decode_register(whole_frame(bytes, MessageType::register_peer).payload), m);
}

TEST(RendezvousProtocol, PeersRoundTrips) {
    const PeersMessage m = sample_peers();
    const Bytes bytes = encode(m);
    EXPECT_EQ(decode_peers(whole_frame(bytes, MessageType::peers).payload), m);
}

TEST(RendezvousProtocol, ErrorRoundTrips) {
    const ErrorMessage m{ErrorCode::count_mismatch, "peer 3 says 4 peers, others 9"};
    const Bytes bytes = encode(m);
    EXPECT_EQ(decode_error(whole_frame(bytes, MessageType::error).payload), m);
}

TEST(RendezvousProtocol, EveryTruncatedStreamWaitsForMoreBytes) {
    const Bytes bytes = encode(sample_peers());
    for (std::size_t n = 0; n < bytes.size(); ++n)
        EXPECT_FALSE(parse_frame(BytesView(bytes).first(n), 1 << 20).has_value()) << n << " bytes";
    EXPECT_TRUE(parse_frame(bytes, 1 << 20).has_value());
}

TEST(RendezvousProtocol, TwoFramesInOneStreamAreCutApart) {
    Bytes stream = encode(sample_register());
    const std::size_t first = stream.size();
    const Bytes second = encode(ErrorMessage{ErrorCode::expired, "x"});
    stream.insert(stream.end(), second.begin(), second.end());
    auto a = parse_frame(stream, 1 << 20);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->frame_bytes, first);
    auto b = parse_frame(BytesView(stream).subspan(first), 1 << 20);
    ASSERT_TRUE(b);
    EXPECT_EQ(decode_error(b->payload).text, "x");
}

TEST(RendezvousProtocol, OversizedFrameIsRefusedFromItsHeaderAlone) {
    // Only the 4 length bytes of a 1 MiB frame: refused before the body comes.
    const Bytes header = {0x00, 0x10, 0x00, 0x00};
    EXPECT_EQ(code_of([&] { parse_frame(header, 64 * 1024); }), ErrorCode::message_too_large);
    const Bytes exact = encode(sample_register());
    EXPECT_TRUE(parse_frame(exact, exact.size()));
    EXPECT_EQ(code_of([&] { parse_frame(exact, exact.size() - 1); }), ErrorCode::message_too_large);
}

TEST(RendezvousProtocol, LengthShorterThanHeaderIsMalformed) {
    const Bytes bytes = {0, 0, 0, 3, 0, 1, 0, 1};
    EXPECT_EQ(code_of([&] { parse_frame(bytes, 1024); }), ErrorCode::malformed);
}

TEST(RendezvousProtocol, OtherVersionIsRefused) {
    const Bytes payload = {1, 2, 3};
    const Bytes bytes = encode_frame(static_cast<std::uint16_t>(MessageType::register_peer), payload, 2);
    EXPECT_EQ(code_of([&] { parse_frame(bytes, 1024); }), ErrorCode::bad_version);
}

TEST(RendezvousProtocol, EveryTruncatedPayloadIsMalformed) {
    const Bytes reg = encode(sample_register());
    const BytesView reg_payload = BytesView(reg).subspan(kFrameHeaderBytes);
    for (std::size_t n = 0; n < reg_payload.size(); ++n)
        EXPECT_EQ(code_of([&] { decode_register(reg_payload.first(n)); }), ErrorCode::malformed) << n;
    const Bytes peers = encode(sample_peers());
    const BytesView peers_payload = BytesView(peers).subspan(kFrameHeaderBytes);
    for (std::size_t n = 0; n < peers_payload.size(); ++n)
        EXPECT_EQ(code_of([&] { decode_peers(peers_payload.first(n)); }), ErrorCode::malformed) << n;
}

TEST(RendezvousProtocol, TrailingBytesAreMalformed) {
    Bytes payload = encode(sample_register());
    payload.erase(payload.begin(), payload.begin() + kFrameHeaderBytes);
    payload.push_back(0);
    EXPECT_EQ(code_of([&] { decode_register(payload); }), ErrorCode::malformed);
}

TEST(RendezvousProtocol, FieldsAboveTheLimitsAreMalformed) {
    // A 300-byte communicator name, hand-encoded (encode refuses it).
    Bytes payload = {0x01, 0x2c};
    payload.insert(payload.end(), 300, 'n');
    const Bytes rest = {0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0};
    payload.insert(payload.end(), rest.begin(), rest.end());
    EXPECT_EQ(code_of([&] { decode_register(payload); }), ErrorCode::malformed);

    // 17 endpoints.
    Bytes many = {0, 1, 'c', 0, 0, 0, 0, 0, 0, 0, 1, 0, 17};
    for (int i = 0; i < 17; ++i) many.insert(many.end(), {0, 1, 'h', 0, 1});
    many.insert(many.end(), {0, 0});
    EXPECT_EQ(code_of([&] { decode_register(many); }), ErrorCode::malformed);

    RegisterMessage long_name = sample_register();
    long_name.comm.assign(kMaxCommunicatorNameBytes + 1, 'x');
    EXPECT_THROW(encode(long_name), ProtocolError);
}

TEST(RendezvousProtocol, AbsurdPeerCountIsMalformedWithoutAllocating) {
    const Bytes payload = {0, 1, 'c', 0xff, 0xff, 0xff, 0xff};
    EXPECT_EQ(code_of([&] { decode_peers(payload); }), ErrorCode::malformed);
}

TEST(RendezvousProtocol, ReservedTypesHaveNames) {
    EXPECT_STREQ(to_string(MessageType::punch_request), "PUNCH_REQUEST");
    EXPECT_STREQ(to_string(MessageType::relay_data), "RELAY_DATA");
    EXPECT_STREQ(to_string(MessageType::auth_challenge), "AUTH_CHALLENGE");
    EXPECT_STREQ(to_string(static_cast<MessageType>(999)), "unknown");
    EXPECT_STREQ(to_string(ErrorCode::count_mismatch), "count_mismatch");
}

}  // namespace
}  // namespace fmi::detail::rendezvous
