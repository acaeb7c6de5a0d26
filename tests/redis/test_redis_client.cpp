// The client layer: the connection wrapper (argument vectors, pipelining,
// replies read straight into buffers, typed errors naming server and
// command), authentication, the key space and the message header.
#include "redis_harness.hpp"

#include "channels/redis/connection.hpp"
#include "channels/redis/key_space.hpp"
#include "channels/redis/message.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <set>

namespace fmi::test {
namespace {

using namespace std::chrono_literals;
using detail::Deadline;
using detail::redis::Arg;
using detail::redis::Connection;
using detail::redis::KeySpace;

ConstBytes bytes(const std::string& s) { return {reinterpret_cast<const std::byte*>(s.data()), s.size()}; }

std::string pattern(std::size_t n, unsigned seed) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + seed) % 256);
    return s;
}

class RedisClient : public WithRedisServer<::testing::Test> {};

TEST_F(RedisClient, BinaryArgumentsRoundTripThroughAPipeline) {
    Connection c(server_->options());
    Deadline d(5s);
    // CR, LF, NUL, '%' and spaces inside arguments; one big argument sent
    // from our memory, small ones copied.
    std::string small = std::string("a\r\nb\0c %s", 9);
    std::string big = pattern(300'000, 7);
    c.append({"SET", "client:small", small}, Connection::Use::check, "SET client:small");
    c.append({"SET", "client:big", Arg("", bytes(big))}, Connection::Use::check, "SET client:big");
    c.append({"GET", "client:small"}, Connection::Use::keep, "GET client:small");
    c.append({"GET", "client:big"}, Connection::Use::keep, "GET client:big");
    c.append({"DEL", "client:small", "client:big"}, Connection::Use::keep, "DEL");
    auto r1 = c.reply(d);
    EXPECT_EQ(detail::redis::text_of(*r1.get()), small);
    std::string got(big.size(), '\0');
    c.read_bulk_into(std::as_writable_bytes(std::span(got)), d);
    EXPECT_EQ(got, big);
    EXPECT_EQ(c.reply(d)->integer, 2);
    EXPECT_EQ(c.outstanding(), 0u);
}

TEST_F(RedisClient, RawReadsFollowRepliesHiredisAlreadyBuffered) {
    // hiredis reads 16 KiB at a time: after a small reply its buffer holds
    // the start of the next ones, which the raw reader must take first.
    Connection c(server_->options());
    Deadline d(5s);
    std::vector<std::string> values;
    for (std::size_t n : {0, 1, 3, 10, 100, 5'000, 20'000, 70'000}) values.push_back(pattern(n, static_cast<unsigned>(n)));
    for (std::size_t i = 0; i < values.size(); ++i)
        c.append({"SET", "client:v" + std::to_string(i), values[i]}, Connection::Use::check, "SET");
    c.append({"PING"}, Connection::Use::keep, "PING");
    for (std::size_t i = 0; i < values.size(); ++i)
        c.append({"GET", "client:v" + std::to_string(i)}, Connection::Use::keep, "GET");
    c.append({"PING"}, Connection::Use::keep, "PING");
    EXPECT_EQ(detail::redis::text_of(*c.reply(d).get()), "PONG");
    for (const std::string& v : values) {
        std::string got(v.size(), 'x');
        c.read_bulk_into(std::as_writable_bytes(std::span(got)), d);
        EXPECT_EQ(got, v);
    }
    EXPECT_EQ(detail::redis::text_of(*c.reply(d).get()), "PONG");
}

TEST_F(RedisClient, ServerErrorsNameServerAndCommandAndKeepTheConnection) {
    Connection c(server_->options());
    Deadline d(5s);
    c.append({"SET", "client:str", "x"}, Connection::Use::check, "SET client:str");
    c.append({"LPUSH", "client:str", "y"}, Connection::Use::keep, "LPUSH client:str");
    try {
        c.reply(d);
        FAIL() << "expected a ServerError";
    } catch (const ServerError& e) {
        std::string what = e.what();
        EXPECT_NE(what.find("127.0.0.1:" + std::to_string(server_->port())), std::string::npos) << what;
        EXPECT_NE(what.find("LPUSH client:str"), std::string::npos) << what;
        EXPECT_NE(what.find("WRONGTYPE"), std::string::npos) << what;
    }
    EXPECT_FALSE(c.broken());
    EXPECT_EQ(c.command({"DEL", "client:str"}, "DEL", d)->integer, 1);
}

TEST_F(RedisClient, MissingOrMissizedValuesAreErrorsAndTheStreamStaysInStep) {
    Connection c(server_->options());
    Deadline d(5s);
    std::string buf(4, '\0');
    c.append({"GET", "client:absent"}, Connection::Use::keep, "GET client:absent");
    EXPECT_THROW(c.read_bulk_into(std::as_writable_bytes(std::span(buf)), d), IoError);
    c.command({"SET", "client:five", "12345"}, "SET", d);
    c.append({"GET", "client:five"}, Connection::Use::keep, "GET client:five");
    c.append({"PING"}, Connection::Use::keep, "PING");
    try {
        c.read_bulk_into(std::as_writable_bytes(std::span(buf)), d);
        FAIL() << "expected an IoError";
    } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find("5 bytes, expected 4"), std::string::npos) << e.what();
    }
    EXPECT_EQ(detail::redis::text_of(*c.reply(d).get()), "PONG");
    c.command({"DEL", "client:five"}, "DEL", d);
}

TEST_F(RedisClient, UnreachableServerIsAnIoErrorNamingIt) {
    RedisOptions o = server_->options();
    RedisServer other;
    o.port = other.port();
    other.kill_now();  // nothing listens there now
    try {
        Connection c(o);
        FAIL() << "expected an IoError";
    } catch (const TimeoutError&) {
        FAIL() << "refused, not timed out";
    } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(o.port)), std::string::npos) << e.what();
    }
}

