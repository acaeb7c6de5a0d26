#include "channels/s3/http.hpp"

#include <fmi/errors.hpp>

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace fmi::detail::s3 {
namespace {

// libcurl requires curl_global_init before any thread uses it; it is the
// library's own process-wide state, initialised once and never torn down.
void ensure_curl_initialised() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            throw IoError("S3: curl_global_init failed");
    });
}

struct CurlSlistDeleter {
    void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

// Everything the callbacks of one transfer share.
struct Transfer {
    const HttpRequest* request;
    HttpResponse* response;
    const std::atomic<bool>* abort_flag;
    std::size_t upload_offset = 0;
    std::size_t target_offset = 0;
    bool headers_done = false;
    bool to_target = false;
    bool stopped_for_length = false;
};

bool is_success(long status) { return status >= 200 && status < 300; }

std::string trim(std::string_view s) {
    std::size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return std::string(s.substr(b, e - b));
}

// Decides, once all headers are in, where the body goes.
void on_headers_complete(Transfer& t) {
    t.headers_done = true;
    HttpResponse& r = *t.response;
    if (auto* cl = r.header("content-length")) {
        try {
            r.content_length = std::stoull(*cl);
        } catch (const std::exception&) {
        }
    }
    const HttpRequest& q = *t.request;
    if (!q.receive_into || !is_success(r.status) || q.method == "HEAD") return;
    if (!q.divert_header.empty() && r.header(q.divert_header)) return;
    t.to_target = true;
    if (r.content_length && *r.content_length != q.receive_into->size()) {
        r.length_mismatch = true;
        t.to_target = false;
        t.stopped_for_length = true;
    }
}

size_t header_callback(char* data, size_t size, size_t count, void* user) {
    auto& t = *static_cast<Transfer*>(user);
    std::string_view line(data, size * count);
    HttpResponse& r = *t.response;
    if (line.rfind("HTTP/", 0) == 0) {
        // A new status line (e.g. after "100 Continue"): start afresh.
        r.headers.clear();
        t.headers_done = false;
        auto sp = line.find(' ');
        r.status = sp == std::string_view::npos ? 0 : std::atol(std::string(line.substr(sp + 1, 3)).c_str());
        return line.size();
    }
    if (line == "\r\n" || line == "\n") {
        if (r.status >= 200) on_headers_complete(t);
        return line.size();
    }
    auto colon = line.find(':');
    if (colon != std::string_view::npos) {
        std::string name(line.substr(0, colon));
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        r.headers[name] = trim(line.substr(colon + 1));
    }
    return line.size();
}

size_t write_callback(char* data, size_t size, size_t count, void* user) {
    auto& t = *static_cast<Transfer*>(user);
    const size_t n = size * count;
    if (t.stopped_for_length) return 0;  // CURLE_WRITE_ERROR: we stop on purpose
    t.response->bytes_received += n;
    if (t.to_target) {
        MutableBytes target = *t.request->receive_into;
        if (t.target_offset + n > target.size()) {
            t.response->length_mismatch = true;
            t.stopped_for_length = true;
            return 0;
        }
        std::memcpy(target.data() + t.target_offset, data, n);
        t.target_offset += n;
        return n;
    }
    t.response->body.append(data, n);
    return n;
}

size_t read_callback(char* buffer, size_t size, size_t count, void* user) {
    auto& t = *static_cast<Transfer*>(user);
    ConstBytes body = t.request->body;
    size_t n = std::min(size * count, body.size() - t.upload_offset);
    if (n) std::memcpy(buffer, body.data() + t.upload_offset, n);
    t.upload_offset += n;
    return n;
}

// curl rewinds an upload when it must resend it (e.g. on a reused
// connection that turned out closed).
int seek_callback(void* user, curl_off_t offset, int origin) {
    auto& t = *static_cast<Transfer*>(user);
    if (origin != SEEK_SET || offset < 0 || static_cast<size_t>(offset) > t.request->body.size())
        return CURL_SEEKFUNC_CANTSEEK;
    t.upload_offset = static_cast<size_t>(offset);
    return CURL_SEEKFUNC_OK;
}

int progress_callback(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto& t = *static_cast<Transfer*>(user);
    return (t.abort_flag && t.abort_flag->load(std::memory_order_relaxed)) ? 1 : 0;
}

template <class T>
void set(CURL* c, CURLoption option, T value) {
    if (curl_easy_setopt(c, option, value) != CURLE_OK)
        throw IoError("S3: curl_easy_setopt(" + std::to_string(static_cast<int>(option)) + ") failed");
}

}  // namespace

void HttpConnection::CurlDeleter::operator()(void* handle) const noexcept {
    curl_easy_cleanup(static_cast<CURL*>(handle));
}

