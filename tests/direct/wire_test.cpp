// The direct channel's HELLO and message header layouts.
#include "channels/direct/wire.hpp"

#include <gtest/gtest.h>

namespace fmi::detail::direct {
namespace {

TEST(DirectWire, HelloHasTheDocumentedLayoutAndDecodes) {
    const std::string bytes = encode_hello({"ab", 7, 2});
    const std::string expected = std::string("FMIH") + std::string("\0\1\0\2", 4) + std::string("\0\0\0\7", 4) +
                                 std::string("\0\0\0\2", 4) + "ab";
    EXPECT_EQ(bytes, expected);
    auto prefix = decode_hello_prefix(reinterpret_cast<const std::uint8_t*>(bytes.data()));
    ASSERT_TRUE(prefix);
    EXPECT_EQ(prefix->from, 7u);
    EXPECT_EQ(prefix->to, 2u);
    EXPECT_EQ(prefix->name_bytes, 2u);
}

TEST(DirectWire, HelloWithWrongMagicOrVersionIsRefused) {
    std::string bytes = encode_hello({"x", 1, 0});
    bytes[0] = 'G';
    EXPECT_FALSE(decode_hello_prefix(reinterpret_cast<const std::uint8_t*>(bytes.data())));
    bytes = encode_hello({"x", 1, 0});
    bytes[5] = 2;  // version 2
    EXPECT_FALSE(decode_hello_prefix(reinterpret_cast<const std::uint8_t*>(bytes.data())));
}

TEST(DirectWire, DataHeaderHasTheDocumentedLayoutAndRoundTrips) {
    const DataHeaderBytes raw = encode_data_header(OpKind::allreduce, 0x0102030405060708ull, 1001);
    const DataHeaderBytes expected = {'F', 'M', 'I', 'D', 1, 8, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8,
                                      0, 0, 0, 0, 0, 0, 0x03, 0xe9};
    EXPECT_EQ(raw, expected);
    const DataHeader h = decode_data_header(raw);
    EXPECT_EQ(h.magic, kDataMagic);
    EXPECT_EQ(h.version, kWireVersion);
    EXPECT_EQ(h.op, OpKind::allreduce);
    EXPECT_EQ(h.seq, 0x0102030405060708ull);
    EXPECT_EQ(h.bytes, 1001u);
}

}  // namespace
}  // namespace fmi::detail::direct
