"""The clinic's change log: one event per write, in the write's transaction, read by
the feed (`app.change_log.feed`) and delivered by webhooks (`app.webhooks`)."""
