#include "channels/s3/xml.hpp"

#include <cstdint>

namespace fmi::detail::s3::xml {
namespace {

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

}  // namespace

std::vector<std::string_view> elements(std::string_view document, std::string_view tag) {
    std::vector<std::string_view> out;
    const std::string open = "<" + std::string(tag);
    const std::string close = "</" + std::string(tag) + ">";
    std::size_t pos = 0;
    while ((pos = document.find(open, pos)) != std::string_view::npos) {
        std::size_t after = pos + open.size();
        if (after >= document.size()) break;
        char next = document[after];
        if (next == '/') {  // <Tag/>: empty element
            out.emplace_back();
            pos = after;
            continue;
        }
        if (next != '>' && next != ' ') {  // <TagLonger>: another element
            pos = after;
            continue;
        }
        std::size_t gt = document.find('>', after);
        if (gt == std::string_view::npos) break;
        if (document[gt - 1] == '/') {
            out.emplace_back();
            pos = gt + 1;
            continue;
        }
        std::size_t end = document.find(close, gt + 1);
        if (end == std::string_view::npos) break;
        out.push_back(document.substr(gt + 1, end - gt - 1));
        pos = end + close.size();
    }
    return out;
}

std::optional<std::string> first_text(std::string_view document, std::string_view tag) {
    auto all = elements(document, tag);
    if (all.empty()) return std::nullopt;
    return unescape(all.front());
}

std::string unescape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '&') {
            out += text[i];
            continue;
        }
        std::size_t semi = text.find(';', i);
        if (semi == std::string_view::npos) {
            out += text[i];
            continue;
        }
        std::string_view entity = text.substr(i + 1, semi - i - 1);
        if (entity == "amp") out += '&';
        else if (entity == "lt") out += '<';
        else if (entity == "gt") out += '>';
        else if (entity == "quot") out += '"';
        else if (entity == "apos") out += '\'';
        else if (!entity.empty() && entity[0] == '#') {
            std::uint32_t cp = 0;
            bool hex = entity.size() > 1 && (entity[1] == 'x' || entity[1] == 'X');
            for (std::size_t k = hex ? 2 : 1; k < entity.size(); ++k) {
                char c = entity[k];
                int d = (c >= '0' && c <= '9') ? c - '0'
                        : (hex && c >= 'a' && c <= 'f') ? c - 'a' + 10
                        : (hex && c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
                if (d < 0) { cp = 0xFFFD; break; }
                cp = cp * (hex ? 16 : 10) + static_cast<std::uint32_t>(d);
            }
            append_utf8(out, cp);
        } else {
            out.append(text.substr(i, semi - i + 1));
        }
        i = semi;
    }
    return out;
}

std::string escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default: out += c;
        }
    }
    return out;
}

}  // namespace fmi::detail::s3::xml
