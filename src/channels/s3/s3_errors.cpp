#include "channels/s3/s3_errors.hpp"

namespace fmi::detail::s3 {

std::string describe(const S3ErrorDetails& d) {
    std::string out = "S3 " + d.operation + " bucket '" + d.bucket + "'";
    if (!d.key.empty()) out += " key '" + d.key + "'";
    out += ": HTTP " + std::to_string(d.status);
    if (!d.code.empty()) out += " " + d.code;
    if (!d.message.empty()) out += ": " + d.message;
    if (!d.request_id.empty()) out += " (request id " + d.request_id + ")";
    return out;
}

bool is_auth_failure(long status, const std::string& code) {
    if (status == 401 || status == 403) return true;
    static const char* const auth_codes[] = {
        "AccessDenied",       "SignatureDoesNotMatch", "InvalidAccessKeyId",
        "ExpiredToken",       "InvalidToken",          "TokenRefreshRequired",
        "RequestTimeTooSkewed", "AuthorizationHeaderMalformed", "InvalidSecurity",
        "MissingSecurityHeader", "AllAccessDisabled",  "AccountProblem"};
    for (const char* c : auth_codes)
        if (code == c) return true;
    return false;
}

void throw_s3_error(S3ErrorDetails d) {
    if (is_auth_failure(d.status, d.code)) throw S3AuthError(std::move(d));
    throw S3ServerError(std::move(d));
}

}  // namespace fmi::detail::s3
