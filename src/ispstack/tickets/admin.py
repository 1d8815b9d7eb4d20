"""Admin pages of the helpdesk."""

from ispstack.tickets.mail import admin as mail_admin  # noqa: F401  (support mailboxes)
