"""The word lists behind the rule-based annotator: gazetteer, cues, stance lexicon.

Kept apart from the rules themselves so that a maintainer can extend the
gazetteer or the lexicon without reading code, and so that the annotator's
`model_version` (a hash of this file and `rules.py`) changes when they do:
predictions made with an older word list are never mistaken for new ones.

The gazetteer covers actors common in international news (states, their
capitals used as metonyms, alliances, agencies, frequently quoted leaders).
People not listed are still found through titles ("Foreign Minister Kuleba").
"""

from __future__ import annotations

#: canonical name -> (type, surface forms). The longest matching form wins.
GAZETTEER: dict[str, tuple[str, tuple[str, ...]]] = {
    # -- people
    "Vladimir Putin": ("person", ("Vladimir Putin", "Putin")),
    "Ebrahim Raisi": ("person", ("Sayyed Ebrahim Raisi", "Ebrahim Raisi", "Raisi")),
    "Volodymyr Zelensky": ("person", ("Volodymyr Zelensky", "Zelensky", "Zelenskyy")),
    "Sergei Lavrov": ("person", ("Sergei Lavrov", "Sergey Lavrov", "Lavrov")),
    "Antony Blinken": ("person", ("Antony Blinken", "Blinken")),
    "Dmytro Kuleba": ("person", ("Dmytro Kuleba", "Kuleba")),
    "Jens Stoltenberg": ("person", ("Jens Stoltenberg", "Stoltenberg")),
    "Joe Biden": ("person", ("Joe Biden", "Biden")),
    "Donald Trump": ("person", ("Donald Trump", "Trump")),
    "Xi Jinping": ("person", ("Xi Jinping",)),
    "Ali Khamenei": ("person", ("Ali Khamenei", "Khamenei")),
    "Emmanuel Macron": ("person", ("Emmanuel Macron", "Macron")),
    "Olaf Scholz": ("person", ("Olaf Scholz", "Scholz")),
    "Recep Tayyip Erdogan": ("person", ("Recep Tayyip Erdogan", "Erdogan")),
    "Dmitry Peskov": ("person", ("Dmitry Peskov", "Peskov")),
    # -- organizations
    "NATO": (
        "organization",
        ("North Atlantic Treaty Organization", "Atlantic Alliance", "NATO"),
    ),
    "International Atomic Energy Agency": (
        "organization",
        ("International Atomic Energy Agency", "IAEA"),
    ),
    "Shanghai Cooperation Organization": (
        "organization",
        ("Shanghai Cooperation Organization", "SCO"),
    ),
    "European Union": ("organization", ("European Union", "EU")),
    "United Nations": ("organization", ("United Nations", "UN Security Council")),
    "EFE": ("organization", ("EFE",)),
    "Agerpres": ("organization", ("Agerpres",)),
    "Reuters": ("organization", ("Reuters",)),
    # -- states (capitals and seats of government are metonyms for them)
    "Russia": ("country", ("Russian Federation", "Russia", "Moscow", "the Kremlin", "Kremlin")),
    "Iran": ("country", ("Islamic Republic of Iran", "Islamic Republic", "Iran", "Tehran")),
    "Ukraine": ("country", ("Ukraine", "Kyiv", "Kiev")),
    "United States": ("country", ("United States", "Washington", "US", "U.S.", "USA")),
    "China": ("country", ("China", "Beijing")),
    "Israel": ("country", ("Israel",)),
    "Uzbekistan": ("country", ("Uzbekistan",)),
    "Latvia": ("country", ("Latvia",)),
    # -- groups
    "the West": ("group", ("Western countries", "the West")),
    "Donetsk People's Republic": ("group", ("Donetsk People's Republic", "DPR")),
    "Lugansk People's Republic": ("group", ("Lugansk People's Republic", "LPR")),
    "pro-Russian separatists": ("group", ("pro-Russian separatists", "armed separatists")),
}

