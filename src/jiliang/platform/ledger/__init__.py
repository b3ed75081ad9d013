"""Transparency log of the platform (防篡改): every audit entry and certificate hash becomes a leaf.

The log itself is :mod:`jiliang.core.ledger` (RFC 9162 tiles on disk, C2SP signed checkpoints);
this app feeds it, stores each leaf index beside its record, signs checkpoints, serves proofs
and tiles, and audits stored records against their logged hashes.
"""
