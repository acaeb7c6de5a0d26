#include "channels/s3/sigv4.hpp"

#include <fmi/errors.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <map>

namespace fmi::detail::s3 {
namespace {

constexpr char hex_upper[] = "0123456789ABCDEF";
constexpr char hex_lower[] = "0123456789abcdef";

bool unreserved(unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

std::string to_hex(const unsigned char* data, std::size_t n) {
    std::string out(2 * n, '0');
    for (std::size_t i = 0; i < n; ++i) {
        out[2 * i] = hex_lower[data[i] >> 4];
        out[2 * i + 1] = hex_lower[data[i] & 15];
    }
    return out;
}

using Digest = std::array<unsigned char, 32>;

Digest hmac_sha256(std::string_view key, std::string_view message) {
    Digest out{};
    unsigned int length = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(message.data()), message.size(), out.data(),
              &length) ||
        length != out.size())
        throw Error("SigV4: HMAC-SHA256 failed in OpenSSL");
    return out;
}

std::string_view as_view(const Digest& d) {
    return {reinterpret_cast<const char*>(d.data()), d.size()};
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// SigV4 "Trimall": strip the ends, squeeze runs of spaces into one.
std::string trim_all(std::string_view value) {
    std::string out;
    bool pending_space = false;
    for (char c : value) {
        if (c == ' ' || c == '\t') {
            pending_space = !out.empty();
            continue;
        }
        if (pending_space) out += ' ';
        pending_space = false;
        out += c;
    }
    return out;
}

}  // namespace

std::string uri_encode(std::string_view text, bool keep_slash) {
    std::string out;
    out.reserve(text.size() * 3 / 2);
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        if (unreserved(c) || (keep_slash && c == '/')) {
            out += ch;
        } else {
            out += '%';
            out += hex_upper[c >> 4];
            out += hex_upper[c & 15];
        }
    }
    return out;
}

std::string uri_decode(std::string_view text) {
    auto hex_value = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size()) {
            int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out += text[i];
    }
    return out;
}

std::string encode_query(const QueryList& query) {
    std::string out;
    for (const auto& [name, value] : query) {
        if (!out.empty()) out += '&';
        out += uri_encode(name, false);
        out += '=';
        out += uri_encode(value, false);
    }
    return out;
}

std::string canonical_query(const QueryList& query) {
    std::vector<std::pair<std::string, std::string>> encoded;
    encoded.reserve(query.size());
    for (const auto& [name, value] : query)
        encoded.emplace_back(uri_encode(name, false), uri_encode(value, false));
    std::sort(encoded.begin(), encoded.end());
    std::string out;
    for (const auto& [name, value] : encoded) {
        if (!out.empty()) out += '&';
        out += name;
        out += '=';
        out += value;
    }
    return out;
}

std::string sha256_hex(std::span<const std::byte> data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int length = 0;
    if (!EVP_Digest(data.data(), data.size(), md.data(), &length, EVP_sha256(), nullptr))
        throw Error("SigV4: SHA-256 failed in OpenSSL");
    return to_hex(md.data(), length);
}

std::string sha256_hex(std::string_view text) {
    return sha256_hex(std::as_bytes(std::span(text.data(), text.size())));
}

std::string md5_base64(std::string_view text) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int length = 0;
    if (!EVP_Digest(text.data(), text.size(), md.data(), &length, EVP_md5(), nullptr))
        throw Error("S3: MD5 failed in OpenSSL");
    std::array<unsigned char, 4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1> b64{};
    int n = EVP_EncodeBlock(b64.data(), md.data(), static_cast<int>(length));
    return std::string(reinterpret_cast<const char*>(b64.data()), static_cast<std::size_t>(n));
}

std::string amz_date(std::chrono::system_clock::time_point when) {
    std::time_t t = std::chrono::system_clock::to_time_t(when);
    std::tm utc{};
    gmtime_r(&t, &utc);
    char buf[20];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &utc);
    return buf;
}

SignedRequest sign_v4(const RequestToSign& request, const Credentials& credentials,
                      std::string_view region, std::string_view date) {
    if (date.size() != 16) throw UsageError("SigV4: date must be YYYYMMDDTHHMMSSZ, got '" + std::string(date) + "'");
    const std::string day(date.substr(0, 8));

    // Every header we send is signed: the request's own plus the x-amz ones.
    HeaderList to_send = request.headers;
    to_send.emplace_back("host", request.host);
    to_send.emplace_back("x-amz-date", std::string(date));
    to_send.emplace_back("x-amz-content-sha256", request.payload_sha256);
    if (!credentials.session_token.empty())
        to_send.emplace_back("x-amz-security-token", credentials.session_token);

    std::map<std::string, std::string> canonical;  // sorted by lower-case name
    for (const auto& [name, value] : to_send) {
        std::string key = lower(name);
        std::string v = trim_all(value);
        auto [it, inserted] = canonical.emplace(key, v);
        if (!inserted) it->second += "," + v;
    }
    std::string header_block, signed_names;
    for (const auto& [name, value] : canonical) {
        header_block += name + ":" + value + "\n";
        if (!signed_names.empty()) signed_names += ';';
        signed_names += name;
    }

    SignedRequest out;
    out.canonical_request = request.method + "\n" + request.encoded_path + "\n" +
                            canonical_query(request.query) + "\n" + header_block + "\n" +
                            signed_names + "\n" + request.payload_sha256;
    const std::string scope = day + "/" + std::string(region) + "/s3/aws4_request";
    out.string_to_sign = "AWS4-HMAC-SHA256\n" + std::string(date) + "\n" + scope + "\n" +
                         sha256_hex(out.canonical_request);

    Digest k_date = hmac_sha256("AWS4" + credentials.secret_access_key, day);
    Digest k_region = hmac_sha256(as_view(k_date), region);
    Digest k_service = hmac_sha256(as_view(k_region), "s3");
    Digest k_signing = hmac_sha256(as_view(k_service), "aws4_request");
    Digest signature = hmac_sha256(as_view(k_signing), out.string_to_sign);

    out.authorization = "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + "/" + scope +
                        ", SignedHeaders=" + signed_names +
                        ", Signature=" + to_hex(signature.data(), signature.size());
    out.headers = std::move(to_send);
    out.headers.emplace_back("authorization", out.authorization);
    return out;
}

}  // namespace fmi::detail::s3
