// Where the S3 channel finds its access keys, in the order the AWS SDKs use:
//   1. the keys given in S3Options (access_key_id + secret_access_key);
//   2. unless S3Options names a profile: AWS_ACCESS_KEY_ID,
//      AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN from the environment;
//   3. the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, else
//      $HOME/.aws/credentials), section S3Options::profile, else AWS_PROFILE,
//      else "default"; keys aws_access_key_id, aws_secret_access_key,
//      aws_session_token.
// Nothing found is a ConfigError naming every place looked at.
#pragma once

#include "channels/s3/sigv4.hpp"

#include <fmi/config.hpp>

#include <map>
#include <string>
#include <string_view>

namespace fmi::detail::s3 {

/// The sections of an INI-style AWS credentials file: section -> key -> value.
/// Lines starting with '#' or ';' are comments; names are case-sensitive,
/// keys are lower-cased, values trimmed. `origin` names the file in errors.
std::map<std::string, std::map<std::string, std::string>> parse_credentials_file(
    std::string_view text, std::string_view origin);

/// Resolves the credentials of `options` (see the order above). `env` is
/// injected so tests need not touch the process environment.
Credentials resolve_credentials(const S3Options& options, const EnvLookup& env);

/// std::getenv as an EnvLookup (for callers that have no injected one).
EnvLookup getenv_lookup();

}  // namespace fmi::detail::s3
