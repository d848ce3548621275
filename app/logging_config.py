"""How `clinova serve` logs: our JSON access lines on stdout, everything else as uvicorn does."""

import copy
from typing import Any

from uvicorn.config import LOGGING_CONFIG


def logging_config() -> dict[str, Any]:
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["json_line"] = {"format": "%(message)s"}
    config["handlers"]["json_access"] = {
        "class": "logging.StreamHandler",
        "formatter": "json_line",
        "stream": "ext://sys.stdout",
    }
    config["loggers"]["clinova"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    config["loggers"]["clinova.access"] = {
        "handlers": ["json_access"], "level": "INFO", "propagate": False,
    }  # fmt: skip
    return config
