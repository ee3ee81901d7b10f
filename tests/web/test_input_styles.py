"""Every kind of text input a template uses gets the house field style (a 44 px touch target, full width).

Seen at 390 px in Spanish (session 14): the plan's phone fields (`type="tel"`) and every date and time field
were the browser's bare default, narrow and about 20 px tall, beside styled text fields.
"""

import re
from pathlib import Path

import keel

SRC = Path(keel.__file__).parent
CSS = (SRC / "web" / "static" / "keel" / "keel.css").read_text()
# the selectors of the one rule that gives fields their size
FIELD_RULE = next(rule for rule in CSS.split("}") if "min-height:44px" in rule and "textarea" in rule)
STYLED = set(re.findall(r"input\[type=([a-z-]+)\]", FIELD_RULE.split("{", 1)[0]))
NOT_TEXT = {"hidden", "checkbox", "radio", "submit", "button", "file"}


def _types_in_templates() -> set[str]:
    found: set[str] = set()
    for template in SRC.rglob("*.html"):
        found |= set(re.findall(r'<input[^>]*\btype="([a-z-]+)"', template.read_text()))
    return found - NOT_TEXT


def test_the_templates_use_some_text_inputs() -> None:
    assert {"text", "tel", "date", "time"} <= _types_in_templates()


def test_every_text_input_type_in_a_template_is_styled() -> None:
    assert _types_in_templates() - STYLED == set()


def test_a_responsive_table_cell_without_a_label_shows_no_stray_colon() -> None:
    # an empty table's "No results yet." cell has no data-label; at 390 px it read ": No results yet."
    assert "table.responsive td[data-label]::before" in CSS


def test_every_input_names_its_type() -> None:
    """Lane es21: an `<input>` without a type is a text field the house style does not reach (it selects by
    type): the second-factor reset's reason was a bare box of about 170 px beside a full-width password."""
    bare = [
        f"{template.relative_to(SRC)}: {tag[:60]}"
        for template in SRC.rglob("*.html")
        for tag in re.findall(r"<input\b[^>]*>", template.read_text())
        if not re.search(r"\btype=", tag)
    ]
    assert bare == []
