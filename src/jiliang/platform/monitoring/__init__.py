"""Smart-meter real-time supervision (智能计量器具实时监控): areas, readings, estimation runs.

The numbers come from :mod:`jiliang.core.monitoring`; this app stores, permits, displays.
"""
