#include "channels/s3/s3_client.hpp"

#include "channels/s3/parallel.hpp"
#include "channels/s3/s3_errors.hpp"
#include "channels/s3/xml.hpp"

#include <algorithm>
#include <thread>

namespace fmi::detail::s3 {
namespace {

constexpr std::size_t kMaxParts = 10'000;               // S3's limit per upload
constexpr std::size_t kAwsMinPartBytes = 5u << 20;      // S3's minimum part (all but the last)
constexpr std::size_t kDeleteBatch = 1000;              // DeleteObjects' limit
constexpr std::chrono::milliseconds kRetryBase{50};
constexpr std::chrono::milliseconds kRetryCap{5'000};

bool success(long status) { return status >= 200 && status < 300; }

std::string error_code(const HttpResponse& r) {
    if (auto code = xml::first_text(r.body, "Code")) return *code;
    return {};
}

bool retryable(const HttpResponse& r) {
    if (r.status >= 500 || r.status == 429) return true;
    if (r.status < 400) return false;
    const std::string code = error_code(r);
    return code == "SlowDown" || code == "Throttling" || code == "ThrottlingException" ||
           code == "RequestLimitExceeded" || code == "TooManyRequests";
}

// "bytes 0-99/1234" -> 1234
std::optional<std::uint64_t> total_from_content_range(const std::string* value) {
    if (!value) return std::nullopt;
    auto slash = value->rfind('/');
    if (slash == std::string::npos || slash + 1 >= value->size() || (*value)[slash + 1] == '*')
        return std::nullopt;
    try {
        return std::stoull(value->substr(slash + 1));
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

}  // namespace

Endpoint parse_endpoint(const S3Options& options) {
    Endpoint e;
    e.path_style = options.path_style;
    std::string url = options.endpoint;
    if (url.empty()) url = "https://s3." + options.region + ".amazonaws.com";
    auto sep = url.find("://");
    if (sep == std::string::npos)
        throw ConfigError("s3.endpoint", "'" + url + "' is not a URL (expected http(s)://host[:port])");
    e.scheme = url.substr(0, sep);
    for (char& c : e.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (e.scheme != "http" && e.scheme != "https")
        throw ConfigError("s3.endpoint", "'" + url + "': scheme must be http or https");
    std::string rest = url.substr(sep + 3);
    while (!rest.empty() && rest.back() == '/') rest.pop_back();
    if (rest.empty() || rest.find_first_of("/?#@ ") != std::string::npos)
        throw ConfigError("s3.endpoint", "'" + url + "': expected http(s)://host[:port] without a path");
    e.authority = rest;
    return e;
}

Address address_of(const Endpoint& endpoint, const std::string& bucket, const std::string& key) {
    Address a;
    if (endpoint.path_style) {
        a.host = endpoint.authority;
        a.path = "/" + uri_encode(bucket, false);
        if (!key.empty()) a.path += "/" + uri_encode(key, true);
    } else {
        a.host = bucket + "." + endpoint.authority;
        a.path = "/" + uri_encode(key, true);
    }
    return a;
}

PreparedRequest prepare_request(const Endpoint& endpoint, const std::string& bucket, const std::string& method,
                                const std::string& key, const QueryList& query, const HeaderList& headers,
                                const std::string& payload_sha256, const Credentials& credentials,
                                const std::string& region, const std::string& date) {
    const Address addr = address_of(endpoint, bucket, key);
    PreparedRequest out;
    out.url = endpoint.scheme + "://" + addr.host + addr.path;
    if (!query.empty()) out.url += "?" + encode_query(query);
    out.signature = sign_v4({method, addr.host, addr.path, query, headers, payload_sha256}, credentials, region, date);
    out.headers = out.signature.headers;
    return out;
}

// One S3 request before signing.
struct S3Client::Call {
    const char* operation;
    RequestType type;
    std::string method;
    std::string key;      // object key; empty for bucket-level calls
    std::string subject;  // what errors name as "key" (the key, or a list prefix)
    QueryList query;
    HeaderList headers;
    ConstBytes body;
    std::optional<MutableBytes> receive_into;
    bool divert_markers = false;
};

S3Client::S3Client(const S3Options& options, Credentials credentials, const Logger& log)
    : options_(options),
      endpoint_(parse_endpoint(options)),
      bucket_(options.bucket),
      credentials_(std::move(credentials)),
      log_(log),
      rng_(std::random_device{}()) {
    if (bucket_.empty()) throw ConfigError("s3.bucket", "no bucket configured");
    if (options_.region.empty()) throw ConfigError("s3.region", "no region configured");
    if (options_.max_retries < 0) throw ConfigError("s3.max_retries", "must not be negative");
    if (options_.multipart_threshold == 0) throw ConfigError("s3.multipart_threshold", "must be positive");
    if (options_.parallel_transfers == 0) throw ConfigError("s3.parallel_transfers", "must be positive");
}

std::size_t S3Client::part_bytes(std::size_t total) const noexcept {
    std::size_t part = std::max(options_.multipart_threshold, (total + kMaxParts - 1) / kMaxParts);
    if (options_.endpoint.empty()) part = std::max(part, kAwsMinPartBytes);  // AWS itself
    return std::max<std::size_t>(part, 1);
}

std::chrono::milliseconds S3Client::retry_delay(int attempt) {
    // Full jitter: uniform in [0, min(cap, base * 2^attempt)].
    auto ceiling = std::min<long long>(kRetryCap.count(), kRetryBase.count() << std::min(attempt, 16));
    std::lock_guard lock(rng_mutex_);
    std::uniform_int_distribution<long long> pick(0, ceiling);
    return std::chrono::milliseconds(pick(rng_));
}

HttpResponse S3Client::execute(const Call& call, const Deadline& deadline) {
    const std::string what = std::string("S3 ") + call.operation + " bucket '" + bucket_ + "'" +
                             (call.subject.empty() ? "" : " key '" + call.subject + "'");
    const std::string payload_hash = sha256_hex(call.body);

    for (int attempt = 0;; ++attempt) {
        if (aborted_.load()) throw IoError(what + ": aborted by this peer");
        if (deadline.expired()) deadline.throw_timeout(what);

        // Signed per attempt: the date is part of the signature.
        PreparedRequest prepared =
            prepare_request(endpoint_, bucket_, call.method, call.key, call.query, call.headers, payload_hash,
                            credentials_, options_.region, amz_date(std::chrono::system_clock::now()));
        HttpRequest request{call.method, std::move(prepared.url), std::move(prepared.headers), call.body,
                            call.receive_into, call.divert_markers ? kErrorMarkerHeader : ""};
        HttpLimits limits;
        // Rounded up, so a limit set by the deadline ends at or after it, and
        // the timeout below is reported as the operation's.
        limits.connect_timeout = std::min(options_.connect_timeout, deadline.remaining_rounded_up());
        limits.total_timeout = std::min(options_.request_timeout, deadline.remaining_rounded_up());
        const bool deadline_bound = limits.total_timeout < options_.request_timeout ||
                                    limits.connect_timeout < options_.connect_timeout;
        limits.abort_flag = &aborted_;

        counters_.count(call.type);
        HttpResponse response;
        try {
            auto connection = pool_.acquire();
            response = connection->perform(request, limits);
        } catch (const TimeoutError&) {
            if (deadline.expired() || deadline_bound) deadline.throw_timeout(what);
            throw;  // one request outlived request_timeout: the caller may retry
        }
        counters_.add_bytes(call.body.size(), response.bytes_received);

        if (!retryable(response) || attempt >= options_.max_retries) return response;
        auto delay = retry_delay(attempt);
        if (delay >= deadline.remaining()) return response;  // no time for another try
        counters_.add_retry();
        log_.debug(what + ": HTTP " + std::to_string(response.status) + " " + error_code(response) +
                   ", retry " + std::to_string(attempt + 1) + " in " + std::to_string(delay.count()) + " ms");
        std::this_thread::sleep_for(delay);
    }
}

void S3Client::fail(const Call& call, const HttpResponse& response) const {
    S3ErrorDetails d;
    d.operation = call.operation;
    d.bucket = bucket_;
    d.key = call.subject;
    d.status = response.status;
    d.code = error_code(response);
    d.message = xml::first_text(response.body, "Message").value_or("");
    d.request_id = xml::first_text(response.body, "RequestId").value_or("");
    if (d.request_id.empty())
        if (auto* id = response.header("x-amz-request-id")) d.request_id = *id;
    if (d.code.empty() && response.status == 404) d.code = "NotFound";
    if (d.code.empty() && response.status == 403) d.code = "Forbidden";
    throw_s3_error(std::move(d));
}

void S3Client::put_object(const std::string& key, ConstBytes data, const Deadline& deadline,
                          const HeaderList& metadata) {
    if (data.size() > options_.multipart_threshold) {
        put_multipart(key, data, deadline, metadata);
        return;
    }
    Call call{"PutObject", RequestType::put, "PUT", key, key, {}, metadata, data, std::nullopt, false};
    HttpResponse r = execute(call, deadline);
    if (!success(r.status)) fail(call, r);
}

void S3Client::put_multipart(const std::string& key, ConstBytes data, const Deadline& deadline,
                             const HeaderList& metadata) {
    Call create{"CreateMultipartUpload", RequestType::put, "POST", key, key, {{"uploads", ""}}, metadata, {},
                std::nullopt, false};
    HttpResponse created = execute(create, deadline);
    if (!success(created.status)) fail(create, created);
    const std::string upload_id = xml::first_text(created.body, "UploadId").value_or("");
    if (upload_id.empty())
        throw ServerError("S3 CreateMultipartUpload bucket '" + bucket_ + "' key '" + key + "': no UploadId in reply");

    const std::size_t part = part_bytes(data.size());
    const std::size_t parts = (data.size() + part - 1) / part;
    std::vector<std::string> etags(parts);
    try {
        parallel_for(parts, options_.parallel_transfers, [&](std::size_t i) {
            ConstBytes slice = data.subspan(i * part, std::min(part, data.size() - i * part));
            Call upload{"UploadPart", RequestType::put, "PUT", key, key,
                        {{"partNumber", std::to_string(i + 1)}, {"uploadId", upload_id}}, {}, slice,
                        std::nullopt, false};
            HttpResponse r = execute(upload, deadline);
            if (!success(r.status)) fail(upload, r);
            const std::string* etag = r.header("etag");
            if (!etag || etag->empty())
                throw ServerError("S3 UploadPart bucket '" + bucket_ + "' key '" + key + "' part " +
                                  std::to_string(i + 1) + ": no ETag in reply");
            etags[i] = *etag;
        });
        std::string body = "<CompleteMultipartUpload>";
        for (std::size_t i = 0; i < parts; ++i)
            body += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + xml::escape(etags[i]) +
                    "</ETag></Part>";
        body += "</CompleteMultipartUpload>";
        Call complete{"CompleteMultipartUpload", RequestType::put, "POST", key, key,
                      {{"uploadId", upload_id}}, {{"content-type", "application/xml"}},
                      std::as_bytes(std::span(body.data(), body.size())), std::nullopt, false};
        HttpResponse r = execute(complete, deadline);
        // S3 may answer 200 and still report an error in the body.
        if (!success(r.status) || r.body.find("<Error>") != std::string::npos) fail(complete, r);
    } catch (...) {
        // Free the parts already stored (best effort, briefly bounded).
        try {
            Call abort_upload{"AbortMultipartUpload", RequestType::del, "DELETE", key, key,
                              {{"uploadId", upload_id}}, {}, {}, std::nullopt, false};
            Deadline brief(std::min(options_.request_timeout, std::chrono::milliseconds(5'000)));
            if (!aborted_.load()) execute(abort_upload, brief);
        } catch (const std::exception& e) {
            log_.warn("S3 AbortMultipartUpload of '" + key + "' failed: " + e.what());
        }
        throw;
    }
}

ReadResult S3Client::read_range(const std::string& key, const ReadSpec& spec, std::uint64_t offset,
                                MutableBytes into, bool first, const Deadline& deadline) {
    const bool whole = offset == 0 && into.size() == spec.object_size;
    Call call{"GetObject", RequestType::get, "GET", key, key, {}, {}, {}, into, true};
    if (!whole)
        call.headers.emplace_back("range", "bytes=" + std::to_string(offset) + "-" +
                                               std::to_string(offset + into.size() - 1));
    HttpResponse r = execute(call, deadline);
    ReadResult result;
    if (r.status == 404 && error_code(r) == "NoSuchKey" && first && spec.missing_ok) {
        counters_.add_get_miss();
        return result;
    }
    if (r.status == 416)  // the object is shorter than the range (or an error marker)
        return probe(key, spec, deadline);
    if (!success(r.status)) fail(call, r);
    result.found = true;
    if (r.header(kErrorMarkerHeader)) {
        result.marker = r.body;
        return result;
    }
    if (whole) {
        if (r.length_mismatch) result.actual_size = r.content_length.value_or(r.bytes_received);
        return result;
    }
    std::optional<std::uint64_t> total =
        r.status == 206 ? total_from_content_range(r.header("content-range")) : r.content_length;
    if (!total)
        throw ServerError("S3 GetObject bucket '" + bucket_ + "' key '" + key +
                          "': ranged reply without a usable Content-Range");
    if (*total != spec.object_size) {
        result.actual_size = *total;
        return result;
    }
    if (r.status != 206 || r.length_mismatch)
        throw ServerError("S3 GetObject bucket '" + bucket_ + "' key '" + key + "': reply to bytes " +
                          std::to_string(offset) + "-" + std::to_string(offset + into.size() - 1) +
                          " has the wrong length (HTTP " + std::to_string(r.status) + ")");
    return result;
}

ReadResult S3Client::probe(const std::string& key, const ReadSpec& spec, const Deadline& deadline) {
    // A GET that accepts only an empty body: it stops at once for any other
    // length, and tells existence, size and error markers in one request.
    std::byte none[1];
    Call call{"GetObject", RequestType::get, "GET", key, key, {}, {}, {}, MutableBytes(none, 0), true};
    HttpResponse r = execute(call, deadline);
    ReadResult result;
    if (r.status == 404 && error_code(r) == "NoSuchKey") {
        if (spec.missing_ok) counters_.add_get_miss();
        return result;
    }
    if (!success(r.status)) fail(call, r);
    result.found = true;
    if (r.header(kErrorMarkerHeader)) {
        result.marker = r.body;
        return result;
    }
    std::uint64_t size = r.content_length.value_or(r.bytes_received);
    if (size != spec.object_size) result.actual_size = size;
    return result;
}

ReadResult S3Client::get_object(const std::string& key, const ReadSpec& spec, const Deadline& deadline) {
    const std::uint64_t length = spec.into.size();
    if (spec.offset + length > spec.object_size)
        throw UsageError("S3 GetObject '" + key + "': range " + std::to_string(spec.offset) + "+" +
                         std::to_string(length) + " beyond the object's " + std::to_string(spec.object_size) +
                         " bytes");
    if (length == 0 && spec.object_size > 0) {  // nothing to read: only existence and size
        ReadResult result = probe(key, spec, deadline);
        if (!result.found && !spec.missing_ok)
            throw S3ServerError({"GetObject", bucket_, key, 404, "NoSuchKey", "the object does not exist", ""});
        return result;
    }
    const std::size_t part = part_bytes(length);
    const std::size_t chunks = length == 0 ? 1 : (length + part - 1) / part;
    auto chunk = [&](std::size_t i) { return spec.into.subspan(i * part, std::min<std::size_t>(part, length - i * part)); };

    // The first chunk doubles as the poll; the others follow in parallel.
    ReadResult first = read_range(key, spec, spec.offset, chunk(0), true, deadline);
    if (!first.found && !spec.missing_ok)
        throw S3ServerError({"GetObject", bucket_, key, 404, "NoSuchKey", "the object does not exist", ""});
    if (!first.found || first.actual_size || first.marker || chunks == 1) return first;
    parallel_for(chunks - 1, options_.parallel_transfers, [&](std::size_t i) {
        ReadResult r = read_range(key, spec, spec.offset + (i + 1) * part, chunk(i + 1), false, deadline);
        if (!r.found || r.actual_size || r.marker)
            throw ServerError("S3 GetObject bucket '" + bucket_ + "' key '" + key +
                              "': the object changed while it was read");
    });
    return first;
}

std::optional<std::uint64_t> S3Client::head_object(const std::string& key, const Deadline& deadline) {
    Call call{"HeadObject", RequestType::head, "HEAD", key, key, {}, {}, {}, std::nullopt, false};
    HttpResponse r = execute(call, deadline);
    if (r.status == 404) return std::nullopt;
    if (!success(r.status)) fail(call, r);
    return r.content_length.value_or(0);
}

ListPage S3Client::list_page(const std::string& prefix, const std::string& continuation_token,
                             const Deadline& deadline, int max_keys) {
    if (prefix.empty()) throw UsageError("S3 ListObjectsV2: refusing to list the whole bucket '" + bucket_ + "'");
    QueryList query{{"list-type", "2"}, {"prefix", prefix}, {"encoding-type", "url"}};
    if (max_keys != 1000) query.emplace_back("max-keys", std::to_string(max_keys));
    if (!continuation_token.empty()) query.emplace_back("continuation-token", continuation_token);
    Call call{"ListObjectsV2", RequestType::list, "GET", "", prefix, std::move(query), {}, {}, std::nullopt, false};
    HttpResponse r = execute(call, deadline);
    if (!success(r.status)) fail(call, r);

    ListPage page;
    // With encoding-type=url, S3 returns keys URL-encoded ('+' for space).
    const bool url_encoded = xml::first_text(r.body, "EncodingType").value_or("") == "url";
    for (std::string_view contents : xml::elements(r.body, "Contents")) {
        ObjectEntry entry;
        std::string key = xml::first_text(contents, "Key").value_or("");
        if (url_encoded) {
            std::replace(key.begin(), key.end(), '+', ' ');
            key = uri_decode(key);
        }
        entry.key = std::move(key);
        try {
            entry.size = std::stoull(xml::first_text(contents, "Size").value_or("0"));
        } catch (const std::exception&) {
            throw ServerError("S3 ListObjectsV2 bucket '" + bucket_ + "' prefix '" + prefix +
                              "': unreadable size of '" + entry.key + "'");
        }
        page.objects.push_back(std::move(entry));
    }
    if (xml::first_text(r.body, "IsTruncated").value_or("false") == "true") {
        page.next_token = xml::first_text(r.body, "NextContinuationToken").value_or("");
        if (page.next_token.empty())
            throw ServerError("S3 ListObjectsV2 bucket '" + bucket_ + "' prefix '" + prefix +
                              "': truncated listing without a continuation token");
    }
    return page;
}

std::vector<ObjectEntry> S3Client::list_all(const std::string& prefix, const Deadline& deadline) {
    std::vector<ObjectEntry> all;
    std::string token;
    do {
        ListPage page = list_page(prefix, token, deadline);
        std::move(page.objects.begin(), page.objects.end(), std::back_inserter(all));
        token = std::move(page.next_token);
    } while (!token.empty());
    return all;
}

void S3Client::delete_object(const std::string& key, const Deadline& deadline) {
    Call call{"DeleteObject", RequestType::del, "DELETE", key, key, {}, {}, {}, std::nullopt, false};
    HttpResponse r = execute(call, deadline);
    if (!success(r.status) && r.status != 404) fail(call, r);
}

void S3Client::delete_objects(std::span<const std::string> keys, const Deadline& deadline) {
    for (std::size_t begin = 0; begin < keys.size(); begin += kDeleteBatch) {
        auto batch = keys.subspan(begin, std::min(kDeleteBatch, keys.size() - begin));
        std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                           "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>";
        for (const std::string& key : batch) body += "<Object><Key>" + xml::escape(key) + "</Key></Object>";
        body += "</Delete>";
        Call call{"DeleteObjects", RequestType::del, "POST", "", batch.front(), {{"delete", ""}},
                  {{"content-md5", md5_base64(body)}, {"content-type", "application/xml"}},
                  std::as_bytes(std::span(body.data(), body.size())), std::nullopt, false};
        HttpResponse r = execute(call, deadline);
        if (!success(r.status)) fail(call, r);
        // Quiet mode lists only the keys that failed.
        for (std::string_view error : xml::elements(r.body, "Error")) {
            std::string code = xml::first_text(error, "Code").value_or("");
            if (code == "NoSuchKey") continue;
            throw_s3_error({"DeleteObjects", bucket_, xml::first_text(error, "Key").value_or(""), r.status, code,
                            xml::first_text(error, "Message").value_or(""), ""});
        }
    }
}

}  // namespace fmi::detail::s3
