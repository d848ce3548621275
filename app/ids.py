import re

from cuid import cuid

# Contract: ids are 25-character cuids, `c` followed by lowercase base36.
CUID_PATTERN = re.compile(r"^c[0-9a-z]{24}$")


def new_id() -> str:
    return str(cuid())


def looks_like_id(value: str) -> bool:
    return CUID_PATTERN.fullmatch(value) is not None
