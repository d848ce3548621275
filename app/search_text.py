"""What owner search compares: text folded by Unicode rules, the same on every backend.

SQLite's lower() folds ASCII alone and PostgreSQL's follows its collation, so
the folding is Python's: the stored search text is folded when an owner is
written (`app.models`), the term when it is searched (`app.domain.owners`).
"""

import unicodedata


def fold(text: str) -> str:
    """Unicode's compatibility caseless form (Unicode 15, D146), without accents.

    Case folding maps ß to ss and a final sigma to sigma; NFKD splits É into E
    and its accent, which is dropped: `elodie` finds Élodie, `istanbul` İstanbul.
    """
    folded = unicodedata.normalize(
        "NFKD",
        unicodedata.normalize("NFKD", unicodedata.normalize("NFD", text).casefold()).casefold(),
    )
    return "".join(c for c in folded if not unicodedata.combining(c))


def owner_search_text(first_name: str, last_name: str, email: str | None) -> str:
    """First and last name and email, as one text a search term is found in."""
    return fold(f"{first_name} {last_name} {email or ''}")