TEST_F(RedisClient, BlockingCommandsMayOutwaitTheCommandTimeout) {
    // The socket timeout of a blocking command is its deadline plus
    // command_timeout; any other command gets command_timeout alone.
    RedisOptions o = server_->options();
    o.command_timeout = 200ms;
    Connection c(o);
    Deadline d(5s);
    c.append({"BLPOP", "client:never", "0.6"}, Connection::Use::keep, "BLPOP client:never", /*blocks=*/true);
    EXPECT_TRUE(c.reply(d).is_nil());  // the server's own timeout answered
    EXPECT_FALSE(c.broken());
    c.append({"BLPOP", "client:never", "2"}, Connection::Use::keep, "BLPOP client:never", /*blocks=*/false);
    try {
        c.reply(d);
        FAIL() << "expected a TimeoutError";
    } catch (const TimeoutError& e) {
        EXPECT_EQ(e.allowed(), 200ms);
        EXPECT_NE(std::string(e.what()).find("BLPOP client:never"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(c.broken());
}

// ---- authentication -------------------------------------------------------------

TEST(RedisAuth, WrongOrMissingPasswordIsAnAuthError) {
    RedisServer server("s3cret pass");
    RedisOptions o = server.options();
    EXPECT_NO_THROW(Connection c(o));
    o.password = "wrong";
    EXPECT_THROW(Connection c(o), AuthError);
    o.password.clear();
    try {
        Connection c(o);
        FAIL() << "expected an AuthError";
    } catch (const AuthError& e) {
        EXPECT_NE(std::string(e.what()).find("NOAUTH"), std::string::npos) << e.what();
    }
}

TEST(RedisAuth, AclUserWithPassword) {
    RedisServer server("admin-pass");
    server.command({"ACL", "SETUSER", "fmi-user", "on", ">user-pass", "~*", "&*", "+@all"});
    RedisOptions o = server.options();
    o.user = "fmi-user";
    o.password = "user-pass";
    EXPECT_NO_THROW(Connection c(o));
    o.password = "admin-pass";
    EXPECT_THROW(Connection c(o), AuthError);
}

TEST(RedisAuth, PasswordForAServerWithoutOneIsAnAuthError) {
    RedisServer server;
    RedisOptions o = server.options();
    o.password = "unneeded";
    EXPECT_THROW(Connection c(o), AuthError);
}

TEST(RedisAuth, SelectsTheConfiguredDatabase) {
    RedisServer server;
    RedisOptions o = server.options();
    o.database = 3;
    Connection c(o);
    Deadline d(5s);
    c.command({"SET", "client:db", "3"}, "SET", d);
    EXPECT_EQ(server.command({"EXISTS", "client:db"}), "0");  // the test client uses db 0
    c.command({"DEL", "client:db"}, "DEL", d);
    o.database = 99;
    EXPECT_THROW(Connection bad(o), ServerError);
}

// ---- names and headers ------------------------------------------------------------

TEST(RedisKeys, CommunicatorsNeverShareAKey) {
    KeySpace app1("fmi", "App1"), app("fmi", "App");
    EXPECT_NE(app1.p2p(1, 0, 0), app.p2p(11, 0, 0));
    EXPECT_NE(app1.in(1, 0), app.in(11, 0));
    // separators inside names are escaped, so a name cannot fake structure
    EXPECT_NE(KeySpace("fmi", "a/p/1").p2p(0, 0, 0), KeySpace("fmi", "a").p2p(1, 0, 0));
    EXPECT_EQ(KeySpace("fmi", "a/p/1").base(), "fmi/a%2Fp%2F1");
    EXPECT_NE(KeySpace("a/b", "c").base(), KeySpace("a", "b/c").base());
    // every key of a communicator lives under its base
    std::set<std::string> all{app.abort(), app.p2p(1, 2, 3), app.in(4, 5), app.pub(6, 7), app.op(8), app.wake(9), app.all(10),
                              KeySpace::chunk(app.pub(6, 7), 7, 0), KeySpace::acks(app.pub(6, 7))};
    EXPECT_EQ(all.size(), 9u);
    for (const auto& k : all) EXPECT_EQ(k.rfind(app.base() + "/", 0), 0u) << k;
}

TEST(RedisMessage, HeaderRoundTripAndMalformedEntries) {
    using namespace detail::redis;
    Header h{detail::OpKind::allreduce, 7, 1234567890123ull, 5, 0};
    std::string entry = encode_header(h) + "hello";
    ASSERT_EQ(entry.size(), kHeaderBytes + 5);
    Header back = decode_header(entry, "k");
    EXPECT_EQ(back.op, detail::OpKind::allreduce);
    EXPECT_EQ(back.src, 7);
    EXPECT_EQ(back.seq, 1234567890123ull);
    EXPECT_EQ(back.total_bytes, 5u);
    EXPECT_FALSE(back.chunked());
    Header chunked{detail::OpKind::bcast, 0, 1, 1001, 100};
    EXPECT_EQ(decode_header(encode_header(chunked), "k").chunk_count(), 11u);
    EXPECT_THROW(decode_header("not a message at all, clearly not one", "k"), IoError);
    EXPECT_THROW(decode_header(encode_header(h) + "hell", "k"), IoError);  // declares 5, carries 4
}

}  // namespace
}  // namespace fmi::test
