"""Template tags of the registry app (``{% load metrology %}``)."""
