// The SigV4 signer against an independent implementation: botocore signs the
// same requests (fixed time, keys, region) and every URL and Authorization
// header must match byte for byte. Plus AWS's published example, and the
// pure helpers of the S3 channel (XML, credentials files, key names,
// endpoints).
#include "channels/s3/credentials.hpp"
#include "channels/s3/key_space.hpp"
#include "channels/s3/s3_client.hpp"
#include "channels/s3/sigv4.hpp"
#include "channels/s3/xml.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unistd.h>

namespace fmi::detail::s3 {
namespace {

struct SignCase {
    std::string method = "GET";
    std::string endpoint = "http://127.0.0.1:8080";
    bool path_style = true;
    std::string bucket = "fmi-bucket";
    std::string key;
    QueryList params;
    std::map<std::string, std::string> headers;
    std::string body;
    std::string token;
    std::string region = "eu-central-1";
    std::string date = "20261128T134201Z";
};

constexpr const char* kAccessKey = "AKIDFMITEST0EXAMPLE";
constexpr const char* kSecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYfmiSECRET";

// Runs botocore_sign.py on all cases at once (one Python start-up).
nlohmann::json sign_with_botocore(const std::vector<SignCase>& cases) {
    nlohmann::json input = nlohmann::json::array();
    for (const SignCase& c : cases) {
        nlohmann::json params = nlohmann::json::array();
        for (const auto& [k, v] : c.params) params.push_back({k, v});
        input.push_back({{"method", c.method}, {"endpoint", c.endpoint}, {"path_style", c.path_style},
                         {"bucket", c.bucket}, {"key", c.key}, {"params", params}, {"headers", c.headers},
                         {"body", c.body}, {"access_key", kAccessKey}, {"secret_key", kSecretKey},
                         {"token", c.token}, {"region", c.region}, {"date", c.date}});
    }
    char path[] = "/tmp/fmi-sigv4-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) throw std::runtime_error("mkstemp failed");
    close(fd);
    std::ofstream(path) << input.dump();
    const std::string command = std::string(FMI_SYSTEM_PYTHON) + " " + FMI_BOTOCORE_SIGNER + " < " + path;
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
    std::string output;
    std::array<char, 4096> buf{};
    while (pipe && std::fgets(buf.data(), buf.size(), pipe.get())) output += buf.data();
    int status = pipe ? pclose(pipe.release()) : -1;
    std::remove(path);
    if (status != 0) throw std::runtime_error("botocore_sign.py failed: " + output);
    return nlohmann::json::parse(output);
}

std::string header(const HeaderList& headers, const std::string& name) {
    for (const auto& [n, v] : headers)
        if (n == name) return v;
    return {};
}

TEST(SigV4, MatchesBotocoreForKeysQueriesHeadersAndTokens) {
    const std::vector<std::string> keys = {
        "plain.txt",
        "with space/and/slashes",
        "unicode/\xC3\xBCn\xC3\xAF\x63\xC3\xB8\x64\xC3\xA9/\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E.bin",
        "reserved +=&?%~!*'();:@$,#[]",
        "a//double//slash",
        "trailing/",
        "~tilde-_.dots..",
        "fmi/App%201/c/5/bcast/out.0",
    };
    std::vector<SignCase> cases;
    for (const std::string& key : keys) {
        for (bool path_style : {true, false}) {
            SignCase get;
            get.key = key;
            get.path_style = path_style;
            cases.push_back(get);

            SignCase put = get;
            put.method = "PUT";
            put.body = "payload \xE2\x82\xAC with unicode";
            put.token = "FwoGZXIvYXdzEJr//////////wEaDOtoken+with/slash=";
            put.headers["x-amz-meta-fmi-error"] = "  two   spaces  ";
            cases.push_back(put);

            SignCase ranged = get;
            ranged.headers["range"] = "bytes=5-104";
            cases.push_back(ranged);
        }
    }
    // ListObjectsV2 with prefixes that need encoding and a continuation token.
    for (const std::string& prefix : {std::string("fmi/App 1/c/5/"), std::string("r\xC3\xA9serv\xC3\xA9/+=&?%~/"),
                                      std::string("fmi/App%2B1/end/")}) {
        SignCase list;
        list.params = {{"list-type", "2"}, {"prefix", prefix}, {"encoding-type", "url"}};
        cases.push_back(list);
        SignCase next = list;
        next.params.emplace_back("continuation-token", "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
        next.params.emplace_back("max-keys", "7");
        next.token = "session/token+=";
        next.path_style = false;
        cases.push_back(next);
    }
    // DeleteObjects (bucket-level POST ?delete with Content-MD5) and multipart.
    SignCase del;
    del.method = "POST";
    del.params = {{"delete", ""}};
    del.body = "<Delete><Quiet>true</Quiet><Object><Key>a &amp; b</Key></Object></Delete>";
    del.headers["content-md5"] = md5_base64(del.body);
    del.headers["content-type"] = "application/xml";
    cases.push_back(del);
    SignCase create;
    create.method = "POST";
    create.key = "big object/\xE2\x9C\x93";
    create.params = {{"uploads", ""}};
    cases.push_back(create);
    SignCase part = create;
    part.method = "PUT";
    part.params = {{"partNumber", "3"}, {"uploadId", "2~abc/def+ghi=="}};
    part.body = std::string(1000, 'x');
    part.token = "tok";
    cases.push_back(part);
    SignCase https = create;
    https.endpoint = "https://s3.eu-central-1.amazonaws.com";
    https.path_style = false;
    cases.push_back(https);

    const nlohmann::json expected = sign_with_botocore(cases);
    ASSERT_EQ(expected.size(), cases.size());
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const SignCase& c = cases[i];
        S3Options options;
        options.endpoint = c.endpoint;
        options.path_style = c.path_style;
        HeaderList headers(c.headers.begin(), c.headers.end());
        PreparedRequest mine = prepare_request(parse_endpoint(options), c.bucket, c.method, c.key, c.params, headers,
                                               sha256_hex(c.body), {kAccessKey, kSecretKey, c.token}, c.region,
                                               c.date);
        SCOPED_TRACE("case " + std::to_string(i) + ": " + c.method + " '" + c.key + "'\n" +
                     mine.signature.canonical_request);
        EXPECT_EQ(mine.url, expected[i]["url"].get<std::string>());
        EXPECT_EQ(mine.signature.authorization, expected[i]["authorization"].get<std::string>());
        EXPECT_EQ(header(mine.headers, "x-amz-date"), expected[i]["x-amz-date"].get<std::string>());
        EXPECT_EQ(header(mine.headers, "x-amz-content-sha256"),
                  expected[i]["x-amz-content-sha256"].get<std::string>());
        EXPECT_EQ(header(mine.headers, "x-amz-security-token"),
                  expected[i]["x-amz-security-token"].get<std::string>());
    }
}

// AWS's worked example "GET Object" (Signature Version 4, Examples of the
// Complete Version 4 Signing Process for Amazon S3).
TEST(SigV4, ReproducesAwsDocumentedExample) {
    RequestToSign request{"GET", "examplebucket.s3.amazonaws.com", "/test.txt", {}, {{"range", "bytes=0-9"}},
                          sha256_hex(std::string_view())};
    SignedRequest s = sign_v4(request, {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""},
                              "us-east-1", "20130524T000000Z");
    EXPECT_EQ(s.authorization,
              "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
              "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
              "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4, EncodesAndDecodesUris) {
    EXPECT_EQ(uri_encode("a b/c+d~e", true), "a%20b/c%2Bd~e");
    EXPECT_EQ(uri_encode("a b/c", false), "a%20b%2Fc");
    EXPECT_EQ(uri_encode("\xC3\xBC", false), "%C3%BC");
    EXPECT_EQ(uri_decode("a%20b%2fc%2B%zz%"), "a b/c+%zz%");
    EXPECT_EQ(canonical_query({{"prefix", "a/b"}, {"delete", ""}, {"b", "2"}, {"b", "1"}}),
              "b=1&b=2&delete=&prefix=a%2Fb");
    EXPECT_EQ(amz_date(std::chrono::system_clock::time_point(std::chrono::seconds(1369353600))),
              "20130524T000000Z");
}

TEST(Xml, FindsElementsAndUnescapes) {
    const std::string doc =
        "<ListBucketResult xmlns=\"x\"><KeyCount>2</KeyCount><Contents><Key>a&amp;b&#x20AC;&#65;</Key>"
        "<Size>3</Size></Contents><Contents><Key>c</Key><Size>0</Size></Contents>"
        "<NextContinuationToken/></ListBucketResult>";
    auto contents = xml::elements(doc, "Contents");
    ASSERT_EQ(contents.size(), 2u);
    EXPECT_EQ(xml::first_text(contents[0], "Key"), "a&b\xE2\x82\xAC" "A");
    EXPECT_EQ(xml::first_text(doc, "KeyCount"), "2");
    EXPECT_EQ(xml::first_text(doc, "Key"), "a&b\xE2\x82\xAC" "A");  // not KeyCount
    EXPECT_EQ(xml::first_text(doc, "NextContinuationToken"), "");
    EXPECT_EQ(xml::first_text(doc, "Missing"), std::nullopt);
    EXPECT_EQ(xml::escape("<a&'\">"), "&lt;a&amp;&apos;&quot;&gt;");
}

TEST(Credentials, ParsesFileProfilesAndRejectsGarbage) {
    auto sections = parse_credentials_file(
        "# comment\n[default]\naws_access_key_id = AK1\n AWS_Secret_Access_Key=SK1 \n\n"
        "[profile ci]\naws_access_key_id=AK2\naws_secret_access_key=SK2\naws_session_token = T2\n; x\n",
        "creds");
    EXPECT_EQ(sections["default"]["aws_access_key_id"], "AK1");
    EXPECT_EQ(sections["default"]["aws_secret_access_key"], "SK1");
    EXPECT_EQ(sections["ci"]["aws_session_token"], "T2");
    EXPECT_THROW(parse_credentials_file("[x\n", "f"), ConfigError);
    EXPECT_THROW(parse_credentials_file("key=value\n", "f"), ConfigError);
    EXPECT_THROW(parse_credentials_file("[a]\nnovalue\n", "f"), ConfigError);
}

TEST(Credentials, ResolvesInTheSdkOrder) {
    char path[] = "/tmp/fmi-creds-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    std::ofstream(path) << "[default]\naws_access_key_id=FILEAK\naws_secret_access_key=FILESK\n"
                           "[temp]\naws_access_key_id=TAK\naws_secret_access_key=TSK\naws_session_token=TT\n";
    std::map<std::string, std::string> vars{{"AWS_SHARED_CREDENTIALS_FILE", path}};
    EnvLookup env = [&](std::string_view name) -> std::optional<std::string> {
        auto it = vars.find(std::string(name));
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
    S3Options options;
    Credentials c = resolve_credentials(options, env);
    EXPECT_EQ(c.access_key_id, "FILEAK");
    EXPECT_EQ(c.session_token, "");

    vars["AWS_PROFILE"] = "temp";
    c = resolve_credentials(options, env);
    EXPECT_EQ(c.access_key_id, "TAK");
    EXPECT_EQ(c.session_token, "TT");

    vars["AWS_ACCESS_KEY_ID"] = "ENVAK";
    vars["AWS_SECRET_ACCESS_KEY"] = "ENVSK";
    vars["AWS_SESSION_TOKEN"] = "ENVT";
    c = resolve_credentials(options, env);
    EXPECT_EQ(c.access_key_id, "ENVAK");
    EXPECT_EQ(c.session_token, "ENVT");

    options.profile = "default";  // an explicit profile beats the environment
    c = resolve_credentials(options, env);
    EXPECT_EQ(c.access_key_id, "FILEAK");

    options.access_key_id = "OPTAK";  // explicit keys beat everything
    options.secret_access_key = "OPTSK";
    c = resolve_credentials(options, env);
    EXPECT_EQ(c.access_key_id, "OPTAK");

    options = S3Options{};
    options.profile = "absent";
    EXPECT_THROW(resolve_credentials(options, env), ConfigError);
    vars.erase("AWS_SECRET_ACCESS_KEY");
    EXPECT_THROW(resolve_credentials(S3Options{}, env), ConfigError);
    vars.clear();
    EXPECT_THROW(resolve_credentials(S3Options{}, env), ConfigError);
    std::remove(path);
}

TEST(KeySpace, NamesNeverCollideAcrossCommunicators) {
    KeySpace app1("fmi", "App1"), app("fmi", "App"), spaced("fmi/", "App 1"), slashed("", "a/b");
    EXPECT_EQ(app1.root(), "fmi/App1/");
    EXPECT_EQ(app.root(), "fmi/App/");
    EXPECT_EQ(spaced.root(), "fmi/App%201/");
    EXPECT_EQ(slashed.root(), "a%2Fb/");
    // Neither root is a prefix of the other: a LIST of one never sees the other.
    EXPECT_NE(app1.root().rfind(app.root(), 0), 0u);
    EXPECT_NE(app.root().rfind(app1.root(), 0), 0u);
    // The original's concatenation: "App1" + "1" == "App" + "11". Not here.
    EXPECT_NE(app1.message(1, 0, 0), app.message(11, 0, 0));
    EXPECT_EQ(KeySpace::encode_name("App%41"), "App%2541");  // '%' itself is encoded: injective
    EXPECT_NE(KeySpace::encode_name("App%41"), KeySpace::encode_name("AppA"));
    EXPECT_THROW(KeySpace("fmi", ""), UsageError);

    EXPECT_EQ(app.contribution(7, OpKind::allreduce, 3), "fmi/App/c/7/allreduce/in.3");
    EXPECT_EQ(app.publication(7, OpKind::bcast, 0), "fmi/App/c/7/bcast/out.0");
    EXPECT_EQ(app.message(2, 5, 9), "fmi/App/send/2-5/9");
    auto parsed = KeySpace::parse_collective("allreduce/in.3");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->op, "allreduce");
    EXPECT_TRUE(parsed->contribution);
    EXPECT_EQ(parsed->peer, 3);
    EXPECT_FALSE(KeySpace::parse_collective("allreduce/in.x"));
    EXPECT_FALSE(KeySpace::parse_collective("allreduce"));
    auto end = KeySpace::parse_end("12.abort");
    ASSERT_TRUE(end);
    EXPECT_EQ(end->peer, 12);
    EXPECT_TRUE(end->aborted);
    EXPECT_FALSE(KeySpace::parse_end("12.done"));
}

TEST(Endpoint, ParsesAndAddressesBothStyles) {
    S3Options options;
    options.region = "eu-west-1";
    Endpoint aws = parse_endpoint(options);
    EXPECT_EQ(aws.scheme, "https");
    EXPECT_EQ(aws.authority, "s3.eu-west-1.amazonaws.com");
    Address virtual_hosted = address_of(aws, "bucket", "a b/c");
    EXPECT_EQ(virtual_hosted.host, "bucket.s3.eu-west-1.amazonaws.com");
    EXPECT_EQ(virtual_hosted.path, "/a%20b/c");
    EXPECT_EQ(address_of(aws, "bucket", "").path, "/");

    options.endpoint = "HTTP://127.0.0.1:9000/";
    options.path_style = true;
    Endpoint local = parse_endpoint(options);
    EXPECT_EQ(local.scheme, "http");
    EXPECT_EQ(local.authority, "127.0.0.1:9000");
    EXPECT_EQ(address_of(local, "bucket", "k").path, "/bucket/k");
    EXPECT_EQ(address_of(local, "bucket", "").path, "/bucket");
    EXPECT_EQ(address_of(local, "bucket", "").host, "127.0.0.1:9000");

    for (const char* bad : {"127.0.0.1:9000", "ftp://host", "http://host/path", "http://"}) {
        options.endpoint = bad;
        EXPECT_THROW(parse_endpoint(options), ConfigError) << bad;
    }
}

}  // namespace
}  // namespace fmi::detail::s3
