"""A person in care keeps a clinician who can act for her (review 16a): the one rule every path that takes
someone off a care team asks, under the person's lock.

Clinicians see only their care team's patients (`policy.patients_visible_to`). While a person has an active
episode of care, taking away the last counselor, nurse or prescriber of her team leaves no clinician who can
read her record; the last nurse or prescriber, no one who can give her a dose at the window; the last
prescriber, no one who resolves a held dose's flag or changes her orders. A change that would open one of
those gaps is refused (422), audited; a team that already had the gap is not made to close it first, and a
person not in care (no active episode: discharged, or never admitted) has no gap to open.

Who counts: an active account of a team role that still works in the person's program (the same test as the
access policy). Used by taking someone off a team (API, page and CLI), turning a staff account off or taking
it out of a program, and changing a staff member's role.

A move of a person to another program is not a path, on purpose (session 18, lane care18b): her record
belongs to the program that holds it (42 CFR Part 2). A transfer ends her episode and discloses the record to
the receiving program under her consent (`services.episodes.discharge`), which registers her itself; she is
then not in care here, so her team may lose anyone. A readmission opens an episode at the same program (a team
that already had a gap is not made to close it first). No code writes a program onto an existing patient or
episode (`tests/patients/test_care_gap_program_move.py`). A move added later must, under the person's lock
(the program row first, as a role change takes it), refuse with 422 naming the roles her team would lack in
the new program (`gaps_if_gone` against the new program's staff), audited with `record_refusal`.

The refusal in words (`gap_words`) names the staff member, and the people only to a caller who may see them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from keel.access import policy
from keel.accounts.models import ProgramMembership, Role, User
from keel.accounts.names import staff_name
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.patients.models import CareTeamMember, Enrollment, EnrollmentStatus, Patient

__all__ = [
    "GAP_CLINICIAN",
    "GAP_DOSING",
    "GAP_PRESCRIBER",
    "Left",
    "care_gap_if_gone",
    "gap_words",
    "gaps_if_gone",
    "left_if_gone",
    "lock_people",
    "people_left_without_care",
    "record_refusal",
]

GAP_CLINICIAN = "clinician"  # no counselor, nurse or prescriber: no clinician sees her record
GAP_DOSING = "dosing"  # no nurse or prescriber: no one gives her a dose at the window
GAP_PRESCRIBER = "prescriber"  # no prescriber: no one resolves a held dose's flag or changes her orders

_NEEDS: tuple[tuple[str, frozenset[str]], ...] = (
    (GAP_CLINICIAN, frozenset({Role.COUNSELOR, Role.NURSE, Role.PRESCRIBER})),
    (GAP_DOSING, frozenset({Role.NURSE, Role.PRESCRIBER})),
    (GAP_PRESCRIBER, frozenset({Role.PRESCRIBER})),
)


def lock_people(patient_ids: Iterable[int]) -> None:
    """Lock these people's rows for the rest of the transaction, in id order (two paths that lock several
    never wait on each other crosswise). FOR NO KEY UPDATE, as `treatment.services.common.lock_person`: two
    changes of one person's team wait for each other, and each then sees the other's."""
    ids = sorted(set(patient_ids))
    if ids:
        list(
            Patient.objects.select_for_update(no_key=True)
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )


def _in_care(patient_id: int) -> bool:
    return Enrollment.objects.filter(patient_id=patient_id, status=EnrollmentStatus.ACTIVE).exists()


def acts_for_her() -> Q:
    """A care team row (`CareTeamMember`) whose staff member can still act for the person: their account on,
    still working in the person's program. The one definition of "a current member of the care team"
    (review 35d hole 2): the care-gap rule counts only them (`_team`); the record, the care team page and
    the API list them as the team, and the others apart, as having left (`patients.queries`)."""
    in_program = ProgramMembership.objects.filter(user=OuterRef("user"), program=OuterRef("patient__program"))
    return Q(user__is_active=True) & Q(Exists(in_program))


def _team(patient: Patient) -> dict[int, str]:
    """Who on her team can act for her (`acts_for_her`): user id -> role."""
    rows = CareTeamMember.objects.filter(acts_for_her(), patient=patient).values_list("user_id", "user__role")
    return dict(rows)


def team_gaps(patient: Patient) -> tuple[str, ...]:
    """Every need (in the order of `_NEEDS`: the worst first) this person's care team as it stands leaves
    unmet, counting only who can still act for her (`_team`: active, in her program), in care or not. The
    readmission page warns with it (a warning: the team can be completed after the readmission)."""
    roles = set(_team(patient).values())
    return tuple(gap for gap, needed in _NEEDS if not roles & needed)


def gaps_if_gone(patient: Patient, user: User | int, *, role_after: str | None = None) -> tuple[str, ...]:
    """Every gap (in the order of `_NEEDS`: the worst first) that `user` leaving this person's care team would
    open while she is in care; empty when nothing is lost. With `role_after`, the user stays on the team in
    that role (a role change). Call it under `lock_people` of the person."""
    user_id = user if isinstance(user, int) else user.pk
    team = _team(patient)
    if user_id not in team or not _in_care(patient.pk):
        return ()
    now = set(team.values())
    after = {role for uid, role in team.items() if uid != user_id}
    if role_after is not None:
        after.add(role_after)
    return tuple(gap for gap, roles in _NEEDS if now & roles and not after & roles)


def care_gap_if_gone(patient: Patient, user: User | int, *, role_after: str | None = None) -> str | None:
    """The worst gap (GAP_CLINICIAN, GAP_DOSING, GAP_PRESCRIBER: the first of them) that `user` leaving this
    person's care team would open while she is in care; None when nothing is lost (`gaps_if_gone`)."""
    gaps = gaps_if_gone(patient, user, role_after=role_after)
    return gaps[0] if gaps else None


