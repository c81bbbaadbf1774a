"""Run every benchmark under bench/ and print their figures (the README's performance table)."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

for script in sorted(HERE.glob("*.py")):
    if script.name.startswith("_") or script.name == "run.py":
        continue
    print(f"# {script.name}", flush=True)
    completed = subprocess.run(  # noqa: S603 — our own scripts, with our interpreter
        [sys.executable, str(script)], cwd=HERE, capture_output=True, text=True
    )
    figures = [line for line in completed.stdout.splitlines() if ":" in line]
    print("\n".join(figures) if completed.returncode == 0 else completed.stderr[-2000:], flush=True)
