"""Calibration/verification interval advice (校准间隔建议) per instrument class and per standard.

The numbers come from :mod:`jiliang.core.intervals`; this app builds the histories from the
registry's calibration events (:mod:`.history`), asks the core (:mod:`.services`), scopes reads
through :func:`jiliang.platform.registry.permissions.readable` and shows/exports the result.
It stores nothing (no models): advice is recomputed from the records each time.
"""
