"""API key secrets never reach a log line, whoever logs (us, uvicorn, libraries)."""

import logging
import re

SECRET = re.compile(r"sk_(live|test)_[0-9A-Za-z]{8,}")
REDACTED = r"sk_\1_[redacted]"


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if SECRET.search(message):
            record.msg, record.args = SECRET.sub(REDACTED, message), None
        return True


def install() -> None:
    """On every handler that exists at start-up (uvicorn's included)."""
    loggers = [logging.getLogger(), *map(logging.getLogger, logging.root.manager.loggerDict)]
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(f, RedactSecrets) for f in handler.filters):
                handler.addFilter(RedactSecrets())
