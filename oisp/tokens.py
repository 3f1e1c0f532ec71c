"""Device tokens for the simulator: RS256 JWTs issued and verified like the OISP platform does.

Clients never look inside a token; only the simulator (and tests, demos) use this module.
Signing and verifying is done by PyJWT with ``cryptography`` (the ``simulators`` extra:
``pip install 'iotws[simulators]'``), imported when first needed; without them every
key operation raises [`UsageError`][iotws.UsageError] saying so. Importing this module
needs neither.

A key pair can be kept in a directory ([`TokenKeys.load`][iotws.oisp.TokenKeys.load]), as the real server keeps
``keys/public.pem``: tokens issued before a restart stay valid after it.

Examples:
    >>> keys = TokenKeys.generate()
    >>> token = keys.issue("dev-1", "acc-1", ttl=60)
    >>> claims = keys.verify(token)
    >>> claims["sub"], claims["accounts"][0]["id"]
    ('dev-1', 'acc-1')
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from iotws.errors import UsageError, missing_extra

if TYPE_CHECKING:  # optional dependencies, imported when first used
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

__all__ = ["ACCEPTED_ALGORITHMS", "InvalidToken", "TokenKeys", "have_pyjwt", "require_pyjwt"]

ACCEPTED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
"""Algorithms the platform's verifier accepts (``none`` and HMAC are refused)."""

#: File names in a key directory ([`TokenKeys.load`][iotws.oisp.TokenKeys.load]), as the real server names its
#: public key.
PRIVATE_PEM, PUBLIC_PEM = "private.pem", "public.pem"

class InvalidToken(Exception):
    """The token failed verification (signature, algorithm, ``exp``, ``nbf``, shape).

    Examples:
        >>> str(InvalidToken("expired"))
        'expired'
    """


def have_pyjwt() -> bool:
    """Whether PyJWT and ``cryptography`` are importable (the ``simulators`` extra).

    Examples:
        >>> isinstance(have_pyjwt(), bool)
        True
    """
    try:
        require_pyjwt("tokens")
    except UsageError:
        return False
    return True


def require_pyjwt(what: str) -> None:
    """Raise [`UsageError`][iotws.UsageError] naming the ``simulators`` extra if PyJWT or cryptography is missing.

    Examples:
        >>> require_pyjwt("device tokens")
    """
    try:
        import jwt  # noqa: F401
        from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: F401
    except ImportError as exc:
        raise missing_extra(what, exc) from None


