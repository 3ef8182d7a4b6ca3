"""Telling a task's contacts how it went: e-mail over SMTP and signed webhooks."""
