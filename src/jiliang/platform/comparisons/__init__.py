"""Measurement comparisons and proficiency testing (计量比对、能力验证) in the platform.

Campaigns, participants, sealed submissions with their commitments, analyses by
:mod:`jiliang.core.comparisons`, scores and the flags an unsatisfactory result raises.
"""
