"""The portal's views: sign-in and passwords (``auth``), the account's pages (``pages``)."""
