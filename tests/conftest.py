from tests.servers import dovecot, imap_account, smtp_server  # noqa: F401
