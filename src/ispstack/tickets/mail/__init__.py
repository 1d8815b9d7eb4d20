"""Email to ticket: reading the support mailboxes (IMAP) and sending ticket replies (SMTP)."""
