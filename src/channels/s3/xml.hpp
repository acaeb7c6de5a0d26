// Just enough XML for S3's replies (ListObjectsV2, errors, multipart,
// DeleteObjects): find elements by tag name, unescape and escape text.
// S3 replies are flat, machine-written documents without CDATA or comments
// inside the elements we read, so a tag scan is exact for them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fmi::detail::s3::xml {

/// Raw (still escaped) contents of every <tag>...</tag> at any depth, in order.
std::vector<std::string_view> elements(std::string_view document, std::string_view tag);

/// Unescaped text of the first <tag>...</tag>, if any.
std::optional<std::string> first_text(std::string_view document, std::string_view tag);

/// Replaces &amp; &lt; &gt; &quot; &apos; &#N; &#xN; with their characters.
std::string unescape(std::string_view text);

/// Escapes & < > " ' for element text.
std::string escape(std::string_view text);

}  // namespace fmi::detail::s3::xml
