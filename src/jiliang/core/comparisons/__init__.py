"""Measurement comparisons (计量比对) and proficiency testing (能力验证).

Modules (import them directly; this package re-exports nothing so they stay independent):

* :mod:`jiliang.core.comparisons.pt` — ISO 13528:2022 proficiency-testing statistics: robust
  consensus (Algorithm A, Q/Hampel), assigned value and its uncertainty, σ_pt, scores z, z′, ζ,
  Eₙ, kernel density and Youden-plot data.
* :mod:`jiliang.core.comparisons.homogeneity` — ISO 13528:2022 Annex B homogeneity and stability
  checks of proficiency-test items.
* :mod:`jiliang.core.comparisons.keycomparison` — CIPM MRA key-comparison analysis (KCRV,
  degrees of equivalence).
* :mod:`jiliang.core.comparisons.linking` — linking an RMO comparison to a CIPM key comparison
  through the labs that took part in both.
"""
