#!/usr/bin/env python3
"""Signature vectors for shared-key webhooks, computed by the official helper library.

Writes tests/data/shared_key_vectors.json. Refresh with:

    python3 -m venv /tmp/tw && /tmp/tw/bin/pip install twilio
    /tmp/tw/bin/python tools/shared_key_vectors.py > tests/data/shared_key_vectors.json

Every signature comes from `twilio.request_validator.RequestValidator.compute_signature`
(which takes the algorithm since twilio-python 9.13) and is checked back with `validate`.
"""

import json
import sys
from importlib.metadata import version

from twilio.request_validator import RequestValidator, get_signature_algorithm

URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
FORM = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}
JSON_BODY = '{"property": "value", "boolean": true}'
KEYS = {
    "webhooks_sharedkey_old": "shared-secret-old",
    "webhooks_sharedkey_new": "shared-secret-new",
}


def vector(name, key_id, algorithm, body_kind):
    secret = KEYS[key_id]
    validator = RequestValidator(secret)
    header = f"key={key_id},algorithm={algorithm}"
    assert get_signature_algorithm(header) == algorithm
    if body_kind == "form":
        url, params, body = URL, FORM, None
        signature = validator.compute_signature(url, params, algorithm)
        assert validator.validate(url, params, signature, algorithm)
    else:
        url = f"{URL}&bodySHA256={validator.compute_hash(JSON_BODY)}"
        params, body = None, JSON_BODY
        signature = validator.compute_signature(url, {}, algorithm)
        assert validator.validate(url, JSON_BODY, signature, algorithm)
    return {
        "name": name,
        "key_id": key_id,
        "secret": secret,
        "algorithm": algorithm,
        "settings_header": header,
        "url": url,
        "form": params,
        "json_body": body,
        "signature": signature,
    }


def main():
    out = {
        "generator": "tools/shared_key_vectors.py",
        "library": f"twilio-python {version('twilio')}",
        "vectors": [
            vector("form HMAC_SHA256", "webhooks_sharedkey_old", "HMAC_SHA256", "form"),
            vector("form HMAC_SHA1", "webhooks_sharedkey_old", "HMAC_SHA1", "form"),
            vector("json HMAC_SHA256", "webhooks_sharedkey_old", "HMAC_SHA256", "json"),
            vector("json HMAC_SHA1", "webhooks_sharedkey_old", "HMAC_SHA1", "json"),
            vector("rotated key, form HMAC_SHA256", "webhooks_sharedkey_new", "HMAC_SHA256", "form"),
            vector("rotated key, json HMAC_SHA256", "webhooks_sharedkey_new", "HMAC_SHA256", "json"),
        ],
    }
    json.dump(out, sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