HttpConnection::HttpConnection() {
    ensure_curl_initialised();
    curl_.reset(curl_easy_init());
    if (!curl_) throw IoError("S3: curl_easy_init failed");
}

HttpConnection::~HttpConnection() = default;

HttpResponse HttpConnection::perform(const HttpRequest& request, const HttpLimits& limits) {
    CURL* c = static_cast<CURL*>(curl_.get());
    // Reset options (not the connection cache) so nothing leaks between requests.
    curl_easy_reset(c);

    const auto started = std::chrono::steady_clock::now();
    HttpResponse response;
    Transfer transfer{&request, &response, limits.abort_flag};
    char error_buffer[CURL_ERROR_SIZE] = {0};

    set(c, CURLOPT_URL, request.url.c_str());
    set(c, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for DNS timeouts
    set(c, CURLOPT_ERRORBUFFER, error_buffer);
    set(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::max<long long>(1, limits.connect_timeout.count())));
    set(c, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<long long>(1, limits.total_timeout.count())));
    set(c, CURLOPT_TCP_KEEPALIVE, 1L);
    set(c, CURLOPT_PATH_AS_IS, 1L);  // keys are data: never squash "/../" in them
    set(c, CURLOPT_HEADERFUNCTION, header_callback);
    set(c, CURLOPT_HEADERDATA, &transfer);
    set(c, CURLOPT_WRITEFUNCTION, write_callback);
    set(c, CURLOPT_WRITEDATA, &transfer);
    set(c, CURLOPT_XFERINFOFUNCTION, progress_callback);
    set(c, CURLOPT_XFERINFODATA, &transfer);
    set(c, CURLOPT_NOPROGRESS, 0L);

    const std::string& m = request.method;
    const bool has_body = m == "PUT" || m == "POST";
    if (m == "GET") {
        set(c, CURLOPT_HTTPGET, 1L);
    } else if (m == "HEAD") {
        set(c, CURLOPT_NOBODY, 1L);
    } else if (m == "PUT") {
        set(c, CURLOPT_UPLOAD, 1L);
        set(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    } else if (m == "POST") {
        set(c, CURLOPT_POST, 1L);
        set(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    } else {
        set(c, CURLOPT_CUSTOMREQUEST, m.c_str());
    }
    if (has_body) {
        set(c, CURLOPT_READFUNCTION, read_callback);
        set(c, CURLOPT_READDATA, &transfer);
        set(c, CURLOPT_SEEKFUNCTION, seek_callback);
        set(c, CURLOPT_SEEKDATA, &transfer);
    }

    CurlSlist headers;
    auto add = [&](const std::string& line) {
        curl_slist* next = curl_slist_append(headers.get(), line.c_str());
        if (!next) throw IoError("S3: out of memory building headers");
        (void)headers.release();
        headers.reset(next);
    };
    bool has_content_type = false;
    for (const auto& [name, value] : request.headers) {
        add(name + ": " + value);
        if (name == "content-type" || name == "Content-Type") has_content_type = true;
    }
    add("Expect:");  // no 100-continue round trip before bodies
    if (!has_content_type && m == "POST") add("Content-Type:");  // curl would add a form type
    set(c, CURLOPT_HTTPHEADER, headers.get());

    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_WRITE_ERROR && transfer.stopped_for_length) {
        response.length_mismatch = true;
        return response;
    }
    if (rc != CURLE_OK) {
        std::string what = "S3 " + m + " " + request.url;
        std::string detail = error_buffer[0] ? error_buffer : curl_easy_strerror(rc);
        if (rc == CURLE_OPERATION_TIMEDOUT)
            throw TimeoutError(what + " (" + detail + ")",
                               std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now() - started),
                               limits.total_timeout);
        if (rc == CURLE_ABORTED_BY_CALLBACK) throw IoError(what + ": aborted by this peer");
        throw IoError(what + ": " + detail);
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    response.status = status;
    if (!transfer.headers_done && status >= 200) on_headers_complete(transfer);
    if (transfer.to_target) {
        response.body_in_target = true;
        if (transfer.target_offset != request.receive_into->size()) response.length_mismatch = true;
    }
    return response;
}

ConnectionPool::Lease ConnectionPool::acquire() {
    std::unique_ptr<HttpConnection> c;
    {
        std::lock_guard lock(mutex_);
        if (!idle_.empty()) {
            c = std::move(idle_.back());
            idle_.pop_back();
        }
    }
    if (!c) c = std::make_unique<HttpConnection>();
    return Lease(*this, std::move(c));
}

void ConnectionPool::release(std::unique_ptr<HttpConnection> c) {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(c));
}

}  // namespace fmi::detail::s3
