"""The README's examples, read from the README itself so the two can never drift apart."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_examples() -> list[str]:
    """The README's ```python blocks, in order: the opening five lines first."""
    found = re.findall(r"^```python\n(.*?)^```$", README.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL)
    assert found, f"{README} has no ```python block"
    return found
