"""ISO 20022 messages exchanged with a UK settlement bank, checked against their official
schemas (`schemas`)."""
