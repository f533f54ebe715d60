"""Site signing keys: the Ed25519 seal on a session log's final chain hash.

A training site creates one key pair (``jointsim keys init``). The trainer and ``demo`` sign
every log they finish with the private key; assessors verify with the public key
(``assess --trust KEY.pub``). Without the private key nobody can re-seal an edited log.

Where the private key is looked for, in order:

1. the environment variable ``JOINTSIM_SIGNING_KEY`` (a file path; set it to an empty
   string to write unsigned logs);
2. ``$XDG_CONFIG_HOME/jointsim/signing_key`` (``~/.config/jointsim/signing_key``).

No key: logs are still hash-chained, but unsigned.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from simulator.errors import InputError

KEY_ENV = "JOINTSIM_SIGNING_KEY"
KEY_NAME = "signing_key"
SEAL_CONTEXT = b"jointsim-log-seal:"   # what is signed: this prefix + the final chain hash


def default_key_dir() -> Path:
    """``$XDG_CONFIG_HOME/jointsim`` (``~/.config/jointsim`` when the variable is unset)."""
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "jointsim"


def site_key_path() -> Path | None:
    """The private key the trainer signs with, or ``None`` (no key configured)."""
    env = os.environ.get(KEY_ENV)
    if env is not None:
        if not env:
            return None
        path = Path(env)
        if not path.is_file():
            raise InputError(f"signing key not found; point {KEY_ENV} at a private key made "
                             "by 'jointsim keys init', or set it empty to write unsigned logs",
                             path=path, field=KEY_ENV)
        return path
    path = default_key_dir() / KEY_NAME
    return path if path.is_file() else None


def fingerprint(public_raw: bytes) -> str:
    """Short, stable name of a public key: ``ed25519:`` + 16 hex digits of its SHA-256."""
    return "ed25519:" + hashlib.sha256(public_raw).hexdigest()[:16]


@dataclass(frozen=True)
class Signer:
    """A loaded private key that seals logs."""

    private_key: object  # cryptography Ed25519PrivateKey

    @property
    def public_raw(self) -> bytes:
        from cryptography.hazmat.primitives import serialization as ser

        return self.private_key.public_key().public_bytes(ser.Encoding.Raw,
                                                          ser.PublicFormat.Raw)

    def seal(self, chain_hash: str) -> dict:
        """The ``sig`` field of an end record: the public key and the signature (base64)."""
        sig = self.private_key.sign(SEAL_CONTEXT + chain_hash.encode("ascii"))
        return {"key": _b64(self.public_raw), "ed25519": _b64(sig)}


def load_signer(path: str | Path) -> Signer:
    """Read a private key file written by :func:`create_keys`."""
    from cryptography.hazmat.primitives import serialization as ser
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = Path(path)
    try:
        key = ser.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError):
        raise InputError("not a readable jointsim private key (PEM, Ed25519); make one with "
                         "'jointsim keys init'", path=path) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError("the private key is not an Ed25519 key; make one with 'jointsim "
                         "keys init'", path=path)
    return Signer(key)


def site_signer() -> Signer | None:
    """The configured site key (see the module notes), or ``None``."""
    path = site_key_path()
    return None if path is None else load_signer(path)


def load_public_key(path: str | Path) -> bytes:
    """Raw 32-byte Ed25519 public key from a ``*.pub`` file written by :func:`create_keys`."""
    from cryptography.hazmat.primitives import serialization as ser
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    path = Path(path)
    try:
        key = ser.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError, TypeError):
        raise InputError("not a readable jointsim public key (PEM, Ed25519); give the .pub "
                         "file 'jointsim keys init' wrote", path=path, field="--trust") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InputError("the public key is not an Ed25519 key", path=path, field="--trust")
    return key.public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw)


def create_keys(folder: str | Path) -> tuple[Path, Path]:
    """Write a new key pair into ``folder``: ``signing_key`` (mode 0600) and
    ``signing_key.pub``. Refuses to overwrite either file."""
    from cryptography.hazmat.primitives import serialization as ser
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    folder = Path(folder)
    private, public = folder / KEY_NAME, folder / f"{KEY_NAME}.pub"
    for path in (private, public):
        if path.exists():
            raise InputError("a key already exists here; keys are never overwritten (logs "
                             "signed with it could no longer be checked): choose another "
                             "--out folder or move the old key away", path=path, field="--out")
    folder.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption())
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    public.write_bytes(key.public_key().public_bytes(ser.Encoding.PEM,
                                                     ser.PublicFormat.SubjectPublicKeyInfo))
    return private, public


@dataclass(frozen=True)
class SealCheck:
    """What a log's seal says. ``valid``: the signature matches the embedded key."""

    signed: bool
    valid: bool = False
    signer: str = ""          # fingerprint of the embedded key
    trusted: bool = False     # the key is one of the trusted ones


def check_seal(seal: dict | None, chain_hash: str, trusted: frozenset[bytes] = frozenset(),
               ) -> SealCheck:
    """Check an end record's ``sig`` against the final chain hash."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if seal is None:
        return SealCheck(signed=False)
    try:
        public_raw = base64.b64decode(seal["key"], validate=True)
        sig = base64.b64decode(seal["ed25519"], validate=True)
        Ed25519PublicKey.from_public_bytes(public_raw).verify(
            sig, SEAL_CONTEXT + chain_hash.encode("ascii"))
    except (InvalidSignature, KeyError, TypeError, ValueError):
        return SealCheck(signed=True)
    return SealCheck(signed=True, valid=True, signer=fingerprint(public_raw),
                     trusted=public_raw in trusted)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
