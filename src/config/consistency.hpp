// Checks that need the whole configuration: a pinned channel must be enabled,
// an enabled S3 channel needs a bucket, the S3 poll back-off must grow. They
// run after the environment is applied (apply_environment), because a
// variable may complete the file (FMI_S3_BUCKET for a file that enables s3).
#pragma once

#include <fmi/config.hpp>

namespace fmi::detail {

/// Throws ConfigError naming the field to fix ("channel", "s3.bucket", ...).
void check_consistency(const Config& config);

}  // namespace fmi::detail
