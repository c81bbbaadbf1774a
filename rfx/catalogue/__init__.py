"""The RFx section templates, kept as YAML data next to this module."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

CATALOGUE_DIR = Path(__file__).resolve().parent
TEMPLATES = ("rfp", "rfi")


@cache
def template(kind: str) -> dict:
    """The template of an RFx kind.

    {"kind", "name", "sections": [{"key", "title", "guidance", "example"}]}
    """
    if kind not in TEMPLATES:
        raise ValueError(f"Unknown RFx template {kind!r}; known: {', '.join(TEMPLATES)}.")
    data = yaml.safe_load((CATALOGUE_DIR / f"{kind}.yaml").read_text(encoding="utf-8"))
    keys = [section["key"] for section in data["sections"]]
    if len(keys) != len(set(keys)):
        raise ValueError(f"The {kind} template repeats a section key.")
    return data
