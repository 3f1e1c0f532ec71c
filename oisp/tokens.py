"""Device tokens for the simulator: RS256 JWTs issued and verified like the OISP platform does.

Clients never look inside a token; only the simulator (and tests, demos) use this module.
PyJWT with ``cryptography`` is used when it is installed (the ``simulators``/``test`` extras);
otherwise a small standard-library RSA implementation (RS256/384/512, PKCS#1 v1.5) takes over,
so ``iotws demo`` works after a plain ``pip install iotws``. PS256-family tokens are only
accepted with PyJWT installed.

Examples:
    >>> keys = TokenKeys.generate()
    >>> token = keys.issue("dev-1", "acc-1", ttl=60)
    >>> claims = keys.verify(token, now=0 + __import__("time").time())
    >>> claims["sub"], claims["accounts"][0]["id"]
    ('dev-1', 'acc-1')
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import secrets
import time
import uuid
from collections.abc import Mapping
from typing import Any

__all__ = ["InvalidToken", "TokenKeys", "have_pyjwt"]

#: Algorithms the platform's verifier accepts (``none`` and HMAC are refused).
ACCEPTED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")

_HASHES = {"RS256": "sha256", "RS384": "sha384", "RS512": "sha512"}
_DIGEST_INFO = {
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
    "sha384": bytes.fromhex("3041300d060960864801650304020205000430"),
    "sha512": bytes.fromhex("3051300d060960864801650304020305000440"),
}


class InvalidToken(Exception):
    """The token failed verification (signature, algorithm, ``exp``, ``nbf``, shape).

    Examples:
        >>> str(InvalidToken("expired"))
        'expired'
    """


def have_pyjwt() -> bool:
    """Whether PyJWT with ``cryptography`` is importable (else the stdlib fallback is used).

    Examples:
        >>> isinstance(have_pyjwt(), bool)
        True
    """
    try:
        import jwt  # noqa: F401
        from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: F401
    except ImportError:
        return False
    return True


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise InvalidToken(f"bad base64url: {exc}") from None


# -- a minimal stdlib RSA, for when cryptography is missing ---------------------------------
_SMALL_PRIMES = [p for p in range(3, 2000) if all(p % d for d in range(2, int(p**0.5) + 1))]


def _probable_prime(n: int, rounds: int = 24) -> bool:
    if n < 2:
        return False
    for p in _SMALL_PRIMES:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for _ in range(rounds):
        a = secrets.randbelow(n - 3) + 2
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int, e: int) -> int:
    while True:
        candidate = secrets.randbits(bits) | (1 << (bits - 1)) | (1 << (bits - 2)) | 1
        if math.gcd(candidate - 1, e) == 1 and _probable_prime(candidate):
            return candidate


def _stdlib_keypair(bits: int = 2048, e: int = 65537) -> tuple[int, int, int]:
    while True:
        p, q = _prime(bits // 2, e), _prime(bits // 2, e)
        n = p * q
        if p != q and n.bit_length() == bits:
            d = pow(e, -1, (p - 1) * (q - 1))
            return n, e, d


def _emsa_pkcs1(message: bytes, hash_name: str, size: int) -> int:
    digest = hashlib.new(hash_name, message).digest()
    t = _DIGEST_INFO[hash_name] + digest
    return int.from_bytes(b"\x00\x01" + b"\xff" * (size - len(t) - 3) + b"\x00" + t, "big")


class TokenKeys:
    """An RSA key pair that issues and verifies OISP device tokens (JWT, RS256).

    ``issue`` writes the platform's claims: ``jti``, ``iss``, ``sub`` (the device id),
    ``exp`` (in **milliseconds**, as the platform does, unless ``exp_in_ms=False``),
    ``accounts: [{"id": account_id, "role": "device"}]`` and ``type: "device"``.

    Examples:
        >>> keys = TokenKeys.generate()
        >>> keys.verify(keys.issue("d", "a", ttl=-5, exp_in_ms=False))
        Traceback (most recent call last):
        iotws.oisp.tokens.InvalidToken: token expired
    """

    def __init__(self, n: int, e: int, d: int | None, backend: object | None = None) -> None:
        self.n, self.e, self._d = n, e, d
        self._backend = backend  # a cryptography private key, when available

    def __repr__(self) -> str:
        return f"<TokenKeys RSA-{self.n.bit_length()} {'pyjwt' if self._backend else 'stdlib'}>"

    @classmethod
    def generate(cls, bits: int = 2048, *, use_pyjwt: bool | None = None) -> TokenKeys:
        """Make a fresh key pair (with ``cryptography`` when available, else pure Python)."""
        if use_pyjwt is None:
            use_pyjwt = have_pyjwt()
        if use_pyjwt:
            from cryptography.hazmat.primitives.asymmetric import rsa

            key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
            numbers = key.private_numbers()
            return cls(numbers.public_numbers.n, numbers.public_numbers.e, numbers.d, key)
        n, e, d = _stdlib_keypair(bits)
        return cls(n, e, d)

    def public_pem(self) -> bytes:
        """The public key as PEM (needs ``cryptography``)."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        public = rsa.RSAPublicNumbers(self.e, self.n).public_key()
        return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    # -- issuing ------------------------------------------------------------------------------
    def sign(self, claims: Mapping[str, Any], algorithm: str = "RS256") -> str:
        """Sign arbitrary ``claims`` (for tests: wrong subjects, missing accounts...)."""
        if self._d is None:
            raise ValueError("this key pair has no private part")
        if self._backend is not None:
            import jwt

            return jwt.encode(dict(claims), self._backend, algorithm=algorithm)  # type: ignore[arg-type]
        if algorithm not in _HASHES:
            raise ValueError(f"the stdlib fallback signs RS256/384/512 only, not {algorithm}")
        header = _b64(json.dumps({"typ": "JWT", "alg": algorithm}, separators=(",", ":")).encode())
        payload = _b64(json.dumps(dict(claims), separators=(",", ":")).encode())
        signing_input = f"{header}.{payload}".encode("ascii")
        size = (self.n.bit_length() + 7) // 8
        signature = pow(_emsa_pkcs1(signing_input, _HASHES[algorithm], size), self._d, self.n)
        return f"{header}.{payload}.{_b64(signature.to_bytes(size, 'big'))}"

    def issue(
        self,
        device_id: str,
        account_id: str,
        ttl: float = 10 * 365 * 86400,
        *,
        now: float | None = None,
        not_before: float | None = None,
        exp_in_ms: bool = True,
    ) -> str:
        """Issue a device token valid for ``ttl`` seconds, like the platform's activation does."""
        issued = time.time() if now is None else now
        exp = issued + ttl
        claims: dict[str, Any] = {
            "jti": str(uuid.uuid4()),
            "iss": "http://enableiot.com",
            "sub": device_id,
            "exp": int(exp * 1000) if exp_in_ms and ttl > 0 else int(exp),
            "accounts": [{"id": account_id, "role": "device"}],
            "type": "device",
        }
        if not_before is not None:
            claims["nbf"] = int(not_before)
        return self.sign(claims)

    # -- verifying ----------------------------------------------------------------------------
    def verify(self, token: str, now: float | None = None) -> dict[str, Any]:
        """Check signature, algorithm, ``exp`` and ``nbf``; return the claims or raise InvalidToken."""
        if not isinstance(token, str) or token.count(".") != 2:
            raise InvalidToken("not a JWT")
        claims = self._verify_pyjwt(token) if self._backend is not None else self._verify_stdlib(token)
        current = time.time() if now is None else now
        exp, nbf = claims.get("exp"), claims.get("nbf")
        if exp is not None and (not isinstance(exp, (int, float)) or isinstance(exp, bool) or exp <= current):
            raise InvalidToken("token expired")
        if nbf is not None and (not isinstance(nbf, (int, float)) or isinstance(nbf, bool) or nbf > current):
            raise InvalidToken("token not yet valid (nbf)")
        return claims

    def _verify_pyjwt(self, token: str) -> dict[str, Any]:
        import jwt

        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") not in ACCEPTED_ALGORITHMS:
                raise InvalidToken(f"algorithm {header.get('alg')!r} is not accepted")
            public = self._backend.public_key()  # type: ignore[union-attr]
            claims = jwt.decode(
                token,
                public,
                algorithms=list(ACCEPTED_ALGORITHMS),
                options={"verify_exp": False, "verify_nbf": False, "verify_sub": False, "verify_jti": False,
                         "verify_iat": False, "verify_aud": False, "verify_iss": False},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from None
        if not isinstance(claims, dict):
            raise InvalidToken("claims are not an object")
        return claims

    def _verify_stdlib(self, token: str) -> dict[str, Any]:
        header_b64, payload_b64, signature_b64 = token.split(".")
        try:
            header = json.loads(_unb64(header_b64))
            claims = json.loads(_unb64(payload_b64))
        except (ValueError, RecursionError) as exc:
            raise InvalidToken(f"bad JSON: {exc}") from None
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise InvalidToken("header or claims are not objects")
        alg = header.get("alg")
        if alg not in _HASHES:
            raise InvalidToken(f"algorithm {alg!r} is not accepted")
        size = (self.n.bit_length() + 7) // 8
        signature = _unb64(signature_b64)
        if len(signature) != size:
            raise InvalidToken("bad signature length")
        value = int.from_bytes(signature, "big")
        if value >= self.n:
            raise InvalidToken("bad signature")
        expected = _emsa_pkcs1(f"{header_b64}.{payload_b64}".encode("ascii"), _HASHES[alg], size)
        if not secrets.compare_digest(pow(value, self.e, self.n).to_bytes(size, "big"), expected.to_bytes(size, "big")):
            raise InvalidToken("signature verification failed")
        return claims
