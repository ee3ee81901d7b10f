"""Plain words for the public pages' codes, translated. Short sentences, common words (grade 6 to 8)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

SIGNS = {
    "needles": _("I found needles, burnt spoons, foil or small bags"),
    "marks": _("Needle marks, or long sleeves even when it is hot"),
    "nodding": _("Nodding off or very sleepy at odd times"),
    "tiny_pupils": _("Very small pupils (the dark center of the eye)"),
    "withdrawal": _("Sick when not using: upset stomach, throwing up, sweating, yawning, runny nose, aches"),
    "lost_interest": _("Lost interest in things they used to love"),
    "neglect": _("Missing work or school, or not taking care of home"),
    "money": _("Money or things going missing, or spending they can't explain"),
    "secrecy": _("New friends, secrets or lies"),
    "mood": _("Big mood swings"),
}

PATTERNS = {
    "none": _("You did not check any signs. If you are still worried, trust that feeling and keep talking."),
    "life_only": _(
        "These changes can have many causes, like stress, depression or drugs. They do not prove drug use. "
        "Talk with them calmly and keep watching."
    ),
    "possible_use": _(
        "These signs can point to opioid use. They are not proof. A calm talk is the best next step. "
        "Keep naloxone at home just in case."
    ),
    "likely_dependence": _(
        "Signs of use and of withdrawal together often mean the body has come to depend on opioids. "
        "This is a health problem, and treatment works. Keep naloxone at home, and learn the signs of overdose."
    ),
}

RISKS = {
    "family": _("A parent, brother or sister had problems with drugs or alcohol"),
    "trauma": _("Hard things happened when I was a child, like abuse, neglect or violence at home"),
    "mental_health": _("I live with depression, anxiety or another mental health condition"),
    "stress": _("I feel a lot of stress, or I feel alone"),
    "people": _("Many people around me use drugs"),
    "early_use": _("I started using alcohol or drugs as a young teen"),
    "pain_pills": _("I have taken opioid pain pills for a long time"),
}
PROTECTIONS = {
    "support": _("I have people who care about me and I can talk to"),
    "stable_home": _("I have a safe, steady place to live"),
    "purpose": _("I have work, school or something I care about"),
    "mental_health_care": _("I get care for my mental health"),
    "safe_people": _("I spend time with people who don't use"),
    "coping": _("I have healthy ways to handle stress"),
}
REFLECTION = {
    "none": _("You did not check anything. That is fine. You can come back anytime."),
    "more_risk": _(
        "You checked more risks than strengths. Risk is not destiny. Each strength you add helps. "
        "Talking to someone is a good start."
    ),
    "balanced": _("You have risks and strengths. Your strengths matter. Keep building on them."),
    "more_protection": _("You have many strengths. They protect you. Keep them close."),
}

CHECK_STEPS = {
    "none": (
        _("Your answers don't match opioid use disorder right now."),
        _("If you use opioids, learn how to stay safe and keep naloxone near you."),
        _("If things change, you can take this check again."),
    ),
    "mild": (
        _("Talk with a doctor or a clinic. It is easier to stop early."),
        _("Counseling and support groups can help."),
        _("Learn how to stay safe and keep naloxone near you."),
    ),
    "moderate": (
        _("Medicine like buprenorphine or methadone helps many people. Talk with a doctor or clinic."),
        _("Counseling and peer support work well with medicine."),
        _("Keep naloxone near you and never use alone."),
    ),
    "severe": (
        _("Medicine like methadone or buprenorphine saves lives. You can start soon."),
        _("Call the free helpline to find care near you: 1-800-662-4357."),
        _("Keep naloxone near you and never use alone."),
    ),
}

PRESCRIBED_QUESTION = _(
    "Do you take opioids only the way a doctor prescribed them? For example methadone, buprenorphine or pain "
    "pills, taken just as your doctor said."
)
PRESCRIBED_YES = _("Yes, only as prescribed")
PRESCRIBED_NO = _("No, or not always")
PRESCRIBED_MISSING = _("Please choose an answer.")
PRESCRIBED_NOTE = _(
    "You take opioids only as prescribed. So needing more over time, and feeling sick without them, were not "
    "counted. The body gets used to these medicines. That alone is not a use disorder."
)