#: Titles that introduce a person's name ("Foreign Minister Dmytro Kuleba").
TITLES: tuple[str, ...] = (
    "Secretary of State",
    "Secretary General",
    "Secretary-General",
    "Prime Minister",
    "Foreign Minister",
    "Defense Minister",
    "Defence Minister",
    "Minister",
    "President",
    "Chancellor",
    "Speaker",
    "Senator",
    "Spokesman",
    "Spokeswoman",
    "Spokesperson",
    "Ambassador",
    "Secretary",
    "General",
    "King",
    "Queen",
    "Pope",
    "Mr.",
    "Ms.",
    "Mrs.",
)

#: Reporting verbs and phrases that introduce a claim, in the forms news uses.
CUES: tuple[str, ...] = (
    "said",
    "says",
    "stressed",
    "stresses",
    "noted",
    "notes",
    "added",
    "adds",
    "emphasized",
    "emphasised",
    "underlined",
    "underscored",
    "warned",
    "warns",
    "insisted",
    "insists",
    "denounced",
    "accused",
    "urged",
    "explained",
    "told",
    "argued",
    "claimed",
    "claims",
    "announced",
    "declared",
    "described",
    "stated",
    "pointed out",
    "expressed hope",
    "voiced",
    "wants",
    "proposed",
    "according to",
)

#: Subjects that stand for the last person named ("he said", "the Iranian president said").
PRONOUNS: tuple[str, ...] = ("he", "she", "they")

#: Topics a stance can target, each with the words that signal it in a claim.
TOPICS: dict[str, str] = {
    "NATO expansion": r"\b(?:NATO|Atlantic Alliance|North Atlantic)\b[^.]*?"
    r"\b(?:expan\w*|enlarge\w*|rapprochement|eastward|closer|East\b|east\b)"
    r"|\b(?:expan\w*|enlarge\w*)\b[^.]*?\b(?:NATO|Atlantic Alliance)\b",
    "sanctions": r"\bsanction\w*",
    "Iran nuclear deal": r"\b(?:JCPOA|nuclear deal|Iran deal|Vienna talks)\b",
}

#: Words signalling opposition and support (lower case, matched at word starts).
NEGATIVE: tuple[str, ...] = (
    "threat",
    "threaten",
    "tension",
    "destabiliz",
    "destabilis",
    "aggression",
    "aggressive",
    "illegal",
    "illegitimate",
    "miscalculation",
    "violation",
    "undermine",
    "ignored",
    "irresponsible",
    "concerned",
    "mistake",
    "false",
    "alarming",
    "lying",
    "pressure",
    "not kept",
    "not expand",
    "exclude",
    "prevent",
    "stopping",
    "red line",
    "invade",
    "heavy impact",
)
POSITIVE: tuple[str, ...] = (
    "cooperat",
    "support",
    "welcome",
    "thank",
    "pleased",
    "strategic",
    "convergent",
    "benefit",
    "understanding",
    "agreed",
    "partner",
    "help",
    "legitimate response",
    "protect",
    "elevated",
    "expand bilateral",
    "expanding bilateral",
)
#: A negation just before a sentiment word flips it ("not a threat").
NEGATIONS: tuple[str, ...] = ("not", "no", "never", "without")

#: Lines that start site furniture once the article has begun: everything from such
#: a line on is not the article (regexes, matched on the stripped, lower-case line).
FURNITURE_SECTIONS: tuple[str, ...] = (
    r"^(?:recent|related|popular) (?:posts|articles|stories)$",
    r"^check also$",
    r"^source link$",
    r"^leave a reply$",
    r"^share(?: this)?:?$",
    r"^published by$",
    r"^you may also like$",
    r"^more stories$",
    r"^read more$",
    r"^(?:\w+\s+)?editorial staff$",
)
#: Single lines that are furniture wherever they stand (matched as regexes, lower case).
FURNITURE_LINES: tuple[str, ...] = (
    r"^by\s",
    r"^read also\b",
    r"exclusive$",
    r"to your inbox",
    r"newsletter",
    r"subscribe",
    r"privacy policy",
    r"we don.t spam",
    r"^advertisement$",
)
