"""`mailflow web`: a read-only status page of the CRs for CSMs and management.

Sign-in is by a one-time link mailed through the outbox to a configured person; each
person sees the CRs of their accounts, people with a global role see every CR.
Nothing here writes to a CR: the page only reads what the mail process recorded.
"""
