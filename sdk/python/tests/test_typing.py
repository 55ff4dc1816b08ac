"""The package is typed (py.typed) and must stay `mypy --strict` clean, along with the tests and
the README's example, which use it as a user would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from readme_example import readme_examples

SDK = Path(__file__).resolve().parents[1]


def test_the_package_its_tests_and_the_readme_example_pass_mypy_strict(tmp_path: Path) -> None:
    examples = []
    for index, code in enumerate(readme_examples()):
        examples.append(tmp_path / f"readme_example_{index}.py")
        examples[-1].write_text(code, encoding="utf-8")
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "src/umca", "tests", *map(str, examples)],
        cwd=SDK,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert (SDK / "src" / "umca" / "py.typed").is_file()