class Left(NamedTuple):
    """A person in care a change would leave without a clinician she needs: `gap`, the worst gap it opens
    (the audit row's reason); `need`, the narrowest (what to add to her team first: a prescriber closes every
    gap, a nurse or prescriber the first two)."""

    patient: Patient
    gap: str
    need: str


def left_if_gone(patient: Patient, user: User | int, *, role_after: str | None = None) -> Left | None:
    """`gaps_if_gone` as a `Left`, or None when nothing is lost."""
    gaps = gaps_if_gone(patient, user, role_after=role_after)
    return Left(patient, gaps[0], gaps[-1]) if gaps else None


def people_left_without_care(
    user: User, *, program_id: int | None = None, role_after: str | None = None
) -> list[Left]:
    """Every person in care (of `program_id` only, when given) whose team `user` is on and who would lose a
    clinician they need if `user` left (or took `role_after`), in id order. Locks them."""
    patients = Patient.objects.filter(
        care_team__user=user, enrollments__status=EnrollmentStatus.ACTIVE
    ).distinct()
    if program_id is not None:
        patients = patients.filter(program_id=program_id)
    found = list(patients.order_by("pk"))
    lock_people(p.pk for p in found)
    return [left for p in found if (left := left_if_gone(p, user, role_after=role_after)) is not None]


NAMES_SHOWN = 3  # people named in a refusal; the rest counted ("and 2 more")


def gap_words(*, by: User, staff: User, left: Sequence[Left]) -> str:
    """Why the change is refused, in plain words (the field error of `user_id`, in the active language): who
    `staff` is the last of, on whose care team, what no one could do for them, and what to add first. The
    people are named only to a caller who may see their record (`policy.patients_visible_to`), up to
    NAMES_SHOWN of them, then counted; to anyone else, only counted. Nothing else about them."""
    need = _narrowest(left)
    n = len(left)
    values = {"staff": staff_name(staff), "n": n}  # never a username (lane words33)
    named = _names(by, [entry.patient for entry in left])
    if named:
        values["people"] = named
    sentences = [_who(need, n, bool(named)) % values, _without(need, n)]
    if need != GAP_CLINICIAN and all(entry.gap == GAP_CLINICIAN for entry in left):
        sentences.append(
            ngettext(
                "No clinician would be left to see their record.",
                "No clinician would be left to see their records.",
                n,
            )
        )
    sentences.append(_add(need, n))
    return " ".join(sentences)


def _narrowest(left: Sequence[Left]) -> str:
    """The narrowest need among them: adding one of its roles closes every person's gaps (the sets nest)."""
    order = [gap for gap, _roles in _NEEDS]
    return max((entry.need for entry in left), key=order.index)


