"""Regulatory rule sets as data, with pure checks that return the rules a figure breaks."""
