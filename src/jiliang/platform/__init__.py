"""The Django project: one app per domain (registry, audit, accounts, …).

Apps store, permit, display and schedule; every number comes from :mod:`jiliang.core`.
"""
