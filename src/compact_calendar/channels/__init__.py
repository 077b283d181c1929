"""Channels deliver reminders: email, and webhooks in several formats."""
