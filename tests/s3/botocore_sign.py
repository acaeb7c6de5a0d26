#!/usr/bin/python3
"""Signs S3 requests with botocore, the reference SigV4 implementation.

Reads a JSON list of cases on stdin and writes, for each, the URL botocore's
S3 serializer would build and the headers its S3SigV4Auth signer adds, at a
fixed time. fmi's C++ signer must produce the same bytes (sigv4_test.cpp).

A case: {"method", "endpoint" ("http://host:port"), "path_style", "bucket",
"key" (object key, "" for the bucket), "params" ([[name, value], ...], raw),
"headers" ({name: value}), "body" (text), "access_key", "secret_key",
"token" ("" for none), "region", "date" ("YYYYMMDDTHHMMSSZ")}.
"""
import datetime
import json
import sys
from unittest import mock

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import percent_encode, percent_encode_sequence


def url_for(case):
    scheme, authority = case["endpoint"].split("://", 1)
    # As botocore's REST serializer: the key is a greedy label, encoded with
    # '/' and '~' kept; query values with only -._~ kept.
    key = percent_encode(case["key"], safe="/~")
    if case["path_style"]:
        path = "/" + case["bucket"] + ("/" + key if case["key"] else "")
        host = authority
    else:
        path = "/" + key
        host = case["bucket"] + "." + authority
    url = f"{scheme}://{host}{path}"
    if case["params"]:
        url += "?" + percent_encode_sequence([tuple(p) for p in case["params"]])
    return url


def sign(case):
    url = url_for(case)
    request = AWSRequest(method=case["method"], url=url, headers=dict(case["headers"]),
                         data=case["body"].encode("utf-8"))
    credentials = Credentials(case["access_key"], case["secret_key"], case["token"] or None)
    when = datetime.datetime.strptime(case["date"], "%Y%m%dT%H%M%SZ")
    with mock.patch("botocore.auth.datetime") as fake:
        fake.datetime.utcnow.return_value = when
        fake.datetime.strptime = datetime.datetime.strptime
        S3SigV4Auth(credentials, "s3", case["region"]).add_auth(request)
    return {
        "url": url,
        "authorization": request.headers["Authorization"],
        "x-amz-date": request.headers["X-Amz-Date"],
        "x-amz-content-sha256": request.headers["X-Amz-Content-SHA256"],
        "x-amz-security-token": request.headers.get("X-Amz-Security-Token", ""),
    }


def main():
    cases = json.load(sys.stdin)
    json.dump([sign(c) for c in cases], sys.stdout)


if __name__ == "__main__":
    main()
