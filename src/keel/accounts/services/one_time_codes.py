"""The one-time codes a person is handed by a person (at the desk, in person or by phone): their alphabet,
length, shown form and stored digest. A patient's activation and password-reset codes
(`keel.patients.services.activation`) and a staff member's second-factor set-up code (`setup_codes`) are
made and checked here alike."""

from __future__ import annotations

import hashlib
import secrets

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U: easy to read aloud and type
CODE_LENGTH = 12  # 30**12 ≈ 5e17 codes


def new_code() -> str:
    """A fresh code, CODE_LENGTH characters of CODE_ALPHABET (the secrets module's choice)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))


def shown_code(code: str) -> str:
    """The code as shown and read aloud: groups of four joined by "-"."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def code_digest(code: str) -> str:
    """What is stored of a code: a SHA-256 digest of its letters and digits in capitals (the dashes and
    spaces, and the case, as typed do not matter)."""
    cleaned = "".join(c for c in code.upper() if c.isalnum())
    return hashlib.sha256(cleaned.encode()).hexdigest()
