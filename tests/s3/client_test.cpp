// The S3 client against the real gateway (which verifies SigV4 strictly,
// payload hash included) and against a scripted fake server for the retry
// policy (a gateway cannot be made to answer 503 on demand).
#include "channels/s3/parallel.hpp"
#include "channels/s3/s3_errors.hpp"
#include "rgw_fixture.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <numeric>
#include <thread>

namespace fmi::test {
namespace {

using namespace detail::s3;
using detail::Deadline;

Deadline soon() { return Deadline(std::chrono::milliseconds(20'000)); }

ConstBytes text_bytes(const std::string& s) { return std::as_bytes(std::span(s.data(), s.size())); }

std::string read_text(S3Client& c, const std::string& key, std::size_t size, std::size_t offset = 0,
                      std::optional<std::size_t> length = std::nullopt) {
    std::string out(length.value_or(size - offset), '\0');
    ReadResult r = c.get_object(key, {size, offset, std::as_writable_bytes(std::span(out.data(), out.size())), false},
                                soon());
    EXPECT_TRUE(r.found);
    EXPECT_FALSE(r.actual_size);
    return out;
}

TEST(S3Client, RoundTripsKeysWithSpacesUnicodeAndReservedCharacters) {
    TestClient t;
    const std::string prefix = "fmi-test/client keys/";
    const std::vector<std::string> names = {
        "plain", "with space", "sub/dir/ect", "\xC3\xBCn\xC3\xAF\x63\xC3\xB8\x64\xC3\xA9-\xE6\x97\xA5\xE6\x9C\xAC",
        "reserved +=&?%~!*'();:@$,[]", "percent%2Fencoded", "..", "a//b"};
    for (const std::string& name : names) {
        const std::string key = prefix + name;
        const std::string body = "contents of " + name;
        t.client.put_object(key, text_bytes(body), soon());
        EXPECT_EQ(t.client.head_object(key, soon()), body.size()) << key;
        EXPECT_EQ(read_text(t.client, key, body.size()), body) << key;
        EXPECT_EQ(read_text(t.client, key, body.size(), 3, 5), body.substr(3, 5)) << key;
    }
    auto listed = t.client.list_all(prefix, soon());
    std::vector<std::string> keys;
    for (auto& e : listed) keys.push_back(e.key.substr(prefix.size()));
    std::vector<std::string> expected = names;
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(keys, expected);
    for (const std::string& name : names) t.client.delete_object(prefix + name, soon());
    EXPECT_TRUE(t.client.list_all(prefix, soon()).empty());
    EXPECT_EQ(t.client.head_object(prefix + "plain", soon()), std::nullopt);
}

TEST(S3Client, ListsByPrefixOnlyAndPaginates) {
    TestClient t;
    for (int i = 0; i < 7; ++i) t.client.put_object("fmi-test/App/p" + std::to_string(i), {}, soon());
    t.client.put_object("fmi-test/App1/p0", {}, soon());
    const auto before = t.client.counts();
    std::vector<std::string> seen;
    std::string token;
    int pages = 0;
    do {
        ListPage page = t.client.list_page("fmi-test/App/", token, soon(), 3);
        for (auto& e : page.objects) seen.push_back(e.key);
        token = page.next_token;
        ++pages;
    } while (!token.empty());
    EXPECT_EQ(pages, 3);
    EXPECT_EQ((t.client.counts() - before).list, 3u);
    ASSERT_EQ(seen.size(), 7u);  // not App1's object
    for (int i = 0; i < 7; ++i) EXPECT_EQ(seen[i], "fmi-test/App/p" + std::to_string(i));
    EXPECT_THROW(t.client.list_page("", "", soon()), UsageError);  // never the whole bucket
    std::vector<std::string> all(seen);
    all.push_back("fmi-test/App1/p0");
    t.client.delete_objects(all, soon());
}

TEST(S3Client, DeletesInBatchesOfOneThousand) {
    TestClient t;
    std::vector<std::string> keys(1001);
    for (std::size_t i = 0; i < keys.size(); ++i) keys[i] = "fmi-test/batch/" + std::to_string(i);
    parallel_for(keys.size(), 8, [&](std::size_t i) { t.client.put_object(keys[i], {}, soon()); });
    EXPECT_EQ(t.client.list_all("fmi-test/batch/", soon()).size(), 1001u);
    const auto before = t.client.counts();
    t.client.delete_objects(keys, soon());
    EXPECT_EQ((t.client.counts() - before).del, 2u);
    EXPECT_TRUE(t.client.list_all("fmi-test/batch/", soon()).empty());
}

TEST(S3Client, UploadsLargePayloadsInParallelPartsAndReadsThemInRanges) {
    S3Options options = rgw_options();
    options.multipart_threshold = 16 * 1024;
    TestClient t(options);
    std::vector<std::uint32_t> data(25'000);  // 100,000 bytes: 7 parts of 16 KiB
    std::iota(data.begin(), data.end(), 12345u);
    const auto before = t.client.counts();
    t.client.put_object("fmi-test/big", std::as_bytes(std::span(data)), soon());
    EXPECT_EQ((t.client.counts() - before).put, 2u + 7u);  // create, 7 parts, complete
    EXPECT_EQ(t.client.head_object("fmi-test/big", soon()), 100'000u);

    std::vector<std::uint32_t> back(data.size());
    const auto mid = t.client.counts();
    ReadResult r = t.client.get_object("fmi-test/big", {100'000, 0, std::as_writable_bytes(std::span(back)), false},
                                       soon());
    EXPECT_TRUE(r.found);
    EXPECT_EQ((t.client.counts() - mid).get, 7u);
    EXPECT_EQ(back, data);

    std::vector<std::uint32_t> slice(10'000);  // 40,000 bytes from byte 20,000
    t.client.get_object("fmi-test/big", {100'000, 20'000, std::as_writable_bytes(std::span(slice)), false}, soon());
    EXPECT_TRUE(std::equal(slice.begin(), slice.end(), data.begin() + 5'000));
    t.client.delete_object("fmi-test/big", soon());
}

TEST(S3Client, ReportsSizesThatDifferAndMissingObjects) {
    TestClient t;
    t.client.put_object("fmi-test/ten", text_bytes("0123456789"), soon());
    std::string buf(12, '\0');
    auto into = std::as_writable_bytes(std::span(buf.data(), buf.size()));
    ReadResult whole = t.client.get_object("fmi-test/ten", {12, 0, into, false}, soon());
    EXPECT_TRUE(whole.found);
    EXPECT_EQ(whole.actual_size, 10u);
    ReadResult ranged = t.client.get_object("fmi-test/ten", {30, 2, into.first(4), false}, soon());
    EXPECT_EQ(ranged.actual_size, 10u);
    ReadResult beyond = t.client.get_object("fmi-test/ten", {30, 20, into.first(4), false}, soon());  // HTTP 416
    EXPECT_EQ(beyond.actual_size, 10u);

    const auto before = t.client.counts();
    ReadResult missing = t.client.get_object("fmi-test/absent", {4, 0, into.first(4), true}, soon());
    EXPECT_FALSE(missing.found);
    EXPECT_EQ((t.client.counts() - before).get_misses, 1u);
    try {
        t.client.get_object("fmi-test/absent", {4, 0, into.first(4), false}, soon());
        FAIL() << "expected NoSuchKey";
    } catch (const S3ServerError& e) {
        EXPECT_EQ(e.details().code, "NoSuchKey");
        EXPECT_NE(std::string(e.what()).find("fmi-test/absent"), std::string::npos);
    }
    t.client.delete_object("fmi-test/ten", soon());
}

TEST(S3Client, WrongSecretIsAnAuthErrorAtOnce) {
    S3Options options = rgw_options();
    options.secret_access_key = "not-the-secret";
    TestClient t(options);
    const auto started = std::chrono::steady_clock::now();
    try {
        t.client.put_object("fmi-test/auth", text_bytes("x"), soon());
        FAIL() << "expected an AuthError";
    } catch (const S3AuthError& e) {
        EXPECT_EQ(e.details().code, "SignatureDoesNotMatch");
        EXPECT_EQ(e.details().bucket, rgw().bucket);
        EXPECT_EQ(e.details().key, "fmi-test/auth");
        EXPECT_EQ(e.details().status, 403);
    }
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
    EXPECT_EQ(t.client.counts().put, 1u);  // a 4xx is never retried
    EXPECT_EQ(t.client.counts().retries, 0u);

    options = rgw_options();
    options.access_key_id = "NOSUCHKEYID";
    TestClient u(options);
    try {
        u.client.list_page("fmi-test/", "", soon());
        FAIL() << "expected an AuthError";
    } catch (const AuthError& e) {
        EXPECT_NE(std::string(e.what()).find("InvalidAccessKeyId"), std::string::npos) << e.what();
    }
}

TEST(S3Client, MissingBucketIsAServerErrorNamingIt) {
    S3Options options = rgw_options();
    options.bucket = "fmi-no-such-bucket";
    TestClient t(options);
    try {
        t.client.put_object("k", text_bytes("x"), soon());
        FAIL() << "expected NoSuchBucket";
    } catch (const AuthError&) {
        FAIL() << "not an authorization problem";
    } catch (const S3ServerError& e) {
        EXPECT_EQ(e.details().code, "NoSuchBucket");
        EXPECT_NE(std::string(e.what()).find("fmi-no-such-bucket"), std::string::npos);
    }
    EXPECT_EQ(t.client.counts().put, 1u);
}

TEST(S3Client, VirtualHostedAddressingWorks) {
    S3Options options = rgw_options();
    options.path_style = false;
    // curl resolves *.localhost to the loopback itself; the gateway's
    // "rgw dns name" is localhost, so BUCKET.localhost:PORT is the bucket.
    options.endpoint = "http://" + rgw().dns_name + options.endpoint.substr(options.endpoint.rfind(':'));
    TestClient t(options);
    t.client.put_object("fmi-test/vhost key", text_bytes("virtual"), soon());
    EXPECT_EQ(read_text(t.client, "fmi-test/vhost key", 7), "virtual");
    EXPECT_EQ(t.client.list_all("fmi-test/vhost", soon()).size(), 1u);
    t.client.delete_objects(std::vector<std::string>{"fmi-test/vhost key"}, soon());
}

// ---- retries, against a scripted server ------------------------------------

// Answers each request with the next scripted reply (the last one repeats).
class ScriptedServer {
public:
    explicit ScriptedServer(std::vector<std::string> replies) : replies_(std::move(replies)) {
        fd_ = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd_, 8) != 0)
            throw std::runtime_error("ScriptedServer: bind/listen failed");
        socklen_t len = sizeof addr;
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~ScriptedServer() {
        stop_ = true;
        shutdown(fd_, SHUT_RDWR);
        close(fd_);
        thread_.join();
    }
    std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
    int requests() const { return requests_.load(); }

private:
    void serve() {
        while (!stop_) {
            int c = accept(fd_, nullptr, nullptr);
            if (c < 0) return;
            std::string buffer;
            char chunk[4096];
            for (;;) {  // requests on this connection, one after another
                std::size_t end;
                while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
                    ssize_t n = recv(c, chunk, sizeof chunk, 0);
                    if (n <= 0) goto done;
                    buffer.append(chunk, static_cast<std::size_t>(n));
                }
                std::size_t body = 0;
                std::string head = buffer.substr(0, end);
                for (auto& ch : head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
                if (auto p = head.find("content-length:"); p != std::string::npos) body = std::stoul(head.substr(p + 15));
                while (buffer.size() < end + 4 + body) {
                    ssize_t n = recv(c, chunk, sizeof chunk, 0);
                    if (n <= 0) goto done;
                    buffer.append(chunk, static_cast<std::size_t>(n));
                }
                buffer.erase(0, end + 4 + body);
                int i = requests_.fetch_add(1);
                const std::string& reply = replies_[std::min<std::size_t>(i, replies_.size() - 1)];
                send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
            }
        done:
            close(c);
        }
    }
    std::vector<std::string> replies_;
    int fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> requests_{0};
    std::thread thread_;
};

std::string reply(int status, const std::string& code) {
    std::string body = code.empty() ? "" : "<Error><Code>" + code + "</Code><Message>scripted</Message></Error>";
    return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body;
}

S3Options scripted_options(const ScriptedServer& server) {
    S3Options o;
    o.endpoint = server.endpoint();
    o.path_style = true;
    o.bucket = "b";
    o.access_key_id = "AK";
    o.secret_access_key = "SK";
    o.max_retries = 3;
    return o;
}

TEST(S3Client, RetriesServerErrorsAndThrottlingWithBackoff) {
    ScriptedServer server({reply(503, "SlowDown"), reply(500, "InternalError"), reply(200, "")});
    TestClient t(scripted_options(server));
    t.client.put_object("k", text_bytes("x"), soon());
    EXPECT_EQ(server.requests(), 3);
    EXPECT_EQ(t.client.counts().put, 3u);
    EXPECT_EQ(t.client.counts().retries, 2u);
}

TEST(S3Client, GivesUpAfterMaxRetriesWithTheServerError) {
    ScriptedServer server({reply(503, "SlowDown")});
    TestClient t(scripted_options(server));
    try {
        t.client.put_object("k", text_bytes("x"), soon());
        FAIL() << "expected SlowDown";
    } catch (const S3ServerError& e) {
        EXPECT_EQ(e.details().code, "SlowDown");
        EXPECT_EQ(e.details().status, 503);
    }
    EXPECT_EQ(server.requests(), 4);  // 1 + max_retries
}

TEST(S3Client, NeverRetriesClientErrors) {
    ScriptedServer server({reply(400, "InvalidArgument"), reply(200, "")});
    TestClient t(scripted_options(server));
    try {
        t.client.put_object("some/key", text_bytes("x"), soon());
        FAIL() << "expected InvalidArgument";
    } catch (const S3ServerError& e) {
        EXPECT_EQ(e.details().code, "InvalidArgument");
        EXPECT_EQ(e.details().key, "some/key");
        EXPECT_EQ(e.details().bucket, "b");
    }
    EXPECT_EQ(server.requests(), 1);
}

TEST(S3Client, UnreachableEndpointIsAnIoErrorNamingIt) {
    S3Options o;
    o.endpoint = "http://127.0.0.1:1";
    o.path_style = true;
    o.bucket = "b";
    o.access_key_id = "AK";
    o.secret_access_key = "SK";
    TestClient t(o);
    try {
        t.client.put_object("k", text_bytes("x"), soon());
        FAIL() << "expected IoError";
    } catch (const TimeoutError&) {
        FAIL() << "a refused connection is not a timeout";
    } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find("127.0.0.1:1"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace fmi::test
