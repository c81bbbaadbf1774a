"""Framework files for tests: the small fixture questionnaire and ways to break it."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

FIXTURES = Path(__file__).resolve().parent / "fixtures"
VENDOR_FILE = FIXTURES / "vendor-security-questionnaire-1.0.yaml"
BROKEN_RULE_FILE = FIXTURES / "broken-rule.yaml"


def vendor_yaml() -> str:
    return VENDOR_FILE.read_text(encoding="utf-8")


def vendor_data() -> dict:
    """The fixture questionnaire as plain data, a fresh copy each time, ready to break."""
    return copy.deepcopy(yaml.safe_load(vendor_yaml()))


def to_yaml(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def find_question(data: dict, code: str) -> dict:
    for criterion in data["criteria"]:
        for question in criterion["questions"]:
            if question["code"] == code:
                return question
    raise KeyError(code)
