"""What a replayed log is worth as a record: tampered, incomplete, legacy, or complete and
unsigned / signed / trusted.

``replay --verify``, ``score`` and ``assess`` all report the status this module gives, so a
log is never silently graded as complete when it is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from simulator.log import LogData
from simulator.signing import check_seal, load_public_key

TAMPERED, INCOMPLETE, LEGACY = "tampered", "incomplete", "legacy"
UNSIGNED, SIGNED, UNTRUSTED, TRUSTED = "unsigned", "signed", "untrusted", "trusted"
COMPLETE = (UNSIGNED, SIGNED, UNTRUSTED, TRUSTED)   # chain intact through a matching end


@dataclass(frozen=True)
class LogStatus:
    """``status`` is one of the names above; ``detail`` says it in words."""

    status: str
    detail: str
    signer: str = ""   # fingerprint of the key that sealed the log, if the seal is valid

    @property
    def complete(self) -> bool:
        return self.status in COMPLETE

    def accepted(self, require_trust: bool) -> bool:
        """Good enough to store as an assessment: complete, and trusted if trust is asked."""
        return self.status == TRUSTED if require_trust else self.complete

    def __str__(self) -> str:
        return f"{self.status}: {self.detail}"


def trusted_keys(paths) -> frozenset[bytes]:
    """Raw public keys from ``--trust KEY.pub`` files."""
    return frozenset(load_public_key(Path(p)) for p in paths or ())


def log_status(log: LogData, result=None, trusted: frozenset[bytes] = frozenset(),
               claims: str = "") -> LogStatus:
    """Status of ``log`` after ``result`` (a ``ReplayResult``, optional) and ``claims`` (why
    the end record's stored score differs from the re-score, or ``""``)."""
    if result is not None and result.mismatch is not None:
        return LogStatus(TAMPERED, f"the replay's events differ from the recorded ones from "
                         f"tick {result.mismatch.tick} on: edited, or recorded by other "
                         "mechanics")
    for why in (getattr(result, "end_mismatch", ""), claims):
        if why:
            return LogStatus(TAMPERED, f"{why}: the end record was edited")
    if log.end is None:
        cut = "cut off mid-line" if log.truncated else "no end record"
        return LogStatus(INCOMPLETE, f"{cut}; the session ran at least {log.ticks} ticks but "
                         "its log is not finished (crash, power loss or a cut file)")
    if log.legacy:
        return LogStatus(LEGACY, f"unsealed (legacy format {log.format}): no hash chain, so "
                         "edits cannot be detected")
    seal = check_seal(log.seal, log.chain_hash, trusted)
    if not seal.signed:
        return LogStatus(UNSIGNED, "hash chain intact, but no signature (no site key was "
                         "configured where it was recorded)")
    if not seal.valid:
        return LogStatus(TAMPERED, "the signature does not match the log: it was edited and "
                         "re-chained after it was signed")
    if seal.trusted:
        return LogStatus(TRUSTED, f"signed by trusted key {seal.signer}", seal.signer)
    if trusted:
        return LogStatus(UNTRUSTED, f"signed by {seal.signer}, which is not one of the "
                         "trusted keys (--trust)", seal.signer)
    return LogStatus(SIGNED, f"signed by {seal.signer} (untrusted: give --trust KEY.pub to "
                     "require the site's key)", seal.signer)
