"""Exceptions of the transparency log, one class per reason a caller may want to tell apart.

Every class derives from :class:`LedgerError` (itself a ``ValueError``: the input was wrong), so a
caller that only wants "valid or not" catches one class, and a verifier page can still show the
precise reason (``str(exc)``) and kind (``type(exc).__name__``).
"""

from __future__ import annotations


class LedgerError(ValueError):
    """Base class of every ledger error."""


class MalformedProofError(LedgerError):
    """A proof has the wrong shape: bad index/size, wrong number of hashes, bad encoding."""


class InclusionProofError(LedgerError):
    """A well-formed inclusion proof does not lead to the expected root hash."""


class ConsistencyProofError(LedgerError):
    """A well-formed consistency proof does not link the two tree heads."""


class NoteFormatError(LedgerError):
    """A signed note, checkpoint or key string is not in the C2SP / sumdb format."""


class KeyFormatError(NoteFormatError):
    """A signer (skey) or verifier (vkey) key string is malformed."""


class SignatureError(LedgerError):
    """A signature from a known key failed to verify, or no known key signed the note."""


class OriginMismatchError(LedgerError):
    """A checkpoint names a different log (origin line) than the one expected."""


class RollbackError(LedgerError):
    """A checkpoint is smaller than one already seen for the same log."""


class SplitViewError(LedgerError):
    """Two checkpoints of the same log cannot both be true (same size with a different root, or
    not consistent with each other): the log shows different histories to different parties."""


class EntryMismatchError(LedgerError):
    """The entry bytes do not hash to the leaf hash the proof is about."""


class StoreError(LedgerError):
    """The log directory is missing, locked, or not a jiliang log."""


class CorruptLogError(StoreError):
    """The stored tiles/entries disagree with the committed state (lost or altered data)."""


class IndexOutOfRangeError(LedgerError, IndexError):
    """A leaf index or tree size beyond the current log."""
