"""Members of the credit union: who they are, how they qualify, and their status."""
