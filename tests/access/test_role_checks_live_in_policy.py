"""Every access decision that looks at a role lives in `keel.access.policy` (issue #17).

An AST scan of src/keel outside keel/access: a comparison (==, !=, in, not in) of a role (`x.role`,
`getattr(x, "role", ...)`, a name `role` or `*_role`, `x["role"]`) with a role literal (`Role.NURSE`, "nurse")
or a set of roles (a name ending in ROLES, a tuple/set/list of role literals) fails the test, unless it is
one of the few uses listed below, each with why it decides no access. A new access decision by role goes into
the policy as a named predicate (`policy.can_resolve_flags`, `policy.is_program_patient`, ...)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from keel.accounts.models import Role

SRC = Path(__file__).resolve().parents[2] / "src" / "keel"
ROLE_WORDS = frozenset(Role.values)

# (path under src/keel, the comparison's source text): why it is not an access decision.
ALLOWED: dict[tuple[str, str], str] = {
    ("accounts/models.py", "self.role == Role.PATIENT"): "User.is_patient: what the account is, named once",
    ("accounts/models.py", "self.role == Role.SELF_GUIDED"): "User.is_self_guided: what the account is",
    ("accounts/models.py", "self.role in STAFF_ROLES"): "User.is_staff_member: what the account is",
    (
        "accounts/checks.py",
        "role not in STAFF_ROLES",
    ): "validating an invitation's role field (input, not access)",
    ("accounts/staff.py", "role not in {r.value for r in STAFF_ROLES}"): "validating a role change's field",
    (
        "accounts/services/people.py",
        "role != Role.PATIENT",
    ): "making an account: staff get a second factor and a program",
    (
        "accounts/services/setup.py",
        "admin.role == Role.PROGRAM_ADMIN",
    ): "setup run twice: is the existing admin the same",
    ("accounts/management/commands/createuser.py", 'options["role"] != Role.PATIENT'): "making an account",
    ("accounts/middleware.py", 'getattr(user, "role", "") in PERSON_ROLES'): "the idle timeout's length",
    (
        "audit/services/recording.py",
        "actor_role in _CLINICAL",
    ): "marking an audit row 'emergency access' (a label)",
    (
        "assessments/views.py",
        'getattr(assessment.filled_by, "role", "") == "patient"',
    ): "a self-check's words",
    (
        "interop/fhir/resources.py",
        'getattr(imp.received_by, "role", "") == "patient"',
    ): "FHIR Provenance enterer",
    (
        "interop/fhir/condition.py",
        'getattr(a.filled_by, "role", "") not in SELF_CHECK_ROLES',
    ): "FHIR Condition's asserter (provisional for a self-check, as record.py reads it)",
    (
        "interop/fhir/record.py",
        'getattr(a.filled_by, "role", "") not in _SELF_ROLES',
    ): "a clinician's diagnosis first",
}


def _is_role(node: ast.expr) -> bool:
    """A role: `x.role`, `getattr(x, "role", ...)`, a name `role` or `*_role`, `x["role"]`."""
    if isinstance(node, ast.Attribute):
        return node.attr == "role"
    if isinstance(node, ast.Name):
        return node.id == "role" or node.id.endswith("_role")
    if isinstance(node, ast.Subscript):
        key = node.slice
        return isinstance(key, ast.Constant) and key.value == "role"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr":
        args = node.args
        return len(args) >= 2 and isinstance(args[1], ast.Constant) and args[1].value == "role"
    return False


def _is_role_literal(node: ast.expr) -> bool:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "Role":
        return node.attr != "values"
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value in ROLE_WORDS
    if isinstance(node, ast.Name):  # a module constant naming one role (audit's SELF_GUIDED)
        return node.id.upper() in {v.upper() for v in ROLE_WORDS}
    return False


def _is_roles(node: ast.expr) -> bool:
    """A set of roles: a name ending in ROLES, a tuple/set/list of role literals, a union of them, a set built
    from one."""
    if isinstance(node, ast.Name):  # not MEDICAL_ROLES: an emergency recipient's profession, not a Keel role
        return (node.id.upper().endswith("ROLES") and node.id != "MEDICAL_ROLES") or node.id == "_CLINICAL"
    if isinstance(node, ast.Attribute):
        return node.attr.upper().endswith("ROLES")
    if isinstance(node, (ast.Tuple, ast.Set, ast.List)):
        return bool(node.elts) and all(_is_role_literal(e) for e in node.elts)
    if isinstance(node, ast.BinOp):
        return _is_roles(node.left) or _is_roles(node.right)
    if isinstance(node, ast.SetComp):
        return any(_is_roles(g.iter) for g in node.generators)
    return False


def _role_comparisons(tree: ast.AST) -> list[ast.Compare]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        left = node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, (ast.Eq, ast.NotEq)):
                pair = (_is_role(left) and _is_role_literal(right)) or (
                    _is_role(right) and _is_role_literal(left)
                )
            elif isinstance(op, (ast.In, ast.NotIn)):
                pair = _is_role(left) and _is_roles(right)
            else:
                pair = False
            if pair:
                found.append(node)
                break
            left = right
    return found


def scan() -> list[tuple[str, str]]:
    """Every role comparison outside keel/access, as (path under src/keel, source text)."""
    hits = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith("access/") or "/migrations/" in rel:
            continue
        text = path.read_text(encoding="utf-8")
        for node in _role_comparisons(ast.parse(text, filename=rel)):
            hits.append((rel, ast.get_source_segment(text, node) or ""))
    return hits


def test_no_role_is_compared_outside_the_access_policy() -> None:
    stray = [f"{path}: {code}" for path, code in scan() if (path, code) not in ALLOWED]
    assert stray == [], "a role decision outside keel.access.policy (name it there): " + "; ".join(stray)


def test_each_allowed_comparison_still_exists() -> None:
    """The allowlist stays small and true: an entry whose code is gone is removed."""
    gone = sorted(set(ALLOWED) - set(scan()))
    assert gone == []


def test_each_allowed_comparison_says_why() -> None:
    assert all(len(why) > 10 for why in ALLOWED.values())


def test_the_scan_finds_what_it_is_meant_to() -> None:
    samples = [
        "user.role == Role.PRESCRIBER",
        'getattr(user, "role", "") in CLINICAL_ROLES',
        'request.user.role != "auditor"',
        "role in (Role.NURSE, Role.PRESCRIBER)",
        "by.role in CLINICAL_ROLES | {Role.PROGRAM_ADMIN}",
        "Role.PATIENT == user.role",
    ]
    for sample in samples:
        assert len(_role_comparisons(ast.parse(sample))) == 1, sample


def test_the_scan_ignores_what_decides_nothing_by_role() -> None:
    samples = ["user.role", 'kind == "patient_flag"', 'x.status == "active"', 'role_label == "Nurse"']
    for sample in samples:
        assert _role_comparisons(ast.parse(sample)) == [], sample


def test_no_template_compares_a_role() -> None:
    """The pages ask the policy's decisions (`nav`, `can_resolve`, ...), never `user.role == "..."`."""
    pattern = re.compile(r"\.role\s*(==|!=|\bin\b|\bnot in\b)|\b(==|!=)\s*\S*\.role\b")
    found = [
        f"{path.relative_to(SRC).as_posix()}: {line.strip()}"
        for path in sorted(SRC.rglob("*.html"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if pattern.search(line)
    ]
    assert found == []
