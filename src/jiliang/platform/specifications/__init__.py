"""Technical specifications registry (计量技术规范体系): JJG/JJF and local regulations,
their editions and replacements, what they govern, and the impact of a revision."""
