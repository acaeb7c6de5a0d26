// bench-s3-floor: the floor of moving a message through an S3 server,
// measured on the server the S3 channel uses, with fmi-bench's plan,
// statistics and JSON (system "s3-floor", transport "http"):
//   pingpong  at B bytes: one GET of a B-byte object
//   bandwidth at B bytes: one PUT of B bytes, then one GET of them (a
//             PUT+GET: what any message through the store costs at least)
// One client, one kept-alive connection (libcurl), path-style URLs, curl's
// own SigV4 signing with an unsigned payload (no hashing of the data: the
// cheapest request S3 accepts). The object is deleted at the end.
// The server comes from the variables scripts/s3/start-rgw.sh prints:
// FMI_S3_ENDPOINT, FMI_S3_BUCKET, FMI_S3_REGION, FMI_S3_ACCESS_KEY_ID,
// FMI_S3_SECRET_ACCESS_KEY.
#include "harness/measure.hpp"
#include "harness/results.hpp"
#include "harness/run.hpp"

#include <curl/curl.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace fmibench {
namespace {

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }

std::string required_env(const char* name) {
    const char* v = std::getenv(name);
    if (!v || !*v) fail(std::string(name) + " is not set (scripts/s3/start-rgw.sh prints the S3 variables)");
    return v;
}

struct S3Server {
    std::string endpoint, bucket, region, access_key, secret_key;
    static S3Server from_environment() {
        const char* region = std::getenv("FMI_S3_REGION");
        return {required_env("FMI_S3_ENDPOINT"), required_env("FMI_S3_BUCKET"), region && *region ? region : "us-east-1",
                required_env("FMI_S3_ACCESS_KEY_ID"), required_env("FMI_S3_SECRET_ACCESS_KEY")};
    }
};

// Owns libcurl's global state and one easy handle, reused for keep-alive.
class S3Client {
public:
    explicit S3Client(S3Server server) : server_(std::move(server)) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) fail("curl_global_init failed");
        curl_.reset(curl_easy_init());
        if (!curl_) fail("curl_easy_init failed");
        headers_.reset(curl_slist_append(nullptr, "x-amz-content-sha256: UNSIGNED-PAYLOAD"));
        if (!headers_) fail("curl_slist_append failed");
    }
    ~S3Client() {
        curl_.reset();
        curl_global_cleanup();
    }
    S3Client(const S3Client&) = delete;
    S3Client& operator=(const S3Client&) = delete;

    void put(const std::string& key, ConstBytes data) {
        Cursor source{data.data(), data.size()};
        prepare(key);
        curl_easy_setopt(curl_.get(), CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(curl_.get(), CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(data.size()));
        curl_easy_setopt(curl_.get(), CURLOPT_READFUNCTION, &S3Client::read_from);
        curl_easy_setopt(curl_.get(), CURLOPT_READDATA, &source);
        perform("PUT " + key, 200);
    }

    void get(const std::string& key, MutableBytes into) {
        Sink sink{into.data(), into.size(), 0};
        prepare(key);
        curl_easy_setopt(curl_.get(), CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(curl_.get(), CURLOPT_WRITEFUNCTION, &S3Client::write_to);
        curl_easy_setopt(curl_.get(), CURLOPT_WRITEDATA, &sink);
        perform("GET " + key, 200);
        if (sink.used != into.size())
            fail("GET " + key + ": got " + std::to_string(sink.used) + " bytes, expected " + std::to_string(into.size()));
    }

    void remove(const std::string& key) {
        prepare(key);
        curl_easy_setopt(curl_.get(), CURLOPT_CUSTOMREQUEST, "DELETE");
        curl_easy_setopt(curl_.get(), CURLOPT_NOBODY, 1L);
        perform("DELETE " + key, 204);
    }

private:
    struct Cursor {
        const std::byte* data;
        std::size_t left;
    };
    struct Sink {
        std::byte* data;
        std::size_t capacity, used;
    };
    struct EasyDeleter {
        void operator()(CURL* c) const { curl_easy_cleanup(c); }
    };
    struct ListDeleter {
        void operator()(curl_slist* l) const { curl_slist_free_all(l); }
    };

    static std::size_t read_from(char* out, std::size_t size, std::size_t count, void* user) {
        auto* c = static_cast<Cursor*>(user);
        std::size_t n = std::min(size * count, c->left);
        std::memcpy(out, c->data, n);
        c->data += n;
        c->left -= n;
        return n;
    }
    static std::size_t write_to(char* in, std::size_t size, std::size_t count, void* user) {
        auto* s = static_cast<Sink*>(user);
        std::size_t n = size * count;
        if (s->used + n > s->capacity) return 0;  // more than expected: curl fails the transfer
        std::memcpy(s->data + s->used, in, n);
        s->used += n;
        return n;
    }

    void prepare(const std::string& key) {
        CURL* c = curl_.get();
        curl_easy_reset(c);  // keeps the connection cache
        url_ = server_.endpoint + "/" + server_.bucket + "/" + key;
        sigv4_ = "aws:amz:" + server_.region + ":s3";
        credentials_ = server_.access_key + ":" + server_.secret_key;
        curl_easy_setopt(c, CURLOPT_URL, url_.c_str());
        curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4_.c_str());
        curl_easy_setopt(c, CURLOPT_USERPWD, credentials_.c_str());
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers_.get());
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 120'000L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    }

    void perform(const std::string& what, long expected_status) {
        CURLcode code = curl_easy_perform(curl_.get());
        if (code != CURLE_OK) fail(what + " at " + server_.endpoint + ": " + curl_easy_strerror(code));
        long status = 0;
        curl_easy_getinfo(curl_.get(), CURLINFO_RESPONSE_CODE, &status);
        if (status != expected_status && !(expected_status == 200 && status == 204))
            fail(what + " at " + server_.endpoint + ": HTTP " + std::to_string(status));
    }

    S3Server server_;
    std::unique_ptr<CURL, EasyDeleter> curl_;
    std::unique_ptr<curl_slist, ListDeleter> headers_;
    std::string url_, sigv4_, credentials_;
};

std::vector<Result> run_floor(const BenchOptions& options) {
    const std::string key = "fmi-bench-s3-floor";
    S3Client s3(S3Server::from_environment());
    SingleProcessSteps steps{
        [&](MutableBytes in, MutableBytes out) {
            s3.put(key, in);
            s3.get(key, out);
        },
        // pingpong: one GET; bandwidth: a PUT then a GET.
        [&](const SizePlan& plan, MutableBytes in, MutableBytes out) {
            if (plan.op == Op::bandwidth) s3.put(key, in);
            s3.get(key, out);
        }};
    std::vector<Result> results = measure_single_process(
        options, "s3-floor", "http", single_process_plans(options, {Op::pingpong, Op::bandwidth}), steps);
    s3.remove(key);
    return results;
}

}  // namespace
}  // namespace fmibench

int main(int argc, char** argv) {
    return fmibench::single_process_main(
        argc, argv, "bench-s3-floor",
        "Usage: bench-s3-floor [options]   (server from FMI_S3_* variables)\n\n"
        "The floor of a message through S3: a GET, a PUT+GET of the same size (--op is ignored).",
        {}, fmibench::run_floor);
}
