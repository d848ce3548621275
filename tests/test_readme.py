import re
from pathlib import Path

from app.settings import settings_table

README = Path(__file__).parent.parent / "README.md"


def test_the_settings_table_is_generated_from_the_settings_class() -> None:
    # Regenerate with `make docs`.
    section = re.search(
        r"<!-- settings:start -->\n(.*?)\n<!-- settings:end -->", README.read_text(), flags=re.S
    )
    assert section is not None
    assert section.group(1) == settings_table()


def test_the_readme_shows_the_two_commands() -> None:
    text = README.read_text()
    assert "make run" in text and "make test" in text
