"""The audit page in words (issue #15): actions, outcomes, roles and kinds of record, never their codes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, TypedDict

from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from keel.accounts.models import Role
from keel.assessments.meaning import NAMES as INSTRUMENT_NAMES
from keel.audit.models import AuditEvent
from keel.core import sharing
from keel.patients.models import FlagKind

if TYPE_CHECKING:  # the stubs' helper, not needed at run time
    from django_stubs_ext import StrOrPromise

ACTIONS = {
    "read": _("viewed"),
    "create": _("created"),
    "update": _("changed"),
    "delete": _("deleted"),
    "export": _("exported"),
    "disclose": _("disclosed"),
    "login": _("signed in"),
    "logout": _("signed out"),
    "failed_login": _("sign-in failed"),
    "locked_out": _("locked out"),
    "denied": _("refused"),
    "emergency_access": _("emergency access"),
    "token_create": _("API token created"),
    "token_revoke": _("API token revoked"),
}
OUTCOMES = {"success": _("done"), "denied": _("refused"), "failure": _("failed")}
RECORDS = {
    "user": _("staff account"),
    "patient": _("patient record"),
    "patient_list": _("patient list"),
    "patient_flag": _("flag"),
    "patient_flags": _("flags"),
    "patient_timeline": _("timeline"),
    "assessment": _("assessment"),
    "assessment_list": _("assessments"),
    "enrollment": _("episode of care"),
    "enrollments": _("episodes of care"),
    "activation_code": _("activation code"),
    "care_team": _("care team"),
    "consent": _("consent"),
    "disclosure": _("disclosure"),
    "sharing": _("sharing"),
    "emergency_access": _("emergency access"),
    "emergency_review": _("emergency review"),
    "fhir": _("FHIR record"),
    "fhir_bundle": _("FHIR record export"),
    "imported_response": _("response received from another system"),
    "program_measures": _("program measures"),
    "program_policy": _("program policy"),
    "program_settings": _("program settings"),
    "audit_trail": _("audit trail"),
    "checkin": _("check-in"),
    "dose": _("dose"),
    "medication_record": _("medication record"),
    "api_token": _("API token"),
    "invitation": _("invitation"),
    "staff": _("staff"),
    "appointment": _("appointment"),
    "appointment_list": _("appointments"),
    "appointment_reminders": _("appointment reminders"),
    "assessment_form": _("assessment form"),
    "care_goal": _("care goal"),
    "care_plan": _("care plan"),
    "checkins": _("check-ins"),
    "consent_form": _("consent form"),
    "directory_import": _("meeting directory import"),
    "dose_amendment": _("dose correction"),
    "dose_override": _("prescriber's override"),
    "dosing_list": _("dosing list"),
    "email": _("email"),
    "emergency_review_list": _("emergency reviews"),
    "history_consent": _("consent to bring a self-guided history"),
    "home_start": _("home start"),
    "intake": _("intake"),
    "intake_form": _("intake form"),
    "last_use_correction": _("correction of a last use time"),
    "assessment_correction": _("correction of an assessment"),
    "last_use_report": _("report of last use"),
    "link_code": _("link code"),
    "medication_fill": _("pharmacy fill"),
    "medication_order": _("medication order"),
    "meeting_attendance": _("meeting attendance"),
    "meetings_nearby": _("meetings nearby"),
    "membership": _("program membership"),
    "mfa": _("two-step sign-in"),
    "second_factor_resets": _("past resets of two-step sign-in"),
    "naloxone_kit": _("naloxone kit"),
    "own_data": _("their own data"),
    "password_reset": _("password reset"),
    "patient_policy": _("policy for one patient"),
    "photo": _("identity photo"),
    "program": _("program"),
    "progress": _("progress"),
    "qtc": _("QTc (ECG)"),
    "recovery_overview": _("recovery overview"),
    "recovery_plan": _("relapse-prevention plan"),
    "reminder": _("reminder"),
    "reminder_channel": _("reminder channel"),
    "reminders": _("reminders"),
    "role": _("role"),
    "self_guided_account": _("self-guided account"),
    "skill_tries": _("coping skills tried"),
    "skill_try": _("coping skill tried"),
    "take_home_plan": _("take-home plan"),
    "take_home_review": _("take-home review"),
    "thought_record": _("thought record"),
    "thought_records": _("thought records"),
    "transfer": _("transfer"),
    "treatment_start": _("treatment start"),
}

# The reasons Keel itself writes into the audit trail, in words (a reason a person typed, such as an
# override's, is shown as they wrote it).
REASONS = {
    "API token read without a consent basis (Keel-Consent)": _(
        "API token read without a consent basis (the Keel-Consent header)"
    ),
    "FHIR resend": _("FHIR record sent again"),
    "Keel-Consent: no such consent for this patient": _(
        "Keel-Consent header: no such consent for this patient"
    ),
    "above the program's check: prescriber's reason": _(
        "above the program's check, with a prescriber's reason"
    ),
    "accepted": _("accepted"),
    "prescriber's reason recorded on the override": _("a prescriber's reason, kept on the override"),
    "admin's reason recorded on the policy change": _("a program admin's reason, kept on the policy change"),
    "prescriber's reason recorded on the person's policy": _(
        "a prescriber's reason, kept on the person's policy"
    ),
    "reason recorded on the correction": _("a reason, kept on the correction"),
    "reason recorded on the plan's end": _("a reason, kept on the plan's end"),
    "reason recorded on the second factor reset": _("two-step sign-in reset: a reason, kept on the reset"),
    "raised on a QTc of 500 ms or more: prescriber's reason": _(
        "raised on a QTc of 500 ms or more, with a prescriber's reason"
    ),
    "account made": _("account made"),
    "activation code did not work": _("activation code did not work"),
    "added": _("added"),
    "admitted": _("admitted"),
    "amendment": _("correction"),
    "corrected": _("corrected"),
    "entered in error": _("entered in error"),
    "api token: mfa code": _("API token: wrong two-step code"),
    "api token: password": _("API token: wrong password"),
    "appointment missing or another patient's": _("appointment missing or another patient's"),
    "attested": _("attested"),
    "break the glass": _("emergency access"),
    "bulk care team: outside scope or missing": _("care team change for many: outside scope or missing"),
    "bulk search by an API token": _("search of many records by an API token"),
    "pulled with an API token": _("taken by another system with an API token"),
    "duplicate filing: its sender id moved off the one-filing rule, kept on the filing": _(
        "filed twice: this later filing no longer holds the other system's id, which stays written on it"
    ),
    "searched with an API token under a consent: nothing of the record released": _(
        "searched by another system with an API token, under a consent: nothing of the record was sent"
    ),
    "API token bound to a recipient: it only releases records": _(
        "API token refused: it is bound to a recipient and only releases records to it, under a consent"
    ),
    "staff API token: its reads are releases under a consent": _(
        "API token refused: a staff member's token only releases records to its recipient, under a consent"
    ),
    "API token: a desk action is for a person at the desk": _(
        "API token refused: registering, a sign-in code and a second factor reset are done at the desk"
    ),
    "staff API token: this write is done in Keel by a staff member signed in": _(
        "API token refused: this is done in Keel by a staff member who is signed in"
    ),
    "API token: raw small counts are for a program admin signed in": _(
        "API token refused: counts from 1 to 10 unsuppressed are for a program admin who is signed in"
    ),
    "API token bound to no recipient": _(
        "API token refused: it was issued for no recipient, so it releases no record"
    ),
    "API token: staff access is given by an admin signed in": _(
        "API token refused: inviting staff and changing a staff member's role are done by an admin signed in"
    ),
    "API token: emergency access is opened by a clinician signed in": _(
        "API token refused: emergency access is opened by a clinician signed in, with their password again"
    ),
    "API token: an order names the orders its writer read": _(
        "API token refused: a medication order is written by a prescriber signed in, who read the orders"
    ),
    "API token bound to another recipient": _(
        "API token refused: the consent names another recipient than the one the token is bound to"
    ),
    "api token: not the caller's to revoke, or missing": _(
        "API token not revoked: not one this credential may end, or missing"
    ),
    "emergency basis claimed by an API token": _(
        "an API token claimed a medical emergency as the basis: only the program's staff, signed in, "
        "declare one"
    ),
    "contact details changed": _("contact details changed"),
    "deactivated": _("deactivated"),
    "disabled": _("turned off"),
    "discharged": _("discharged"),
    "done": _("done"),
    "dose held: bottles stop": _("dose held: take-home bottles stop"),
    "bottles not handed out: the window would not give their dose": _(
        "take-home bottles not handed out: the window would not give their dose today"
    ),
    "bottles not handed out: no dose given today": _(
        "take-home bottles not handed out: no dose given today stands (corrected to 0 mg or voided)"
    ),
    "bottles not handed out: the dose they were to go home with was voided": _(
        "take-home bottles not handed out: the dose they were to go home with was voided"
    ),
    "bottles handed out: the day's total changed": _(
        "take-home bottles handed out: the day's given total changed and the window's verdict allows them"
    ),
    "bottles taken back: the dose they went home with was voided": _(
        "take-home bottles taken back: the dose they went home with was voided"
    ),
    "plan stays ended: the dose of the day it ended on was corrected back up": _(
        "take-home plan stays ended: the dose of the day it ended on was corrected back up"
    ),
    "plan stays ended: the dose of the day it ended on was voided": _(
        "take-home plan stays ended: the dose of the day it ended on was voided"
    ),
    "plan stays ended: its dose corrected again, still kept back": _(
        "take-home plan stays ended: its dose was corrected again and is still kept back"
    ),
    "plan stays ended: kept-back bottles never left, a correction does not hand them out": _(
        "take-home plan stays ended: its bottles were kept back and never left; a dose correction does not "
        "hand them out"
    ),
    "bottles brought back after the plan ended": _("take-home bottles brought back after the plan ended"),
    "plan not resumed: bottles brought back stay at the clinic": _(
        "take-home plan not resumed: bottles recorded brought back stay at the clinic"
    ),
    "plan ends before a day dosed at the window": _(
        "take-home plan ends before a day on which a dose was given at the window"
    ),
    "bottles at home called back after a correction": _(
        "take-home bottles at home called back after a dose correction"
    ),
    "plan stays ended: the window dose its end named no longer stands": _(
        "take-home plan stays ended: the window dose its end named no longer stands"
    ),
    "plan stays ended: its end's window days said again": _(
        "take-home plan stays ended: the days dosed at the window its end names said again from the record"
    ),
    "bottles taken back: the dose they went home with was corrected down": _(
        "take-home bottles taken back: the dose they went home with was corrected to less"
    ),
    "dose held: prescriber to assess": _("dose held: a prescriber will assess"),
    "first dose's COWS corrected: prescriber to check": _(
        "the COWS of a first dose was corrected: a prescriber will check"
    ),
    "emergency access": _("emergency access"),
    "emergency access: may not resolve flags": _("emergency access: may not resolve flags"),
    "emergency access: may not read consents and disclosures": _(
        "emergency access: may not read consents and disclosures"
    ),
    "emergency access ended early": _("emergency access ended early"),
    "emergency access ended: a death is recorded": _("emergency access ended: a death is recorded"),
    "emergency access: the care team is told": _("emergency access: the care team is told"),
    "no emergency access of the caller's to end": _("no emergency access of their own to end"),
    "emergency access: may not import assessments": _(
        "emergency access: may not import assessments from another system"
    ),
    "enrolled": _("enrolled"),
    "enrolled with set-up code": _("a new authenticator added with the one-time set-up code"),
    "sign-up refused: username in use": _("own account sign-up refused: the username is in use"),
    "sign-up refused: a field not accepted": _("own account sign-up refused: a field was not accepted"),
    "activation refused: username in use": _("patient account activation refused: the username is in use"),
    "invitation refused: username in use": _("staff invitation refused: the username is in use"),
    "set-up code: none that works": _("two-step set-up code: none that works (used, expired or void)"),
    "set-up code: wrong": _("two-step set-up code: wrong"),
    "set-up code: void after too many tries": _("two-step set-up code: void after too many wrong tries"),
    "guard rail: outside the dosing window's hours": _("guard rail: outside the dosing window's hours"),
    "guard rail: a second opioid agonist the same day": _("guard rail: a second opioid agonist the same day"),
    "idempotent replay": _("the same request sent again"),
    "joined the program": _("joined the program"),
    "joined the program, bringing the self-guided history": _(
        "joined the program, bringing the self-guided history"
    ),
    "link sent": _("link sent"),
    "medical emergency": _("medical emergency"),
    "mfa code": _("wrong two-step code"),
    "mfa enrolment code": _("wrong code while setting up two-step sign-in"),
    "naltrexone injection": _("naltrexone injection"),
    "no active account has the address": _("no active account has the address"),
    "no such dose": _("no such dose"),
    "no open episode of care": _("no open episode of care"),
    "stopped by a switch to another medication": _("stopped by a switch to another medication"),  # switch39
    "no such record number in the caller's programs": _("no such record number in this person's programs"),
    "record number in more than one of the caller's programs": _(
        "the record number is in more than one of this person's programs"
    ),
    "not one of the caller's programs": _("not one of this person's programs"),
    "record number or reason refused": _("the record number or the reason was refused"),
    "no such take-home plan": _("no such take-home plan"),
    "not a FHIR id": _("not a FHIR id"),
    "not in this record": _("not in this record"),
    "not a program admin of this program": _("not a program admin of this program"),
    "not a review of the caller's programs": _("not a review of this person's programs"),
    "not this patient's or missing": _("not this patient's or missing"),
    "not this patient's consent": _("not this patient's consent"),
    "notice not sent": _("notice not sent"),
    "only a prescriber resolves this flag": _("only a prescriber resolves this flag"),
    "staff always use two-step sign-in": _("staff always use two-step sign-in"),
    "would leave a person in care without a clinician": _(
        "refused: a person in care would be left without a clinician on their care team"
    ),
    "would leave a person in care without a nurse or prescriber": _(
        "refused: a person in care would be left without a nurse or prescriber on their care team"
    ),
    "would leave a person in care without a prescriber": _(
        "refused: a person in care would be left without a prescriber on their care team"
    ),
    "only a program admin of this program sees its measures": _(
        "only a program admin of this program sees its measures"
    ),
    "outside scope or missing": _("outside scope or missing"),
    "patient_request basis claimed by an API token": _(
        "an API token claimed the patient's request as the basis"
    ),
    "password": _("wrong password"),
    "password changed": _("password changed"),
    "password reset": _("password reset"),
    "password reset code did not work": _("password reset code did not work"),
    "password reset not sent": _("password reset not sent"),
    "password reset started at the desk": _("password reset started at the desk"),
    "password set with a desk code": _("password set with a code from the desk"),
    "photo removed": _("photo removed"),
    "photo replaced": _("photo replaced"),
    "photo taken": _("photo taken"),
    "positive suicide screen": _("positive suicide screen"),
    "suicide screen corrected: flag says so": _("the suicide screen was corrected: its flag says so"),
    "first dose's COWS corrected again: flag says so": _(
        "the COWS of a first dose was corrected again: its flag says so"
    ),
    "check-in edited: flag says what was used": _("a check-in was edited: its flag says what was used now"),
    "check-in edited to no use: flag says so": _("a check-in was edited to no use: its flag says so"),
    "re-authentication failed": _("re-authentication failed"),
    # a staff token whose role never releases, refused before any consent is looked up (FHIR)
    "role may not record consents or disclose": _("this role may not record consents or disclose records"),
    "role may not record a written revocation": _("this role may not record a written revocation"),
    "re-authentication for mfa change": _("password asked again to change two-step sign-in"),
    "re-authentication to delete an account": _("password asked again to delete an account"),
    "read identity: no photo": _("identity read: no photo"),
    "readmitted": _("readmitted"),
    "registered": _("registered"),
    "registration: the record number is this person's": _(
        "registration refused: the record number is this person's"
    ),
    "registration: this person is already registered": _(
        "registration refused: this person is already registered"
    ),
    "registration: this person is already registered; the death was said": _(
        "registration refused: this person is already registered; the registrar was told the record shows a "
        "death"
    ),
    "removed": _("removed"),
    "removed from the program": _("removed from the program"),
    "rescheduled": _("rescheduled"),
    "resolved": _("resolved"),
    "role changed": _("role changed"),
    "role may not change photos": _("this role may not change photos"),
    "role may not change program policy": _("this role may not change program policy"),
    "role may not correct a held dose into a given dose": _(
        "this role may not correct a held dose into a given dose"
    ),
    "role may not disclose a record for a transfer": _("this role may not disclose a record for a transfer"),
    "own account after a death was recorded": _("the person's own account, after a death was recorded"),
    "a death is recorded for this person": _("refused: a death is recorded for this person"),
    "death recorded by mistake undone": _("a death recorded by mistake was undone"),
    "own account left off after a death was undone": _(
        "the person's own account left off and no longer joined to the record, after a death was undone"
    ),
    "revoked: signed by a personal representative while a death was recorded by mistake": _(
        "revoked: signed by a personal representative while a death was recorded by mistake"
    ),
    "role may not end take-home doses": _("this role may not end take-home doses"),
    "role may not record bottles brought back": _("this role may not record take-home bottles brought back"),
    "role may not manage care teams": _("this role may not manage care teams"),
    "role may not override policy": _("this role may not override policy"),
    "role may not record last use": _("this role may not record last use"),
    "role may not register patients": _("this role may not register patients"),
    "role may not take the whole record": _("this role may not take the whole record"),
    "search by a field this role does not see": _("search by a field this role does not see"),
    "second factor reset": _("two-step sign-in reset"),
    "second factor reset by the server's operator (reason kept on the reset)": _(
        "two-step sign-in reset by the server's operator (the reason is kept on the reset)"
    ),
    "set-up": _("set up"),
    "stop link": _("stop link used"),
    "the feed belongs to someone else": _("the feed belongs to someone else"),
    "the person who used emergency powers cannot attest them": _(
        "the person who used emergency powers cannot attest them"
    ),
    "the person who used emergency access cannot resolve its flag": _(
        "the person who used emergency access cannot resolve its flag"
    ),
    "too many failed sign-ins": _("too many failed sign-ins"),
    "too many requests": _("too many requests"),
    "voided": _("voided"),
    "whole record by a staff session: the staff export is the way out": _(
        "whole record by a staff session: use the staff export"
    ),
    "withdrawn": _("withdrawn"),
    "code void: the staff member who gave it was turned off": _(
        "code no longer works: the staff member who gave it had their account turned off"
    ),
    "code void: the staff member who gave it left the program": _(
        "code no longer works: the staff member who gave it left the program"
    ),
    "code void: the staff member who gave it was taken off the care team": _(
        "code no longer works: the staff member who gave it was taken off the person's care team"
    ),
    "code void: the staff member who gave it has a role that gives no codes": _(
        "code no longer works: the staff member who gave it now has a role that gives no codes"
    ),
    "code void: the staff member who gave it no longer sees this person's record": _(
        "code no longer works: the staff member who gave it no longer sees the person's record"
    ),
    "withdrawn: its sender is no longer an admin of the program": _(
        "withdrawn: the admin who sent it is no longer an admin of the program"
    ),
    "works in programs this admin does not run": _("works in programs this admin does not run"),
    "wrong link code": _("wrong link code"),
}
GUARD_RAILS = {
    "needs_override": _("needs a prescriber's override"),
    # a high QTc: no override releases it (session 21)
    "needs_new_order": _("needs the prescriber to re-write the order with a reason for the QTc"),
    "needs_reassessment": _("needs a new assessment"),
    "refused": _("past a limit no override passes"),
    "held_earlier": _("a hold no prescriber has released"),
    "not_ready": _("not ready for a first dose"),
}
# Reasons Keel writes as a fixed beginning and a code: the beginning in words, then the code's words.
REASON_CODES: dict[str, tuple[Promise, Mapping[str, str | Promise]]] = {
    "early warning: ": (_("early warning"), dict(FlagKind.choices)),
    "guard rail: ": (_("guard rail"), GUARD_RAILS),
}


# What a role may not do, in "role may not {what}" (the `what` of the services that refuse a role).
ROLE_MAY_NOT: dict[str, Promise] = {
    "amend doses": _("correct doses"),
    "change contact details": _("change contact details"),
    "change photos": _("change photos"),
    "correct a time of last use": _("correct a time of last use"),
    "correct an assessment": _("correct a result"),
    "decide take-home doses": _("decide take-home doses"),
    "disclose": _("disclose records"),
    "discharge or readmit": _("discharge or readmit"),
    "dispense naloxone": _("dispense naloxone"),
    "edit care plans": _("edit care plans"),
    "end take-home doses": _("end take-home doses"),
    "export or disclose a record": _("export or disclose a record"),
    "give injections": _("give injections"),
    "issue activation codes": _("issue activation codes"),
    "link accounts": _("link accounts"),
    "manage care teams": _("manage care teams"),
    "override dose limits": _("override dose limits"),
    "override policy": _("override policy for a patient"),
    "prescribe": _("prescribe medication"),
    "record QTc": _("record a QTc"),
    "record consents or disclose": _("record consents or disclose records"),
    "record a written revocation": _("record a written revocation"),
    "record doses": _("record doses"),
    "record fills": _("record pharmacy fills"),
    "record intakes": _("record intakes"),
    "record last use": _("record a time of last use"),
    "reset a patient's second factor": _("reset a patient's two-step sign-in"),
    "resolve flags": _("resolve flags"),
    "schedule appointments": _("schedule appointments"),
    "start a password reset": _("start a password reset"),
    "undo a death recorded by mistake": _("undo a death recorded by mistake"),
    "void fills": _("void pharmacy fills"),
}
# What a clinician who reached the record only through emergency access may not do.
EMERGENCY_MAY_NOT: dict[str, Promise] = {
    "amend doses": _("correct doses"),
    "book or change appointments": _("book or change appointments"),
    "change contact details": _("change contact details"),
    "change photos": _("change photos"),
    "correct a time of last use": _("correct a time of last use"),
    "correct an assessment": _("correct a result"),
    "decide take-home doses": _("decide take-home doses"),
    "discharge, readmit or transfer": _("discharge, readmit or transfer"),
    "disclose": _("disclose records"),
    "dispense naloxone": _("dispense naloxone"),
    "edit care plans": _("edit care plans"),
    "end take-home doses": _("end take-home doses"),
    "export or disclose a record": _("export or disclose a record"),
    "export": pgettext_lazy("tried to", "export"),
    "give injections": _("give injections"),
    "import assessments": _("import assessments from another system"),
    "issue activation codes": _("issue activation codes"),
    "link accounts": _("link accounts"),
    "manage care teams": _("manage care teams"),
    "override dose limits": _("override dose limits"),
    "override policy": _("override policy for a patient"),
    "prescribe": _("prescribe medication"),
    "read": _("view the record"),
    "read consents and disclosures": _("read consents and disclosures"),
    "read thought records": _("read thought records"),
    "record consents or disclose": _("record consents or disclose records"),
    "record doses": _("record doses"),
    "record fills": _("record pharmacy fills"),
    "record intakes": _("record intakes"),
    "record QTc": _("record a QTc"),
    "reset a patient's second factor": _("reset a patient's two-step sign-in"),
    "resolve flags": _("resolve flags"),
    "start a password reset": _("start a password reset"),
    "undo a death recorded by mistake": _("undo a death recorded by mistake"),
    "void fills": _("void pharmacy fills"),
}
# What someone tried to do, in "{action} {area}: outside scope or missing" (the access policy's refusal): an
# attempt, never the past tense of ACTIONS ("viewed"), since nothing was done (review 21).
ATTEMPTS: dict[str, Promise] = {
    "read": pgettext_lazy("tried to", "view"),
    "create": pgettext_lazy("tried to", "create"),
    "update": pgettext_lazy("tried to", "change"),
    "delete": pgettext_lazy("tried to", "delete"),
    "export": pgettext_lazy("tried to", "export"),
    "disclose": pgettext_lazy("tried to", "disclose"),
    "login": pgettext_lazy("tried to", "sign in"),
    "logout": pgettext_lazy("tried to", "sign out"),
    "failed_login": pgettext_lazy("tried to", "sign in"),
    "locked_out": pgettext_lazy("tried to", "sign in"),
    "denied": pgettext_lazy("tried to", "act"),
    "emergency_access": pgettext_lazy("tried to", "use emergency access"),
    "token_create": pgettext_lazy("tried to", "create an API token"),
    "token_revoke": pgettext_lazy("tried to", "revoke an API token"),
}
AREAS: dict[str, Promise] = {
    "identity": _("identity details"),
    "clinical": _("clinical record"),
    "recovery": _("recovery companion"),
}


@dataclass(frozen=True)
class ReasonFamily:
    """Reasons Keel writes from one pattern (an f-string in the source): `pattern` with a `{name}` for each
    part; `words` the sentence for the page, a `%(name)s` for each part; `parts` each part's closed vocabulary
    (code -> words), or None for a part shown as written (what a person typed, an error's name). A reason
    whose part is not in its vocabulary is no reason of the family."""

    pattern: str
    words: Promise
    parts: Mapping[str, Mapping[str, str | Promise] | None]

    def said(self, reason: str) -> str | None:
        """The reason in words, or None when it is not one of this family's."""
        found = _pattern_regex(self.pattern).fullmatch(reason)
        if found is None:
            return None
        values = {}
        for name, value in found.groupdict().items():
            vocabulary = self.parts[name]
            if vocabulary is None:
                values[name] = value
            elif value in vocabulary:
                values[name] = str(vocabulary[value])
            else:
                return None
        return str(self.words) % values


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    pieces = re.split(r"\{(\w+)\}", pattern)  # literal, name, literal, name, ..., literal
    return re.compile(
        "".join(re.escape(piece) if i % 2 == 0 else f"(?P<{piece}>.+?)" for i, piece in enumerate(pieces))
    )


# Every reason Keel writes from a pattern, but the "early warning: " and "guard rail: " of REASON_CODES.
REASON_FAMILIES = (
    ReasonFamily(
        "role may not record {instrument}",
        _("this role may not record %(instrument)s"),
        {"instrument": INSTRUMENT_NAMES},
    ),
    ReasonFamily("role may not {what}", _("this role may not %(what)s"), {"what": ROLE_MAY_NOT}),
    ReasonFamily(
        "emergency access: may not record {instrument}",
        _("emergency access: may not record %(instrument)s"),
        {"instrument": INSTRUMENT_NAMES},
    ),
    ReasonFamily(
        "emergency access: may not {what}",
        _("emergency access: may not %(what)s"),
        {"what": EMERGENCY_MAY_NOT},
    ),
    ReasonFamily(
        "{action} {area}: outside scope or missing",
        _("tried to %(action)s (%(area)s): outside scope or missing"),
        {"action": ATTEMPTS, "area": AREAS},
    ),
    ReasonFamily("second factor reset: {reason}", _("two-step sign-in reset: %(reason)s"), {"reason": None}),
    ReasonFamily("email not sent: {error}", _("email not sent: %(error)s"), {"error": None}),
    ReasonFamily("text message not sent: {error}", _("text message not sent: %(error)s"), {"error": None}),
)


# The fields a refused disclosure or release names: the sharing services join them into one reason,
# "refused: recipient_name, purpose" or "consent: This consent ended on 2027-05-31.; purpose is not ...".
SHARING_FIELDS: dict[str, Promise] = {
    "basis": _("basis"),
    "categories": _("kinds of information"),
    "consent": _("consent"),
    "nature": _("nature of the emergency"),
    "purpose": _("purpose"),
    "purpose_text": _("purpose described"),
    "recipient_affiliation": _("recipient's place of care"),
    "recipient_name": _("recipient"),
    "recipient_role": _("recipient's role"),
}
_REFUSED_FIELDS = "refused: "
_REFUSAL_PATTERNS = [(_pattern_regex(t.replace("%(", "{").replace(")s", "}")), t) for t in sharing.REFUSALS]


def _refusal_said(text: str) -> str | None:
    """One of the core's consent refusals in the reader's language (its parts as written: dates, codes)."""
    for pattern, template in _REFUSAL_PATTERNS:
        found = pattern.fullmatch(text)
        if found is not None:
            return gettext(template) % found.groupdict()
    return None


def _sharing_said(reason: str) -> str | None:
    """A sharing refusal the services wrote by joining fields and their problems, in words; None when any
    part is not one of theirs (then the reason is shown as written)."""
    if reason.startswith(_REFUSED_FIELDS):
        fields = reason.removeprefix(_REFUSED_FIELDS).split(", ")
        if all(f in SHARING_FIELDS for f in fields):
            return str(
                _("refused; check: %(fields)s")
                % {"fields": ", ".join(str(SHARING_FIELDS[f]) for f in fields)}
            )
        return None
    said = []
    for part in reason.split("; "):
        name, _colon, problem = part.partition(": ") if ": " in part else part.partition(" ")
        words = _refusal_said(problem) if name in SHARING_FIELDS else None
        if words is None:
            return None
        said.append(f"{SHARING_FIELDS[name]}: {words}")
    return "; ".join(said)


def reason_words(reason: str) -> str:
    """An audit row's reason for the page: Keel's own reasons in the reader's language; anything else (what a
    person wrote) as it is. The stored reason is never changed (the rows are hash-chained): only read. Whether
    the row was made through emergency access is never read from the reason (review 18b: a typed reason
    could fake it), only from its sealed field (`event_row`'s `emergency`)."""
    if reason in REASONS:
        return str(REASONS[reason])
    said = _refusal_said(reason) or _sharing_said(reason)
    if said is not None:
        return said
    for start, (head, codes) in REASON_CODES.items():
        code = reason.removeprefix(start)
        if code != reason and code in codes:
            return f"{head}: {codes[code]}"
    for family in REASON_FAMILIES:
        said = family.said(reason)
        if said is not None:
            return said
    return reason


def words(code: str, table: Mapping[str, object]) -> str:
    return str(table.get(code, code.replace("_", " ")))


class AuditRow(TypedDict):
    """One audit event as the audit trail shows it: its facts, each code in words."""

    id: int
    occurred_at: datetime
    actor_id: int | None
    who: StrOrPromise  # the actor's role in words
    action: str
    record: str  # the kind of record in words
    target_id: str
    patient_id: int | None
    outcome: str
    reason: str
    emergency: str  # "through emergency access" from the sealed field, else ""


def event_row(e: AuditEvent) -> AuditRow:
    """One audit event for the page: its facts, with each code in words."""
    role = Role(e.actor_role).label if e.actor_role in Role.values else words(e.actor_role or "", {})
    marked = bool(getattr(e, "through_emergency", False))
    # A marked row whose reason is only the services' default "emergency access" says it once, by its mark
    # (the page read "emergency access (through emergency access)"); any other reason is shown as written.
    reason = "" if marked and e.reason == "emergency access" else reason_words(e.reason or "")
    return {
        "id": e.id,
        "occurred_at": e.occurred_at,
        "actor_id": e.actor_id,
        "who": role,
        "action": words(e.action, ACTIONS),
        "record": words(e.target_type or "", RECORDS),
        "target_id": e.target_id,
        "patient_id": e.patient_id,
        "outcome": words(e.outcome, OUTCOMES),
        "reason": reason,
        # from the sealed field, never from the reason's text (review 18b)
        "emergency": gettext("through emergency access") if marked else "",
    }
