"""Write and verify the audit trail, one module per subdomain (callers import this package).

Every record() runs in the caller's transaction: roll back, and the row is gone. `recording`: one event
(`record`, `record_for_patient`); `sealing`: the chain's keys, its head locked, each row sealed and inserted;
`deferred`: a write's rows appended at its end; `verification`: `verify_chain`; `checkpoints`: the signed
heads kept outside the database; `app_role`: the PostgreSQL role that cannot change audit rows; `reseal`:
the rows written before the keyed chain (migration 0003).
"""

from __future__ import annotations

from keel.audit.services.app_role import AUDIT_TABLE, app_role_statements, apply_app_role
from keel.audit.services.checkpoints import (
    CheckpointInputError,
    checkpoint,
    checkpoint_public_key,
    read_checkpoints,
    verify_checkpoints,
)
from keel.audit.services.deferred import deferred
from keel.audit.services.recording import (
    AUDIT_CHAIN,
    EMERGENCY_MARK,
    SELF_GUIDED,
    PatientEventExtras,
    PatientRecord,
    record,
    record_for_patient,
)
from keel.audit.services.reseal import reseal_unkeyed
from keel.audit.services.sealing import audit_keys, compute_hash
from keel.audit.services.verification import ChainReport, _fields_of, chain_name, verify_chain

__all__ = [
    "AUDIT_CHAIN",
    "AUDIT_TABLE",
    "EMERGENCY_MARK",
    "SELF_GUIDED",
    "ChainReport",
    "CheckpointInputError",
    "PatientEventExtras",
    "PatientRecord",
    "_fields_of",
    "app_role_statements",
    "apply_app_role",
    "audit_keys",
    "chain_name",
    "checkpoint",
    "checkpoint_public_key",
    "compute_hash",
    "deferred",
    "read_checkpoints",
    "record",
    "record_for_patient",
    "reseal_unkeyed",
    "verify_chain",
    "verify_checkpoints",
]
