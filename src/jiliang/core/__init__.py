"""Metrology core: pure Python + numpy/scipy/lxml. Never imports Django."""
