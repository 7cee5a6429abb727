"""England local authority and region boundaries, codes, names and code changes."""
