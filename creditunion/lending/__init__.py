"""Loans in the application: the `loans` package wired to members, share accounts and settings.

`loans` knows members only as values (`loans.decision.MemberFacts`) and share accounts only
as ledger accounts. This package supplies both from the application's tables: the facts a
decision needs, the credit union's net worth, the decision policy from the settings, and
the member's own open share account (checked and locked as the share service would) whose
ledger account the loan pays into and is repaid from. Routers call these functions; the
`loans` services do the work.

A member who owes a loan cannot be closed: `creditunion.lending.closure.MEMBER_CLOSURE_CHECKS`
is what every member status change passes as its closure checks.
"""
