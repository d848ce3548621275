"""What each optimisation bought: `bench.inprocess` at each of a list of commits.

    .venv/bin/python -m bench.ladder --database-url URL --key KEY --commits A,B,C

Each commit is checked out in a temporary git worktree and measured with this
checkout's bench/inprocess.py importing that commit's app, on the same dataset.
The machine's speed drifts over minutes, so the commits take turns for
--rounds rounds and each keeps its best; the table goes to stdout as Markdown.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

INPROCESS = Path(__file__).with_name("inprocess.py")


def git(*args: str) -> str:
    return subprocess.run(["git", *args], check=True, capture_output=True, text=True).stdout


def measure(tree: Path, args: argparse.Namespace) -> dict[str, float]:
    # The commit's app and bench packages come first on the path.
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = [sys.executable, str(INPROCESS), "--database-url", args.database_url]
    command += ["--key", args.key, "--requests", str(args.requests)]
    out = subprocess.run(command, cwd=tree, env=env, check=True, capture_output=True)
    results: dict[str, float] = json.loads(out.stdout.decode().strip().splitlines()[-1])
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ladder", description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--commits", required=True, help="comma-separated, oldest first")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    commits = args.commits.split(",")
    best: dict[str, dict[str, float]] = {commit: {} for commit in commits}
    with tempfile.TemporaryDirectory(prefix="clinova-ladder-") as scratch:
        trees = {commit: Path(scratch) / commit for commit in commits}
        for commit, tree in trees.items():
            git("worktree", "add", "--detach", str(tree), commit)
        try:
            for round_ in range(args.rounds):
                for commit, tree in trees.items():
                    print(f"round {round_ + 1}: {commit}", file=sys.stderr, flush=True)
                    for name, value in measure(tree, args).items():
                        best[commit][name] = min(value, best[commit].get(name, value))
        finally:
            for tree in trees.values():
                git("worktree", "remove", "--force", str(tree))
    rows = [(git("log", "-1", "--format=%h %s", c).strip(), best[c]) for c in commits]
    names = list(rows[0][1])
    print("| commit | " + " | ".join(f"{n} CPU ms/req" for n in names) + " |")
    print("|---|" + "---:|" * len(names))
    for subject, results in rows:
        cells = " | ".join(f"{results.get(n, float('nan')):.2f}" for n in names)
        print(f"| {subject} | {cells} |")


if __name__ == "__main__":
    main()
