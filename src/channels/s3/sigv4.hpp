// AWS Signature Version 4 for S3, computed with OpenSSL.
//
// We sign ourselves rather than use curl's CURLOPT_AWS_SIGV4 because curl
// 7.88 signs percent-encoded query values wrongly (e.g. a ListObjectsV2
// prefix with '/' or a continuation token with '='). The functions here are
// pure (no clock, no I/O) so tests can compare them byte for byte with
// botocore's signer for fixed inputs.
//
// Steps (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html):
//   1. canonical request = METHOD \n path \n sorted query \n headers \n signed
//      header names \n hex(sha256(payload))
//   2. string to sign    = "AWS4-HMAC-SHA256" \n date-time \n scope \n hex(sha256(1))
//   3. signing key       = HMAC chain over date, region, "s3", "aws4_request"
//   4. Authorization     = "AWS4-HMAC-SHA256 Credential=AK/scope,
//                           SignedHeaders=..., Signature=hex(HMAC(key, 2))"
#pragma once

#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fmi::detail::s3 {

/// An access key pair, with the session token of temporary credentials.
struct Credentials {
    std::string access_key_id;
    std::string secret_access_key;
    std::string session_token;  ///< empty for long-term keys
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;
/// Query parameters, raw (not yet percent-encoded); an empty value is
/// written as "name=".
using QueryList = std::vector<std::pair<std::string, std::string>>;

/// Percent-encodes per RFC 3986 as SigV4 wants: unreserved characters
/// (A-Z a-z 0-9 - _ . ~) stay, every other byte becomes %XX (upper-case hex).
/// With keep_slash, '/' stays too (object keys in paths).
std::string uri_encode(std::string_view text, bool keep_slash);

/// Inverse of uri_encode (also accepts lower-case hex). Malformed escapes
/// are kept as they are.
std::string uri_decode(std::string_view text);

/// "k1=v1&k2=v2" with every name and value uri_encode'd, in the order given.
std::string encode_query(const QueryList& query);

/// The canonical query string: encoded pairs sorted by name, then value.
std::string canonical_query(const QueryList& query);

/// Lower-case hex SHA-256 of bytes.
std::string sha256_hex(std::span<const std::byte> data);
std::string sha256_hex(std::string_view text);
/// Base64 of the MD5 of bytes (the Content-MD5 header).
std::string md5_base64(std::string_view text);

/// "YYYYMMDDTHHMMSSZ" in UTC.
std::string amz_date(std::chrono::system_clock::time_point when);

/// What the signature covers.
struct RequestToSign {
    std::string method;        ///< "GET", "PUT", ...
    std::string host;          ///< the Host header: "bucket.s3.eu-west-1.amazonaws.com", "127.0.0.1:8000"
    std::string encoded_path;  ///< already encoded path, e.g. "/bucket/a%20b/c"
    QueryList query;           ///< raw query parameters
    HeaderList headers;        ///< further headers to sign and send (range, content-md5, x-amz-meta-*, ...)
    std::string payload_sha256;  ///< hex SHA-256 of the body (or "UNSIGNED-PAYLOAD")
};

/// The result: the headers to add to the request, and the intermediate
/// strings (tests and error messages show them).
struct SignedRequest {
    /// host, x-amz-date, x-amz-content-sha256, x-amz-security-token (with a
    /// session token), the request's own headers, and authorization.
    HeaderList headers;
    std::string authorization;
    std::string canonical_request;
    std::string string_to_sign;
};

/// Signs `request` for service "s3" in `region` at `date` ("YYYYMMDDTHHMMSSZ").
SignedRequest sign_v4(const RequestToSign& request, const Credentials& credentials,
                      std::string_view region, std::string_view date);

}  // namespace fmi::detail::s3
