"""Template tags of the supervision app."""
