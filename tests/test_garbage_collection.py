"""A served app freezes its start-up objects out of the cyclic collector."""

import subprocess
import sys
import textwrap
from pathlib import Path

from app.garbage_collection import YOUNG_GENERATION_THRESHOLD

# In a process of its own: freezing is process-wide, and the suite's process
# must keep collecting as usual.
_SERVE_ONCE = textwrap.dedent(
    """
    import asyncio, gc, sys
    from app.main import create_app
    from app.settings import Settings

    async def main():
        url = f"sqlite+aiosqlite:///{sys.argv[1]}"
        app = create_app(Settings(database_url=url, _env_file=None))
        before = (gc.get_freeze_count(), gc.get_threshold()[0])
        async with app.router.lifespan_context(app):
            print(*before, gc.get_freeze_count(), gc.get_threshold()[0])

    asyncio.run(main())
    """
)


def test_start_up_freezes_what_it_made_and_collects_the_young_less_often(tmp_path: Path) -> None:
    # Given an app that has not started; when its lifespan starts (as a worker's does)
    out = subprocess.run(
        [sys.executable, "-c", _SERVE_ONCE, str(tmp_path / "clinova.db")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    frozen_before, young_before, frozen_after, young_after = map(int, out)
    # then what start-up made is frozen, and young collections run less often
    assert frozen_before == 0 and young_before == 700
    assert frozen_after > 10_000
    assert young_after == YOUNG_GENERATION_THRESHOLD
