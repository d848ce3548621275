"""Signed webhooks: endpoints per clinic, fed from the change log and delivered by a
database-backed queue (`app.webhooks.queue`) that several instances share."""
