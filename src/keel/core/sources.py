"""The sources behind Keel's public pages and reasons: id -> citation and address.

Ids match the ones rules and instruments return. nida-dbb, nida-heroin, cdc-aces, cdc-fentanyl-strips, craft and
never-use-alone are not in Keel's clinical reference: they were looked up for issue #4 and are cited for
plain-language education only, never for a number that changes a dose or a start.
"""

from __future__ import annotations

from dataclasses import dataclass


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
    Source("never-use-alone", "Never Use Alone hotline.", "https://neverusealone.com"),
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
    Source("keel-issue-4", "Keel: plain-language patterns written for this site; not a diagnosis."),
)
SOURCES = {s.id: s for s in _ALL}


def cite(*ids: str) -> tuple[Source, ...]:
    """The sources for these ids, in order; an unknown id is a programming error."""
    return tuple(SOURCES[i] for i in ids)
