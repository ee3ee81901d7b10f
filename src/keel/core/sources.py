"""The sources behind Keel's public pages and reasons: id -> citation and address.

Ids match the ones rules and instruments return. nida-dbb, nida-heroin, cdc-aces, cdc-fentanyl-strips, craft,
never-use-alone, cdc-hiv-injection and acog-711 are not in Keel's clinical reference: they were looked up for issue #4 and are cited for
plain-language education only, never for a number that changes a dose or a start; so are the recovery tools' nida-cbt-manual-1,
mbrp-urge-surfing and na-basic-text (coping skills a person chooses, no clinical number). Every id the core cites has an
entry here (tests/core/test_sources.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from keel.core.words import gettext_noop as N_


@dataclass(frozen=True)
class Source:
    id: str
    citation: str
    url: str = ""


_ALL = (
    Source("apa-dsm5-tr", "American Psychiatric Association. DSM-5-TR (2022): Opioid Use Disorder criteria."),
    Source("pmc6590307", "DSM-5 opioid use disorder criteria as reproduced in PMC6590307, Table 1."),
    Source("pcss-oud-criteria", "PCSS. Opioid Use Disorder Diagnostic Criteria (handout reproducing DSM-5)."),
    Source(
        "bccsu-appendix-2",
        "BC Centre on Substance Use. Opioid use disorder guideline, Appendix 2: DSM-5-TR criteria (2025).",
    ),
    Source("emcdda-sows", "EMCDDA instrument bank: Subjective Opiate Withdrawal Scale (SOWS)."),
    Source("samhsa-od-toolkit", "SAMHSA. Overdose Prevention and Response Toolkit."),
    Source("vivitrol-label", "VIVITROL prescribing information (HCP site; drugs.com label extract)."),
    Source(
        "handelsman-1987",
        "Handelsman L, et al. Two new rating scales for opiate withdrawal. Am J Drug Alcohol Abuse 1987;13(3):293-308.",
    ),
    Source(
        "samhsa-tip-63",
        "SAMHSA. TIP 63: Medications for Opioid Use Disorder (2021).",
        "https://store.samhsa.gov/product/tip-63-medications-opioid-use-disorder/pep21-02-01-002",
    ),
    Source(
        "asam-2020",
        "ASAM National Practice Guideline for the Treatment of Opioid Use Disorder, 2020 Focused Update.",
    ),
    Source(
        "cfr-8-2024",
        "42 CFR Part 8, Medications for the Treatment of Opioid Use Disorder, 89 FR 7528 (Feb 2, 2024).",
        "https://www.federalregister.gov/d/2024-01693",
    ),
    Source(
        "vivitrol-pi",
        "VIVITROL (naltrexone for extended-release injectable suspension) prescribing information.",
    ),
    Source(
        "samhsa-overdose-toolkit",
        "SAMHSA. Overdose Prevention and Response Toolkit.",
        "https://store.samhsa.gov/product/overdose-prevention-and-response-toolkit/pep23-03-00-001",
    ),
    Source(
        "fda-naloxone-otc-2023",
        "FDA. FDA approves first over-the-counter naloxone nasal spray (March 29, 2023).",
        "https://www.fda.gov/news-events/press-announcements/fda-approves-first-over-counter-naloxone-nasal-spray",
    ),
    Source(
        "nida-dbb",
        "NIDA. Drugs, Brains, and Behavior: The Science of Addiction.",
        "https://nida.nih.gov/publications/drugs-brains-behavior-science-addiction",
    ),
    Source(
        "nida-heroin",
        "NIDA. Heroin DrugFacts.",
        "https://nida.nih.gov/publications/drugfacts/heroin",
    ),
    Source(
        "cdc-aces",
        "CDC. About Adverse Childhood Experiences.",
        "https://www.cdc.gov/aces/about/",
    ),
    Source(
        "cdc-fentanyl-strips",
        "CDC. Fentanyl test strips.",
        "https://www.cdc.gov/stop-overdose/safety/index.html",
    ),
    Source(
        "craft",
        "Community Reinforcement and Family Training (CRAFT): Smith JE, Meyers RJ, treatment manual, Guilford Press, "
        "2004.",
    ),
    Source(
        "samhsa-helpline",
        "SAMHSA National Helpline, 1-800-662-4357.",
        "https://www.samhsa.gov/find-help/helplines/national-helpline",
    ),
    Source("findtreatment", "FindTreatment.gov (SAMHSA).", "https://findtreatment.gov"),
    Source("lifeline-988", "988 Suicide & Crisis Lifeline.", "https://988lifeline.org"),
    Source("never-use-alone", "Never Use Alone hotline, 1-800-484-3731.", "https://neverusealone.com"),
    Source(
        "cdc-hiv-injection",
        "CDC. HIV: Injection drug use (syringe services programs; testing for HIV, hepatitis B and C).",
        "https://www.cdc.gov/hiv/risk/drugs/",
    ),
    Source(
        "acog-711",
        "ACOG Committee Opinion 711 with ASAM: Opioid Use and Opioid Use Disorder in Pregnancy (2017, "
        "reaffirmed 2021). Opioid agonist pharmacotherapy (methadone, buprenorphine) is the recommended therapy.",
        "https://www.acog.org/clinical/clinical-guidance/committee-opinion/articles/2017/08/"
        "opioid-use-and-opioid-use-disorder-in-pregnancy",
    ),
    Source("na-org", "Narcotics Anonymous World Services.", "https://na.org"),
    Source(
        "smart-recovery", "SMART Recovery, including SMART Family & Friends.", "https://smartrecovery.org"
    ),
    Source("nar-anon", "Nar-Anon Family Groups.", "https://www.nar-anon.org"),
    Source(
        "nqf-3175",
        "CMS MIPS 2019 Quality ID #468 / NQF #3175: Continuity of Pharmacotherapy for Opioid Use Disorder "
        "(steward USC/RAND), CQM specification; ACP measure review.",
    ),
    Source("hedis-pod", "NCQA HEDIS: Pharmacotherapy for Opioid Use Disorder (POD); NCQA FAQ 2026."),
    Source("hedis-iet", "NCQA HEDIS: Initiation and Engagement of Substance Use Disorder Treatment (IET)."),
    Source(
        "anderson-2021",
        "Anderson KE, et al. Buprenorphine initiation and retention, commercial and Medicare Advantage cohort. "
        "Med Care 2021.",
        "https://pmc.ncbi.nlm.nih.gov/articles/PMC8026663/",
    ),
    Source(
        "ref-14-4",
        "Keel clinical reference 14.4: no standard retention definition; N days and the allowed gap are "
        "parameters.",
    ),
    Source(
        "keel-measures",
        "Keel: measure defined for this program dashboard (admission date to first medication day); not a "
        "national standard.",
    ),
    Source(
        "keel-caseload",
        "Keel product rule (journey 6): the caseload is ordered by open flags, missed observed doses and a "
        "week without a check-in. A working order for the care team, not a clinical standard.",
    ),
    Source(
        "cfr-2-31-2024",
        "42 CFR 2.31 (as amended by the 2024 final rule, 89 FR 12472): consent requirements.",
        "https://www.ecfr.gov/current/title-42/chapter-I/subchapter-A/part-2/subpart-C/section-2.31",
    ),
    Source(
        "cfr-2-32-2024",
        "42 CFR 2.32 (as amended 2024): notice and copy of consent to accompany disclosure.",
        "https://www.ecfr.gov/current/title-42/chapter-I/subchapter-A/part-2/subpart-C/section-2.32",
    ),
    Source(
        "cfr-2-14-2024",
        "42 CFR 2.14 (as amended 2024): minor patients; where state law requires a parent's consent, both "
        "the minor and the parent, guardian or other person legally responsible sign.",
        "https://www.ecfr.gov/current/title-42/chapter-I/subchapter-A/part-2/subpart-B/section-2.14",
    ),
    Source(
        "cfr-2-15-2024",
        "42 CFR 2.15 (as amended 2024): patients who lack capacity or have died; a guardian or other person "
        "authorized under state law, or the personal representative, signs.",
        "https://www.ecfr.gov/current/title-42/chapter-I/subchapter-A/part-2/subpart-B/section-2.15",
    ),
    Source(
        "hipaa-164-502-g",
        "45 CFR 164.502(g) (HIPAA Privacy Rule): personal representatives; (g)(4) after an individual's death, "
        "the executor, administrator or other person with authority under applicable law to act for the "
        "deceased or the estate.",
        "https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-C/part-164/subpart-E/section-164.502",
    ),
    Source(
        "cfr-2-51-2024",
        "42 CFR 2.51 (as amended 2024): medical emergencies.",
        "https://www.ecfr.gov/current/title-42/chapter-I/subchapter-A/part-2/subpart-D/section-2.51",
    ),
    Source(
        "us-core-stu7",
        "HL7 US Core Implementation Guide STU7 (7.0.0): example Observation PHQ9-item-example-44260-8 "
        "(LOINC 44260-8, PHQ-9 item 9).",
        "https://hl7.org/fhir/us/core/STU7/Observation-PHQ9-item-example-44260-8.html",
    ),
    # Keel's own words, not a publication's title: translated where shown (`N_`)
    Source("keel-issue-4", N_("Keel: plain-language patterns written for this site; not a diagnosis.")),
    # FHIR R4 in and out (issue #16): the standards and code systems the FHIR resources use, each checked.
    Source(
        "fhir-r4",
        "HL7 FHIR Release 4 (4.0.1): resources, data types, required value sets (MedicationAdministration status "
        "entered-in-error; condition-clinical remission; condition-severity 255604002/6736007/24484000) and Bundle "
        "reference resolution (a relative reference resolves against the base of its entry's fullUrl).",
        "https://hl7.org/fhir/R4/bundle.html#references",
    ),
    Source(
        "keel-fhir-paging",
        "Keel product rule: a FHIR search answers at most 200 resources a page (_count, default 50) and skips at "
        "most 10,000 (_offset); a deeper read narrows the search (patient, date) or takes Patient/$everything. "
        "Larger values are refused with a 400 naming the parameter, never silently lowered.",
    ),
    Source(
        "fhir-r4-search",
        "HL7 FHIR R4: RESTful search (searchset Bundles, paging links, date prefixes eq/lt/gt/le/ge, token "
        "system|code), Patient/$everything, CapabilityStatement and OperationOutcome.",
        "https://hl7.org/fhir/R4/search.html",
    ),
    Source(
        "fhir-r4-consent",
        "HL7 FHIR R4 Consent: scope patient-privacy (consentscope), category LOINC 59284-0, rule ppc-1 (a policy "
        "or a policy rule), provision actor role IRCP (v3-ParticipationType), purpose (v3-ActReason TREAT, PATRQT).",
        "https://hl7.org/fhir/R4/consent.html",
    ),
    Source(
        "hl7-v3-actcode-42cfrpart2",
        "HL7 Terminology, v3-ActCode: 42CFRPart2 (42 CFR Part2) and 42CFRPart2CD (42 CFR Part 2 consent directive), "
        "with v3-Confidentiality R (restricted) as security labels on each resource.",
        "https://terminology.hl7.org/CodeSystem-v3-ActCode.html",
    ),
    Source(
        "shift-demo-oud",
        "HL7 SHIFT Task Force demo FHIR data: an opioid use disorder Condition labelled R and 42CFRPart2 on the "
        "resource, coded ICD-10-CM F11.11 and SNOMED CT 5602001, category problem-list-item.",
        "https://github.com/SHIFT-Task-Force/demo-fhir-data",
    ),
    Source(
        "us-core-stu7-patient",
        "HL7 US Core STU7 (7.0.0) Patient profile: mandatory identifier, name and gender; must support (if held) "
        "birth date and telecom; the us-core-birthsex extension bound to Birth Sex (F, M, UNK).",
        "https://hl7.org/fhir/us/core/STU7/StructureDefinition-us-core-patient.html",
    ),
    Source(
        "loinc-44249-1",
        "LOINC 44249-1 PHQ-9 quick depression assessment panel: items 44250-9, 44255-8, 44259-0, 44254-1, 44251-7, "
        "44258-2, 44252-5, 44253-3, 44260-8 (answers LL358-3), item 10 69722-7 (answers LL359-1: LA6572-7, "
        "LA6573-5, LA6575-0, LA6574-3) and the total 44261-6; as in LOINC's own FHIR Questionnaire (LHC-Forms).",
        "https://loinc.org/44249-1",
    ),
    Source(
        "loinc-69737-5",
        "LOINC 69737-5 GAD-7 panel: items 69725-0, 68509-9, 69733-4, 69734-2, 69735-9, 69689-8, 69736-7 and the "
        "total 70274-6; as in LOINC's own FHIR Questionnaire (LHC-Forms).",
        "https://loinc.org/69737-5",
    ),
    Source(
        "loinc-yes-no",
        "LOINC answers LA33-6 Yes and LA32-8 No, as LOINC's own questionnaires code yes/no answers (e.g. the C-SSRS "
        "screener panel): used for the DSM-5 checklist's answers in FHIR.",
        "https://loinc.org/LA33-6",
    ),
    Source(
        "icd10cm-f11",
        "ICD-10-CM (CMS/NCHS), F11 Opioid related disorders: F11.10 Opioid abuse, uncomplicated; F11.11 Opioid "
        "abuse, in remission; F11.20 Opioid dependence, uncomplicated; F11.21 Opioid dependence, in remission.",
        "https://www.cms.gov/medicare/coding-billing/icd-10-codes",
    ),
    Source(
        "icd10cm-f11-inclusion",
        "ICD-10-CM tabular list (FY2026), inclusion terms: F11.11 Opioid use disorder, mild, in early or sustained "
        "remission; F11.21 Opioid use disorder, moderate or severe, in early or sustained remission (as reproduced "
        "from the tabular list by diseasedb.com and hccbuddy.com, read 2026-12).",
        "https://www.diseasedb.com/icd10/F11.21",
    ),
    Source(
        "hl7-mcode-elixhauser",
        "HL7 mCODE STU2, Elixhauser Drug Abuse value set: ICD-10-CM F11.10 Opioid abuse, uncomplicated; F11.11 "
        "Opioid abuse, in remission (code titles).",
        "https://hl7.org/fhir/us/mcode/STU2/ValueSet-elixhauser-drug-abuse-vs.html",
    ),
    Source(
        "snomed-oud",
        "SNOMED CT: 5602001 Opioid abuse; 75544000 Opioid dependence (Keel's clinical reference, correction 12).",
        "https://browser.ihtsdotools.org/",
    ),
    # Buprenorphine start and XR-naltrexone (issue #13): the ids the readiness and home-start rules return.
    Source(
        "asam-2020-summary",
        "ASAM National Practice Guideline 2020 Focused Update, as summarised secondarily (Keel clinical "
        "reference 9.1-9.2: waits of 12/24/72 h, COWS 8; the guideline text was not retrieved).",
    ),
    Source(
        "tip63-summary",
        "SAMHSA TIP 63 (2021), as summarised secondarily (Keel clinical reference 9; text not retrieved).",
    ),
    Source(
        "reference-9.1-fentanyl",
        "Keel clinical reference 9.1: no consensus wait after illicit fentanyl; precipitated withdrawal can "
        "follow even a wait into moderate withdrawal (Burson 2021; secondary reviews).",
    ),
    Source(
        "asam-2023-fentanyl",
        "ASAM 2023 clinical considerations on buprenorphine starts with fentanyl: high-dose and low-dose starts "
        "(Keel clinical reference correction 11, secondary).",
    ),
    Source(
        "reference-9.6",
        "Keel clinical reference 9.6: precipitated withdrawal; highest risk with too-early dosing, recent "
        "methadone (more so above 30 mg a day) and fentanyl.",
    ),
    Source(
        "hammig-2016",
        "Hammig R, et al. Use of microdoses for induction of buprenorphine treatment with overlapping full "
        "opioid agonist use: the Bernese method. Subst Abuse Rehabil 2016;7:99-105.",
    ),
    Source(
        "wesson-ling-2003",
        "Wesson DR, Ling W. The Clinical Opiate Withdrawal Scale (COWS). J Psychoactive Drugs "
        "2003;35(2):253-259.",
    ),
    Source(
        "fda-bup-label-summary",
        "FDA buprenorphine and buprenorphine/naloxone sublingual labels, dosage section as summarised "
        "secondarily (first dose 2-4 mg; day-1 8 mg, day-2 16 mg; Keel clinical reference 9.3).",
    ),
    Source(
        "pcss-cows-form",
        "PCSS-MAT buprenorphine induction form: re-score COWS 1-2 h after the first dose (Keel clinical "
        "reference 9.3).",
    ),
    Source(
        "keel-bup-restart",
        "Program policy, default from Keel (the clinical reference gives no figure for buprenorphine): after "
        "5 days in a row without a dose, the next buprenorphine dose is a restart and meets the start's "
        "readiness gate again; re-induction after about 5-7 days off is common practice, and 5 or more "
        "missed days is a new induction for methadone (Keel clinical reference correction 8).",
    ),
    Source(
        "keel-dose-follows-order",
        "Program policy: the dose given at the window follows the prescriber's active order; more than the "
        "order needs a prescriber's override for the day, with a reason (42 CFR 8.12(h): medications are "
        "administered and dispensed under the practitioner's order).",
    ),
    Source(
        "keel-one-agonist-a-day",
        "Program policy, default from Keel (the clinical reference gives no same-day rule): one opioid agonist "
        "a day at the window. Methadone and buprenorphine on one day is a switch that a prescriber decides "
        "for that day, with a reason; buprenorphine after methadone meets the start gate (reference 9.6), "
        "and methadone alongside a low-dose buprenorphine start is the method (Hammig 2016).",
    ),
    Source(
        "keel-same-day-hours",
        "Program policy, default from Keel (no source gives a figure): every daily dose limit counts the doses "
        "given on the same program day or within the program's same-day hours (default 12 h, by clock time) "
        "before the dose, so no limit resets at the program's midnight; a split regimen's halves 12 h apart "
        "are two days' halves, and a cumulative check reads a rolling window, never only the calendar day "
        "(Keel clinical reference correction 7).",
    ),
    Source(
        "keel-policy",
        "Program policy set by this program (default from Keel), changed only by a program admin with a reason.",
    ),
    Source(
        "reference-correction-5",
        "Keel clinical reference correction 5: a published patient protocol waits for SOWS >= 17 before the "
        "first home dose (secondary).",
    ),
    Source(
        "vivitrol-label-switching",
        "VIVITROL prescribing information, section 'Switching from Buprenorphine or Methadone' (12/2025): "
        "vulnerability to precipitated withdrawal for as long as 2 weeks (Keel clinical reference correction "
        "10).",
    ),
    # Methadone at the window (issue #13): missed doses, titration over time, the first day.
    Source(
        "anmg-2003-missed",
        "Henry-Edwards S, et al. National Clinical Guidelines and Procedures for the Use of Methadone in the "
        "Maintenance Treatment of Opioid Dependence (Australia, 2003), section 3.5 missed doses: 3 days half "
        "the dose; 4 days see the prescriber, restart at 40 mg or half, whichever is lower; 5 or more days a "
        "new induction (Keel clinical reference correction 8).",
    ),
    Source(
        "baxter-2013",
        "Baxter LE, et al. Safe methadone induction and stabilization: report of an expert panel. J Addict "
        "Med 2013;7(6):377-386: deaths follow doses increased too rapidly; 5-10 mg no more often than every "
        "3-5 days (Keel clinical reference correction 7).",
    ),
    Source(
        "methadone-label-first-day",
        "Methadone hydrochloride label, induction: a first dose of 20-30 mg (not more than 30 mg), a "
        "first-day total not ordinarily above 40 mg, as quoted secondarily; the 2024 rule's 50 mg is the "
        "bound with a documented reason (Keel clinical reference correction 6).",
    ),
    Source(
        "naltrexone-oral-label",
        "Naltrexone hydrochloride tablets label: the naloxone challenge (0.2 mg IV, then 0.6 mg IV; or 0.8 mg "
        "subcutaneous), as summarised secondarily (Keel clinical reference correction 10).",
    ),
    # Ids the instruments, rules and recovery tools cited without a citation here (issue #17's walk of the
    # guide found pages dropping them silently; tests/core/test_sources.py now holds every cited id to one).
    Source(
        "kroenke-2001",
        "Kroenke K, Spitzer RL, Williams JB. The PHQ-9: validity of a brief depression severity measure. "
        "J Gen Intern Med 2001;16(9):606-613.",
    ),
    Source(
        "spitzer-2006",
        "Spitzer RL, Kroenke K, Williams JB, Lowe B. A brief measure for assessing generalized anxiety "
        "disorder: the GAD-7. Arch Intern Med 2006;166(10):1092-1097.",
    ),
    Source(
        "loinc-ll358-3",
        "LOINC answer list LL358-3 (PHQ and GAD answers: not at all, several days, more than half the days, "
        "nearly every day).",
        "https://loinc.org/LL358-3",
    ),
    Source("hl7-us-bh-phq9", "HL7 US Behavioral Health Profiles Implementation Guide: the PHQ-9 example."),
    Source("hl7-us-bh-cssrs", "HL7 US Behavioral Health Profiles Implementation Guide: the C-SSRS example."),
    Source(
        "hl7-phr-gad7", "HL7 Personal Health Record Format Implementation Guide: the GAD-7 questionnaire."
    ),
    Source(
        "keel-conflict-16",
        "Keel clinical reference, judgment call 16: PHQ-9 item 9 at any answer above 0 is a safety trigger, "
        "whatever band the total falls in (a deliberate choice in favour of safety).",
    ),
    Source(
        "mdapp-cows",
        "MDApp: Clinical Opiate Withdrawal Scale calculator, with the severity bands printed on the Wesson & "
        "Ling form (secondary; Keel clinical reference 2).",
    ),
    Source(
        "samhsa-tip-nbk64244",
        "SAMHSA Treatment Improvement Protocol on the NCBI Bookshelf (NBK64244): the COWS table.",
        "https://www.ncbi.nlm.nih.gov/books/NBK64244/",
    ),
    Source(
        "va-vista-cows",
        "VA VistA Mental Health instrument definition for COWS (vivian.worldvista.org, file 601.95).",
    ),
    Source(
        "cacciola-2013",
        "Cacciola JS, Alterman AI, DePhilippis D, et al. Development and initial evaluation of the Brief "
        "Addiction Monitor (BAM). J Subst Abuse Treat 2013;44(3):256-263.",
    ),
    Source(
        "va-bam-manual-2014",
        "VA Center of Excellence in Substance Abuse Treatment and Education. Brief Addiction Monitor (BAM) "
        "manual (2014 draft).",
    ),
    Source(
        "blueprint-bam",
        "Blueprint Health: Brief Addiction Monitor help page (answer coding, composites and their flags; "
        "secondary, Keel clinical reference 4).",
    ),
    Source(
        "columbia-cssrs-screen",
        "Posner K, et al. The Columbia-Suicide Severity Rating Scale (C-SSRS), screen version. Am J Psychiatry "
        "2011;168(12):1266-1277.",
    ),
    Source(
        "columbia-triage",
        "The Columbia Lighthouse Project. Clinical Triage Guidelines Using the C-SSRS (screen version).",
    ),
    Source(
        "webster-2005",
        "Webster LR, Webster RM. Predicting aberrant behaviors in opioid-treated patients: preliminary "
        "validation of the Opioid Risk Tool. Pain Med 2005;6(6):432-442.",
    ),
    Source(
        "cfp-ort-table-1",
        "Canadian Family Physician, Table 1: the Opioid Risk Tool, adapted from Webster & Webster 2005.",
    ),
    Source(
        "krantz-2009",
        "Krantz MJ, Martin J, Stimmel B, Mehta D, Haigney MC. QTc interval screening in methadone treatment. "
        "Ann Intern Med 2009;150(6):387-395.",
    ),
    Source(
        "fda-89fr105613",
        "FDA notice, 89 FR 105613 (Dec 27, 2024): buprenorphine labels never set a maximum daily dose; more "
        "than 24 mg a day may suit some patients (Keel clinical reference, correction 1).",
    ),
    Source(
        "pcss-summary",
        "PCSS buprenorphine induction guidance as summarised secondarily (day 1: 8-12 mg; Keel clinical "
        "reference 9.3).",
    ),
    Source(
        "reference-13",
        "Keel clinical reference 13: overdose-risk factors guidance highlights, among them co-use of alcohol, "
        "benzodiazepines and other sedatives, and the methadone induction period.",
    ),
    Source(
        "cdc-2022",
        "Dowell D, et al. CDC Clinical Practice Guideline for Prescribing Opioids for Pain - United States, "
        "2022. MMWR Recomm Rep 2022;71(3):1-95 (offer naloxone when overdose risk is raised).",
    ),
    Source(
        "keel-issue-7",
        "Keel product rule (issue #7): progress and early-warning signs read from the person's own check-ins "
        "and screens; a return to use does not erase the days before it. Program convention, not a validated "
        "instrument.",
    ),
    Source(
        "nida-cbt-manual-1",
        "Carroll KM. A Cognitive-Behavioral Approach: Treating Cocaine Addiction. NIDA Therapy Manuals for "
        "Drug Addiction, Manual 1 (1998): coping with craving, functional analysis of triggers.",
    ),
    Source(
        "mbrp-urge-surfing",
        "Bowen S, Chawla N, Marlatt GA. Mindfulness-Based Relapse Prevention for Addictive Behaviors: A "
        "Clinician's Guide (2011): urge surfing and breathing space.",
    ),
    Source(
        "na-basic-text",
        "Narcotics Anonymous World Services. Narcotics Anonymous (the Basic Text), 6th edition (2008).",
    ),
)
SOURCES = {s.id: s for s in _ALL}


def cite(*ids: str) -> tuple[Source, ...]:
    """The sources for these ids, in order; an unknown id is a programming error."""
    return tuple(SOURCES[i] for i in ids)
