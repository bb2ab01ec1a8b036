"""Database services of the loans package: keyword-only, the `Session` first, never committing."""
