#pragma once

#define FMI_VERSION_MAJOR 0
#define FMI_VERSION_MINOR 1
#define FMI_VERSION_PATCH 0

namespace fmi {
/// The library version, "major.minor.patch".
inline constexpr const char* version = "0.1.0";
}  // namespace fmi
