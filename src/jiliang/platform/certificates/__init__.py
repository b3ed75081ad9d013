"""Certificates (数字校准证书): PTB DCC XML issued from calibration events.

Workflow: draft (built from the event by :mod:`jiliang.core.dcc`) → review by a second person of
the same laboratory → issued (signed with the lab's key, canonical hash logged in the
transparency log). An amendment is a new certificate that replaces the old one; a withdrawal is
recorded and logged too. Anyone can verify a certificate on the public page without logging in.
"""
