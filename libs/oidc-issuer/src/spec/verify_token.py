"""Third-party check of a runtrail token with Debian's python3-jwt (PyJWT).

Usage: /usr/bin/python3 verify_token.py '{"jwks_url": ..., "issuer": ..., "audience": ...}' < token
Prints one JSON line: {"ok": true, "claims": {...}} or {"ok": false, "error": "<PyJWT error class>", "message": ...}.
"""
import json
import sys

import jwt


def main() -> None:
    expected = json.loads(sys.argv[1])
    token = sys.stdin.read().strip()
    try:
        # A fresh client with no JWKS cache: each check sees the JWKS as served right now.
        client = jwt.PyJWKClient(expected["jwks_url"], cache_jwk_set=False)
        signing_key = client.get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token,
            signing_key.key,
            algorithms=["ES256", "RS256"],
            audience=expected["audience"],
            issuer=expected["issuer"],
            options={"require": ["exp", "iat", "nbf", "iss", "aud", "sub", "jti"]},
        )
        print(json.dumps({"ok": True, "claims": claims, "alg": jwt.get_unverified_header(token)["alg"]}))
    except jwt.PyJWTError as error:
        print(json.dumps({"ok": False, "error": type(error).__name__, "message": str(error)}))


main()
