// A small S3 client: the seven calls fmi needs, signed with our SigV4,
// sent with libcurl, counted by type, retried with exponential back-off and
// full jitter on 5xx and throttling only. A 4xx is a typed error at once
// (S3AuthError / S3ServerError naming bucket, key and S3 error code).
//
//   PutObject      put_object (multipart with parallel parts above the threshold)
//   GetObject      get_object (whole or a byte range; large reads in parallel ranges)
//   HeadObject     head_object
//   ListObjectsV2  list_page / list_all (by prefix, paginated)
//   DeleteObject   delete_object
//   DeleteObjects  delete_objects (batches of 1000 keys)
#pragma once

#include "channels/s3/http.hpp"
#include "channels/s3/request_counts.hpp"
#include "channels/s3/sigv4.hpp"
#include "core/deadline.hpp"
#include "core/logger.hpp"

#include <fmi/communicator.hpp>
#include <fmi/config.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace fmi::detail::s3 {

/// Where requests go: scheme and authority of the endpoint, and how the
/// bucket is addressed.
struct Endpoint {
    std::string scheme;     ///< "http" or "https"
    std::string authority;  ///< host[:port] of the endpoint
    bool path_style = false;
};

/// Parses S3Options::endpoint (empty: https://s3.<region>.amazonaws.com).
/// Throws ConfigError("s3.endpoint") for anything but http(s)://host[:port][/].
Endpoint parse_endpoint(const S3Options& options);

/// The Host header and encoded path of `key` in `bucket` (empty key: the
/// bucket itself): path-style "host/bucket/key" or virtual-hosted
/// "bucket.host/key".
struct Address {
    std::string host;
    std::string path;
};
Address address_of(const Endpoint& endpoint, const std::string& bucket, const std::string& key);

/// A signed request, ready to send: its URL and every header.
struct PreparedRequest {
    std::string url;
    HeaderList headers;  ///< host, x-amz-*, the given ones, authorization
    SignedRequest signature;
};

/// Builds and signs a request for `key` in `bucket` (empty key: the bucket)
/// at `date` (YYYYMMDDTHHMMSSZ). Pure: the client calls it for every attempt,
/// the tests compare it with botocore.
PreparedRequest prepare_request(const Endpoint& endpoint, const std::string& bucket, const std::string& method,
                                const std::string& key, const QueryList& query, const HeaderList& headers,
                                const std::string& payload_sha256, const Credentials& credentials,
                                const std::string& region, const std::string& date);

/// One object of a listing.
struct ObjectEntry {
    std::string key;
    std::uint64_t size = 0;
};

struct ListPage {
    std::vector<ObjectEntry> objects;
    std::string next_token;  ///< empty when this was the last page
};

/// A read of `into.size()` bytes at `offset` of an object that must be
/// exactly `object_size` bytes long.
struct ReadSpec {
    std::uint64_t object_size = 0;
    std::uint64_t offset = 0;
    MutableBytes into;
    /// A missing object (404 NoSuchKey) returns found=false (a poll) instead
    /// of throwing.
    bool missing_ok = false;
};

struct ReadResult {
    bool found = false;
    /// Set when the object exists with another size than ReadSpec::object_size
    /// (nothing was read then).
    std::optional<std::uint64_t> actual_size;
    /// Set when the object is an fmi error marker: its text.
    std::optional<std::string> marker;
};

/// User metadata header that marks an object as an error report of a peer
/// (the body is the report); readers throw instead of using it as data.
inline constexpr const char* kErrorMarkerHeader = "x-amz-meta-fmi-error";

class S3Client {
public:
    S3Client(const S3Options& options, Credentials credentials, const Logger& log);

    const std::string& bucket() const noexcept { return bucket_; }
    /// Size of multipart parts and of parallel ranged reads.
    std::size_t part_bytes(std::size_t total) const noexcept;

    /// PutObject; above multipart_threshold a multipart upload whose parts
    /// go up in parallel. `metadata` are extra signed headers (x-amz-meta-*).
    void put_object(const std::string& key, ConstBytes data, const Deadline& deadline,
                    const HeaderList& metadata = {});

    /// GetObject of spec.into.size() bytes at spec.offset. Reads larger than
    /// one part are split into ranges fetched in parallel.
    ReadResult get_object(const std::string& key, const ReadSpec& spec, const Deadline& deadline);

    /// HeadObject: the object's size, or nullopt when it does not exist.
    std::optional<std::uint64_t> head_object(const std::string& key, const Deadline& deadline);

    /// One ListObjectsV2 page of keys starting with `prefix`.
    ListPage list_page(const std::string& prefix, const std::string& continuation_token,
                       const Deadline& deadline, int max_keys = 1000);
    /// Every key starting with `prefix` (one request per 1000 keys). The
    /// prefix must not be empty: fmi never lists a whole bucket.
    std::vector<ObjectEntry> list_all(const std::string& prefix, const Deadline& deadline);

    void delete_object(const std::string& key, const Deadline& deadline);
    /// DeleteObjects in batches of 1000 keys (one request each). Keys that do
    /// not exist are not errors.
    void delete_objects(std::span<const std::string> keys, const Deadline& deadline);

    RequestCounters& counters() noexcept { return counters_; }
    RequestCounts counts() const noexcept { return counters_.snapshot(); }

    /// Stops requests in flight and refuses new ones (IoError).
    void abort() noexcept { aborted_.store(true); }
    bool aborted() const noexcept { return aborted_.load(); }

private:
    struct Call;
    HttpResponse execute(const Call& call, const Deadline& deadline);
    [[noreturn]] void fail(const Call& call, const HttpResponse& response) const;
    std::chrono::milliseconds retry_delay(int attempt);

    ReadResult probe(const std::string& key, const ReadSpec& spec, const Deadline& deadline);
    ReadResult read_range(const std::string& key, const ReadSpec& spec, std::uint64_t offset,
                          MutableBytes into, bool first, const Deadline& deadline);
    void put_multipart(const std::string& key, ConstBytes data, const Deadline& deadline,
                       const HeaderList& metadata);

    S3Options options_;
    Endpoint endpoint_;
    std::string bucket_;
    Credentials credentials_;
    const Logger& log_;
    ConnectionPool pool_;
    RequestCounters counters_;
    std::atomic<bool> aborted_{false};
    std::mutex rng_mutex_;
    std::minstd_rand rng_;
};

}  // namespace fmi::detail::s3
