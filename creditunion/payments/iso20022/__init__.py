"""ISO 20022 messages exchanged with a UK settlement bank, pure (no database): each
written and read as frozen dataclasses and checked against its official XSD.

- `pain001`: pain.001.001.09, the credit transfers we ask for (written; read by the bank
  simulator).
- `pain002`: pain.002.001.12, the bank's status of each of those payments.
- `camt054`: camt.054.001.08, what the bank booked: incoming credits, our payments returned.
- `camt053`: camt.053.001.08, the end-of-day statement of our account at the bank.
- `schemas`: the XSDs, pinned by SHA-256, and `validate`; `MessageInvalid`, the one refusal
  of a document; `safe_xml`: parsing untrusted bytes.

Readers raise `MessageInvalid` (a `Refused`) for anything they cannot use; writers raise
ValueError, as what they are given comes from our own code.
"""
