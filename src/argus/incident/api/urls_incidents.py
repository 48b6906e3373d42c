"""URL patterns (filled by the incident API work)."""

v1_patterns = []
v2_patterns = []
