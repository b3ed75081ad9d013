"""Registry (计量体系登记): the measurement system's source of truth.

Regions, organisations and their scopes, people and qualifications, measurement standards,
instruments, reference materials, CMCs and calibration/verification events.
"""