def _names(by: User, people: Sequence[Patient]) -> str:
    """The names of those `by` may see, up to NAMES_SHOWN, the rest counted ("A, B and 2 more"); "" when
    `by` may see none of them."""
    visible = set(
        policy.patients_visible_to(by).filter(pk__in=[p.pk for p in people]).values_list("pk", flat=True)
    )
    names = [p.display_name for p in people if p.pk in visible][:NAMES_SHOWN]
    if not names:
        return ""
    more = len(people) - len(names)
    if more:
        return _("%(names)s and %(n)s more") % {"names": ", ".join(names), "n": more}
    if len(names) == 1:
        return names[0]
    return _("%(names)s and %(last)s") % {"names": ", ".join(names[:-1]), "last": names[-1]}


def _who(need: str, n: int, named: bool) -> str:
    """Sentence 1: whom `staff` is the last of, on whose care team (named, or counted)."""
    if named:
        if need == GAP_PRESCRIBER:
            return ngettext(
                "%(staff)s is the last prescriber on the care team of %(people)s, who is in care now.",
                "%(staff)s is the last prescriber on the care teams of %(people)s, who are in care now.",
                n,
            )
        if need == GAP_DOSING:
            return ngettext(
                "%(staff)s is the last nurse or prescriber on the care team of %(people)s, who is in care "
                "now.",
                "%(staff)s is the last nurse or prescriber on the care teams of %(people)s, who are in care "
                "now.",
                n,
            )
        return ngettext(
            "%(staff)s is the last counselor, nurse or prescriber on the care team of %(people)s, who is in "
            "care now.",
            "%(staff)s is the last counselor, nurse or prescriber on the care teams of %(people)s, who are "
            "in care now.",
            n,
        )
    if need == GAP_PRESCRIBER:
        return ngettext(
            "%(staff)s is the last prescriber on the care team of a person who is in care now.",
            "%(staff)s is the last prescriber on the care teams of %(n)s people who are in care now.",
            n,
        )
    if need == GAP_DOSING:
        return ngettext(
            "%(staff)s is the last nurse or prescriber on the care team of a person who is in care now.",
            "%(staff)s is the last nurse or prescriber on the care teams of %(n)s people who are in care "
            "now.",
            n,
        )
    return ngettext(
        "%(staff)s is the last counselor, nurse or prescriber on the care team of a person who is in "
        "care now.",
        "%(staff)s is the last counselor, nurse or prescriber on the care teams of %(n)s people who are in "
        "care now.",
        n,
    )


def _without(need: str, n: int) -> str:
    """Sentence 2: what no one on the team could do for them."""
    if need == GAP_PRESCRIBER:
        return ngettext(
            "Without a prescriber, no one can change their medicine orders or check a held dose.",
            "Without a prescriber, no one can change their medicine orders or check a held dose.",
            n,
        )
    if need == GAP_DOSING:
        return ngettext(
            "Without a nurse or prescriber, no one can give them a dose.",
            "Without a nurse or prescriber, no one can give them their doses.",
            n,
        )
    return ngettext(
        "Without a counselor, nurse or prescriber, no clinician can see their record.",
        "Without a counselor, nurse or prescriber, no clinician can see their records.",
        n,
    )


def _add(need: str, n: int) -> str:
    """The last sentence: what to do first."""
    if need == GAP_PRESCRIBER:
        return ngettext(
            "Add another prescriber to their care team first, then try again.",
            "Add another prescriber to each of their care teams first, then try again.",
            n,
        )
    if need == GAP_DOSING:
        return ngettext(
            "Add another nurse or prescriber to their care team first, then try again.",
            "Add another nurse or prescriber to each of their care teams first, then try again.",
            n,
        )
    return ngettext(
        "Add another counselor, nurse or prescriber to their care team first, then try again.",
        "Add another counselor, nurse or prescriber to each of their care teams first, then try again.",
        n,
    )


def record_refusal(
    *,
    by: User,
    gap: str,
    program_id: int,
    target_type: str,
    target_id: int,
    patient_id: int | None = None,
    detail: dict[str, object] | None = None,
) -> None:
    """The audit row of a change refused for the gap it would open (after the refused transaction)."""
    audit.record(
        actor=by,
        action=Action.DENIED,
        outcome=Outcome.DENIED,
        patient_id=patient_id,
        program_id=program_id,
        target_type=target_type,
        target_id=target_id,
        reason=(
            "would leave a person in care without a clinician"
            if gap == GAP_CLINICIAN
            else "would leave a person in care without a nurse or prescriber"
            if gap == GAP_DOSING
            else "would leave a person in care without a prescriber"
        ),
        detail=detail,
    )
