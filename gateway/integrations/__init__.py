"""Helpdesk integrations: webhooks in (verified, parsed, queued), notes and replies out."""
