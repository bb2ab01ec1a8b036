"""The audit trail: `record` in the caller's transaction; `list_records` to read it back.

from creditunion import audit
audit.record(session, actor=actor, action="member.register",
             target_type="member", target_id=member.id, summary={"name": ...})
"""

from creditunion.audit.query import AuditFilter, AuditView, list_records
from creditunion.audit.record import InvalidAuditRecord, record

__all__ = ["AuditFilter", "AuditView", "InvalidAuditRecord", "list_records", "record"]
