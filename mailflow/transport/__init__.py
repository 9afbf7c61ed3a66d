"""Where mail comes from and where it goes: Maildir, IMAP and SMTP behind two small interfaces."""
