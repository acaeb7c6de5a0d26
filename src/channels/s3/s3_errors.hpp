// Typed errors of S3 replies. A 4xx is never retried and never turns into a
// timeout: it becomes S3AuthError (401/403 and the credential/signature
// codes) or S3ServerError, each naming the operation, bucket, key, HTTP
// status, S3 error code, message and request id.
#pragma once

#include <fmi/errors.hpp>

#include <string>

namespace fmi::detail::s3 {

/// What S3 said about a failed request.
struct S3ErrorDetails {
    std::string operation;  ///< "PutObject", "ListObjectsV2", ...
    std::string bucket;
    std::string key;  ///< object key or list prefix (empty for bucket-level calls)
    long status = 0;  ///< HTTP status
    std::string code;     ///< S3 error code ("NoSuchBucket", "SignatureDoesNotMatch", ...)
    std::string message;  ///< S3's message
    std::string request_id;
};

/// One line: "S3 PutObject bucket 'b' key 'k': HTTP 403 SignatureDoesNotMatch: ... (request id ...)".
std::string describe(const S3ErrorDetails& d);

/// True for replies that mean "your credentials or signature are not accepted".
bool is_auth_failure(long status, const std::string& code);

class S3ServerError : public ServerError {
public:
    explicit S3ServerError(S3ErrorDetails d) : ServerError(describe(d)), details_(std::move(d)) {}
    const S3ErrorDetails& details() const noexcept { return details_; }

private:
    S3ErrorDetails details_;
};

class S3AuthError : public AuthError {
public:
    explicit S3AuthError(S3ErrorDetails d) : AuthError(describe(d)), details_(std::move(d)) {}
    const S3ErrorDetails& details() const noexcept { return details_; }

private:
    S3ErrorDetails details_;
};

/// Throws S3AuthError or S3ServerError for `d`.
[[noreturn]] void throw_s3_error(S3ErrorDetails d);

}  // namespace fmi::detail::s3