class TokenKeys:
    """An RSA key pair that issues and verifies OISP device tokens (JWT, RS256).

    ``TokenKeys(n, e, d)`` builds the pair from its numbers (``d=None``: a public key that
    only verifies); [`generate`][iotws.oisp.TokenKeys.generate] makes a fresh pair and
    [`load`][iotws.oisp.TokenKeys.load] keeps one in a
    directory across restarts.

    ``issue`` writes the platform's claims: ``jti``, ``iss``, ``sub`` (the device id),
    ``exp`` (in **milliseconds**, as the platform does, unless ``exp_in_ms=False``),
    ``accounts: [{"id": account_id, "role": "device"}]`` and ``type: "device"``.

    Examples:
        >>> keys = TokenKeys.generate()
        >>> keys.verify(keys.issue("d", "a", ttl=-5, exp_in_ms=False))
        Traceback (most recent call last):
        iotws.oisp.tokens.InvalidToken: token expired
        >>> TokenKeys(keys.n, keys.e).verify(keys.issue("d", "a"))["sub"]
        'd'
    """

    def __init__(self, n: int, e: int, d: int | None = None) -> None:
        require_pyjwt("device tokens")
        from cryptography.hazmat.primitives.asymmetric import rsa

        public = rsa.RSAPublicNumbers(e, n)
        self._public: RSAPublicKey = public.public_key()
        self._private: RSAPrivateKey | None = None
        if d is not None:
            p, q = rsa.rsa_recover_prime_factors(n, e, d)
            numbers = rsa.RSAPrivateNumbers(
                p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q), public
            )
            self._private = numbers.private_key()

    @classmethod
    def _of(cls, private: RSAPrivateKey | None, public: RSAPublicKey) -> TokenKeys:
        keys = cls.__new__(cls)
        keys._private, keys._public = private, public
        return keys

    def __repr__(self) -> str:
        kind = "key pair" if self._private is not None else "public key"
        return f"<TokenKeys RSA-{self._public.key_size} {kind}>"

    @property
    def n(self) -> int:
        """The modulus."""
        return self._public.public_numbers().n

    @property
    def e(self) -> int:
        """The public exponent."""
        return self._public.public_numbers().e

    @property
    def can_issue(self) -> bool:
        """Whether the private key is here (a public key only verifies).

        Examples:
            >>> keys = TokenKeys.generate()
            >>> keys.can_issue, TokenKeys(keys.n, keys.e).can_issue
            (True, False)
        """
        return self._private is not None

    # -- making and keeping keys --------------------------------------------------------------
    @classmethod
    def generate(cls, bits: int = 2048) -> TokenKeys:
        """Make a fresh key pair."""
        require_pyjwt("device tokens")
        from cryptography.hazmat.primitives.asymmetric import rsa

        private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        return cls._of(private, private.public_key())

    @classmethod
    def from_pem(cls, private_pem: bytes | None = None, public_pem: bytes | None = None) -> TokenKeys:
        """Keys from PEM: an unencrypted PKCS#8 private key, or a public key alone (verify only).

        Examples:
            >>> keys = TokenKeys.generate()
            >>> TokenKeys.from_pem(public_pem=keys.public_pem()).n == keys.n
            True
        """
        require_pyjwt("device tokens")
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        if private_pem is None and public_pem is None:
            raise UsageError("give private_pem or public_pem")
        try:
            key: object = (
                serialization.load_pem_private_key(private_pem, password=None)
                if private_pem is not None
                else serialization.load_pem_public_key(public_pem)  # type: ignore[arg-type]  # checked above
            )
        except (ValueError, TypeError) as exc:
            raise UsageError(f"not a usable PEM key: {exc}") from None
        if isinstance(key, rsa.RSAPrivateKey):
            return cls._of(key, key.public_key())
        if isinstance(key, rsa.RSAPublicKey):
            return cls._of(None, key)
        raise UsageError(f"not an RSA key: {type(key).__name__}")

    @classmethod
    def load(cls, directory: str | os.PathLike[str], *, create: bool = True) -> TokenKeys:
        """The key pair kept in ``directory``, made and written there first if it has none.

        ``private.pem`` (mode 0600) holds the pair and ``public.pem`` the public key; a
        directory with only ``public.pem`` gives a key that verifies but cannot issue,
        like the real server's ``keys/public.pem``. With ``create=False`` a directory
        without keys is a [`UsageError`][iotws.UsageError].

        Examples:
            >>> import tempfile
            >>> with tempfile.TemporaryDirectory() as tmp:
            ...     first = TokenKeys.load(tmp)
            ...     token = first.issue("d", "a")
            ...     TokenKeys.load(tmp).verify(token)["sub"]
            'd'
        """
        folder = Path(directory)
        private_path, public_path = folder / PRIVATE_PEM, folder / PUBLIC_PEM
        try:
            if private_path.exists():
                return cls.from_pem(private_pem=private_path.read_bytes())
            if public_path.exists():
                return cls.from_pem(public_pem=public_path.read_bytes())
            if not create:
                raise UsageError(f"no {PRIVATE_PEM} or {PUBLIC_PEM} in {folder}")
            keys = cls.generate()
            keys.save(folder)
        except OSError as exc:
            raise UsageError(f"cannot use the key directory {folder}: {exc.strerror or exc}") from None
        return keys

    def save(self, directory: str | os.PathLike[str]) -> None:
        """Write ``public.pem`` (and ``private.pem``, mode 0600) into ``directory``, made if needed.

        The directory also gets a ``.gitignore`` so that a key kept in a working tree is not
        committed by accident.

        Examples:
            >>> import os, tempfile
            >>> with tempfile.TemporaryDirectory() as tmp:
            ...     TokenKeys.generate().save(tmp)
            ...     sorted(os.listdir(tmp))
            ['.gitignore', 'private.pem', 'public.pem']
        """
        folder = Path(directory)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        ignore = folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# iotws OISP simulator keys: never commit them\n*\n")
        if self._private is not None:
            private_path = folder / PRIVATE_PEM
            descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "wb") as out:
                out.write(self.private_pem())
        (folder / PUBLIC_PEM).write_bytes(self.public_pem())

    def public_pem(self) -> bytes:
        """The public key as PEM (SubjectPublicKeyInfo), as a server verifies with it.

        Examples:
            >>> TokenKeys.generate().public_pem().startswith(b"-----BEGIN PUBLIC KEY-----")
            True
        """
        from cryptography.hazmat.primitives import serialization

        return self._public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def private_pem(self) -> bytes:
        """The private key as unencrypted PKCS#8 PEM ([`UsageError`][iotws.UsageError] for a public key alone).

        Examples:
            >>> TokenKeys.generate().private_pem().startswith(b"-----BEGIN PRIVATE KEY-----")
            True
        """
        from cryptography.hazmat.primitives import serialization

        private = self._signing_key()
        return private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def _signing_key(self) -> RSAPrivateKey:
        if self._private is None:
            raise UsageError("these keys hold only a public key: they verify tokens but cannot issue them")
        return self._private

    # -- issuing ------------------------------------------------------------------------------
    def sign(self, claims: Mapping[str, Any], algorithm: str = "RS256") -> str:
        """Sign arbitrary ``claims`` (for tests: wrong subjects, missing accounts...)."""
        import jwt

        return jwt.encode(dict(claims), self._signing_key(), algorithm=algorithm)

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
        import jwt

        if not isinstance(token, str) or token.count(".") != 2:
            raise InvalidToken("not a JWT")
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") not in ACCEPTED_ALGORITHMS:
                raise InvalidToken(f"algorithm {header.get('alg')!r} is not accepted")
            claims = jwt.decode(
                token,
                self._public,
                algorithms=list(ACCEPTED_ALGORITHMS),
                # exp is checked below: the platform writes it in milliseconds
                options={"verify_exp": False, "verify_nbf": False, "verify_sub": False, "verify_jti": False,
                         "verify_iat": False, "verify_aud": False, "verify_iss": False},
            )
        except (jwt.PyJWTError, ValueError, RecursionError) as exc:
            raise InvalidToken(str(exc) or type(exc).__name__) from None
        if not isinstance(claims, dict):
            raise InvalidToken("claims are not an object")
        current = time.time() if now is None else now
        exp, nbf = claims.get("exp"), claims.get("nbf")
        if exp is not None and (not isinstance(exp, (int, float)) or isinstance(exp, bool) or exp <= current):
            raise InvalidToken("token expired")
        if nbf is not None and (not isinstance(nbf, (int, float)) or isinstance(nbf, bool) or nbf > current):
            raise InvalidToken("token not yet valid (nbf)")
        return claims
