"""Every table of change requests by one name: the CR tables (cr_tables.py), what the
handling of replies keeps beside a CR (reply_tables.py), and the ledger and outbox rows.

Most of the code imports its CR tables from here. The commands that only read CRs
import cr_tables.py instead, so that they do not build the reply tables' classes at
their start (each costs milliseconds).
"""

from __future__ import annotations

from mailflow.store.cr_tables import AttachmentLink as AttachmentLink
from mailflow.store.cr_tables import AuditEvent as AuditEvent
from mailflow.store.cr_tables import ChangeRequest as ChangeRequest
from mailflow.store.cr_tables import CRSequence as CRSequence
from mailflow.store.cr_tables import Decision as Decision
from mailflow.store.cr_tables import SettingMark as SettingMark
from mailflow.store.message_tables import LedgerEntry as LedgerEntry
from mailflow.store.message_tables import OutboxRow as OutboxRow
from mailflow.store.reply_tables import Confirmation as Confirmation
from mailflow.store.reply_tables import EarlyAnswer as EarlyAnswer
from mailflow.store.reply_tables import Evidence as Evidence
