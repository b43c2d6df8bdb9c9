"""The word lists behind the rule-based annotator: gazetteer, cues, facts, stance, furniture.

Kept apart from the rules themselves so that a maintainer can extend the
gazetteer or the lexicon without reading code, and so that the annotator's
`model_version` (a hash of this file and `rules.py`) changes when they do:
predictions made with an older word list are never mistaken for new ones.

The fact lists (figures, time expressions, event verbs, passive forms) decide which
sentences in the outlet's own voice are authorial claims of fact; the opinion lists
(judgement words, modal wishes) keep the outlet's views out of them.

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
    "Dr.",
    "Sen.",
    "Rep.",
    "Gov.",
    "Lt. Gov.",
    "Gen.",
    "Col.",
    "Capt.",
    "Lt.",
    "Sgt.",
    "Det.",
    "Mayor",
    "Governor",
    "Judge",
    "Justice",
    "Attorney General",
    "Police Chief",
    "Fire Chief",
    "Chief",
    "Sheriff",
    "Commissioner",
    "Director",
    "Professor",
)
#: Abbreviations whose full stop does not end a sentence (matched case-sensitively).
ABBREVIATIONS: tuple[str, ...] = (
    "Mr", "Mrs", "Ms", "Dr", "Sen", "Rep", "Gov", "Gen", "Lt", "Col", "Capt", "Sgt", "Det",
    "St", "Jr", "Sr", "Prof", "Rev", "No", "Jan", "Feb", "Aug", "Sept", "Oct", "Nov", "Dec",
    "Ariz", "Calif", "Colo", "Conn", "Fla", "Ill", "Ind", "Kan", "Mass", "Mich", "Minn",
    "Miss", "Nev", "Okla", "Ore", "Pa", "Tenn", "Tex", "Va", "Wash", "Wis", "vs", "Inc", "Corp",
)  # fmt: skip
#: Words that start sentences (after "U.S." a full stop still ends one before them).
SENTENCE_STARTERS: tuple[str, ...] = (
    "He", "She", "It", "They", "We", "I", "The", "But", "And", "In", "This", "That", "There",
    "His", "Her", "Their", "Its", "A", "An", "As", "At", "If", "When", "While", "After",
    "Still", "Yet", "So", "Some", "Many", "Most", "Meanwhile", "However",
)  # fmt: skip
#: Honorifics dropped from the front of a name found next to a reporting verb.
HONORIFICS: tuple[str, ...] = (
    "Mr.", "Ms.", "Mrs.", "Dr.", "Sen.", "Rep.", "Gov.", "Lt.", "Gen.", "Col.", "Capt.",
    "Sgt.", "Det.", "Officer", "Mayor", "Governor", "Senator", "President", "Judge", "Sheriff",
    "Chief", "Professor", "Prof.", "Rev.", "Sir",
)  # fmt: skip
#: Capitalised words that start a sentence or name a time, never a speaker.
CAPITALISED_NON_NAMES: tuple[str, ...] = (
    "A", "An", "The", "But", "And", "Or", "So", "Yet", "In", "On", "At", "For", "From", "To",
    "With", "Without", "As", "When", "While", "After", "Before", "Since", "Until", "If",
    "Although", "Though", "Because", "However", "Meanwhile", "Still", "Also", "Then", "Now",
    "Today", "Yesterday", "Tonight", "He", "She", "It", "They", "We", "I", "You", "His", "Her",
    "Its", "Their", "Our", "My", "This", "That", "These", "Those", "There", "Here", "What",
    "Who", "Which", "Why", "How", "Where", "Asked", "Speaking", "Later", "Earlier", "Last",
    "Next", "Some", "Many", "Most", "Both", "Each", "Other", "Others", "Several", "One", "Two",
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December", "Jan.", "Feb.", "Aug.", "Sept.", "Oct.", "Nov.",
    "Dec.", "Republican", "Democratic", "Democrat", "GOP", "Former", "Rep", "Sen", "Gov",
    "Mr", "Mrs", "Ms", "Dr", "Twitter", "Facebook", "Thanks", "Instead", "Indeed",
)  # fmt: skip
#: Last words that make a capitalised name an organisation ("Fire Department").
ORGANIZATION_WORDS: tuple[str, ...] = (
    "Department", "Ministry", "Agency", "Police", "Service", "Services", "Party", "Committee",
    "Council", "Commission", "Office", "Bureau", "Administration", "Authority", "Board",
    "Court", "Association", "Institute", "Foundation", "University", "College", "Center",
    "Centre", "Company", "Corp.", "Corporation", "Inc.", "Group", "Network", "News", "Times",
    "Post", "Journal", "Press", "Tribune", "Herald", "Guard", "Army", "Navy", "Force",
    "Senate", "House", "Congress", "Parliament", "Campaign", "Fund", "Bank", "Union",
    "Coalition", "Alliance", "Project", "Organization", "Organisation", "Society",
    "Federation", "League", "Magazine", "Channel", "Radio", "Television", "Hospital",
    "School", "Watch", "Forum", "Club", "PAC", "Cross", "Squad", "Unit", "Patrol",
)  # fmt: skip
#: Capitalised plurals that name a group, not a person ("Democrats said").
GROUP_NAMES: tuple[str, ...] = (
    "Democrats", "Republicans", "Americans", "Conservatives", "Liberals", "Progressives",
    "Evangelicals", "Muslims", "Christians", "Palestinians", "Israelis", "Russians",
)  # fmt: skip
#: Words before a group noun that are not part of its name ("many experts", "the police").
QUANTIFIERS: tuple[str, ...] = (
    "a", "an", "the", "some", "many", "most", "several", "few", "other", "two", "three",
    "both", "all", "more", "these", "those", "his", "her", "their", "its", "our", "one", "of",
    "and", "that", "by", "to", "with", "said", "told", "when", "after",
)  # fmt: skip
#: Nouns for people who report without being named ("officials said", "police said").
GROUP_NOUNS: tuple[str, ...] = (
    "officials", "official", "police", "rescuers", "witnesses", "witness", "residents",
    "experts", "analysts", "authorities", "investigators", "prosecutors", "sources",
    "source", "aides", "advisers", "advisors", "critics", "supporters", "firefighters",
    "officers", "troopers", "deputies",
    "doctors", "scientists", "researchers", "economists", "observers", "organizers",
    "organisers", "activists", "protesters", "lawmakers", "legislators", "diplomats",
    "leaders", "voters", "parents", "neighbors", "neighbours", "survivors", "victims",
    "relatives", "family", "lawyers", "attorneys", "representatives", "campaign",
    "administration", "government", "ministry", "department", "agency", "company",
    "staffers", "insiders", "pollsters", "allies", "Democrats", "Republicans", "paramedics",
    "medics",
    "emergency workers", "teachers", "students", "workers", "farmers", "soldiers", "troops",
    "fans", "shoppers", "passengers", "drivers", "nurses", "crews", "guards", "villagers",
    "locals", "coroner", "medical examiner", "rescue workers", "emergency services",
    # documents and figures that report ('polls show', 'the report found')
    "poll", "polls", "survey", "surveys", "study", "studies", "report", "records",
    "documents", "data", "analysis", "research", "filings", "figures", "numbers", "results",
    "memo", "statement", "letter", "lawsuit", "complaint", "respondents",
)  # fmt: skip

#: Reporting verbs and phrases that introduce a claim, in the forms news uses. Chosen on
#: PolNeAR's train split: a speech cue stays when at least half of the claims it yields
#: there match an annotated attribution ("wants" is kept for the seeds), a belief or
#: evaluation cue when at least 40% do.
#: Speech: a sentence holding one is someone's statement, never the outlet's own claim.
SPEECH_CUES: tuple[str, ...] = (
    "said", "says", "say", "told", "tells", "stressed", "stresses", "noted", "notes", "added",
    "adds", "emphasized", "emphasised", "underlined", "underscored", "warned", "warns",
    "insisted", "insists", "denounced", "accused", "urged", "explained", "explains", "argued",
    "argues", "argue", "claimed", "claims", "announced", "declared", "described", "stated",
    "pointed out", "expressed hope", "voiced", "wants", "proposed", "according to", "wrote",
    "writes", "reported", "reports", "tweeted", "acknowledged", "acknowledges", "concluded",
    "recalled", "recalls", "responded", "replied", "countered", "contended", "contends",
    "admitted", "admits", "conceded", "confirmed", "confirms", "predicted", "predicts",
    "asserted", "asserts", "observed", "complained", "complains", "remarked", "testified",
    "alleged", "alleges", "revealed", "disclosed", "denied", "announces",
)  # fmt: skip
#: Belief, evidence and evaluation ("believes", "polls show", "criticized") and participles
#: ("noting that"): PolNeAR marks them as attributions; a sentence whose cue of this kind
#: yields no attributed claim may still be the outlet's claim of fact.
ATTITUDE_CUES: tuple[str, ...] = (
    "saying", "telling", "noting", "adding", "warning", "arguing", "suggested", "suggests",
    "suggesting", "estimated", "estimates", "charged", "promised", "vowed", "vows", "believes",
    "thinks", "think", "worries", "show", "shows", "showed", "hopes", "found", "believe",
    "asked", "asks", "called", "calling", "calls", "criticized", "praised", "defended", "cited",
    "citing", "continued", "hope", "hoped", "fear", "feared", "sees", "understand", "insist",
    "claim", "suggest", "warn", "predict", "deny", "announce", "explain", "describe",
    "acknowledge", "promise", "questioned", "blamed", "slammed", "dismissed", "mocked", "joked",
    "quipped", "boasted", "lamented", "touted", "reiterated", "repeated", "signaled",
    "indicated", "implied", "speculated", "wondered", "urging", "insisting", "explaining",
    "declaring", "describing", "accusing", "promising", "predicting", "tweeting", "asking",
    "worried", "referring to", "recommended", "estimate", "posted", "learned", "insisted on",
    "see", "writing", "feel", "expect", "promises", "heard", "claiming",
    "knows", "tell", "maintained", "seemed", "appears", "appeared", "seems", "declined",
    "refused", "sought", "offered", "blasted", "expressed", "finds",
    "decided", "seeks", "prefer", "hoping", "slams", "assured",
    "announcing", "talked about", "talking about",
    # belief and report verbs kept where about 0.7 or more of their claims match on
    # PolNeAR train (issue 17; counted after nested beliefs were left out)
    "called for", "explaining", "challenged", "describes", "recalling", "acknowledging",
    "hoping", "forecast", "insists", "cautioned", "stating", "recounted", "dismissing",
    "likened", "predicts", "remembered", "surmised", "reiterating", "is convinced",
    "concedes", "speculates", "opined", "confided",
    "made clear", "made it clear", "highlighted", "shot back", "reveal", "indicate",
    "mused", "conclude", "clarified", "emphasizes", "stressing",
    "questioning", "worry", "welcomed", "calls for", "expects", "reveals", "vowing",
    "pointing to", "pledging", "applauded", "remembers",
    "asserting", "suspected", "hinting", "promising", "believed",
)  # fmt: skip
CUES: tuple[str, ...] = SPEECH_CUES + ATTITUDE_CUES
#: Any other past-tense verb before "that" ("X acknowledged that ...") is a cue too, except
#: these: a purpose, a result or a demand, not someone's words or belief.
NOT_THAT_CUES: tuple[str, ...] = (
    "ensured", "required", "happened", "proved", "demanded", "mandated", "ordered", "needed",
    "guaranteed", "provided", "decreed", "stipulated", "specified", "used",
)  # fmt: skip

#: Cues that are also nouns ("reports", "claims"): not cues after "the", "his", a
#: capitalised adjective or before "of" ("Western reports of an attack").
NOUN_LIKE_CUES: tuple[str, ...] = (
    "reports", "claims", "notes", "estimates", "shows", "show", "vows", "worries", "charged",
    "warning",
)  # fmt: skip

# -- Authorial claims: what makes a sentence in the outlet's own voice a statement of fact.
#: Number words that make a figure without digits ("over two million").
MAGNITUDES: tuple[str, ...] = (
    "hundred", "hundreds", "thousand", "thousands", "million", "millions", "billion",
    "billions", "dozens", "percent",
)  # fmt: skip
#: When something happened (regexes; names of days and months are capitalised).
TIME_EXPRESSIONS: tuple[str, ...] = (
    r"\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b",
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November"
    r"|December)\b",
    r"\b(?i:yesterday|today|tonight|tomorrow)\b",
    r"\b(?i:last|next|this|earlier this|later this)\s+(?:week|weekend|month|year|morning"
    r"|afternoon|evening|night|spring|summer|autumn|winter)\b",
    r"\b(?i:\w+)\s+(?:days|weeks|months|years)\s+ago\b",
    r"\b(?i:in recent|in the past|for|over the past)\s+(?:days|weeks|months|years)\b",
)
#: Verbs of events and actions, in the forms news uses ("Putin signed", "Washington
#: failed"): a sentence whose subject is an actor followed by one of these states an event.
EVENT_VERBS: tuple[str, ...] = (
    "abstained", "adopted", "agreed", "agree", "agrees", "appointed", "approved",
    "arrested", "arrived", "attacked", "attacks",
    "banned", "began", "begins", "blocked", "bombed",
    "called on", "captured", "came", "comes", "closed", "crossed",
    "deployed", "destroyed", "discussed", "discuss", "discusses",
    "elected", "entered", "expelled",
    "failed", "fails", "fired", "fought",
    "halted", "held", "holds", "hosted",
    "imposed", "informed", "initiated", "invaded",
    "joined", "killed",
    "launched", "launches", "left", "lost",
    "made", "makes", "met", "meet", "meets", "moved",
    "occupied", "opened", "ordered",
    "phoned", "reacted", "received", "recognized", "recognised", "rejected", "released",
    "resigned", "resumed", "seized", "sent", "sends", "shelled", "signed", "signs",
    "started", "struck", "suspended", "took",
    "visited", "vetoed", "voted", "withdrew", "won",
)  # fmt: skip
#: Verbs of speaking that are not cues (what follows them is not a claim the rules can cut
#: out: "spoke of a red line", "thanked Russia for"), yet make the sentence someone's
#: statement rather than the outlet's: a sentence with one is not an authorial claim.
SPEECH_VERBS: tuple[str, ...] = (
    "spoke", "speaks", "talked", "thanked", "commented", "replied", "responded", "denied",
    "denies", "confirmed", "vowed", "promised", "threatened", "demanded", "called for",
    "criticized", "criticised", "condemned", "praised", "welcomed", "acknowledged",
    "admitted", "reiterated", "repeated", "suggested", "predicted",
)  # fmt: skip
#: Subjects that stand for actors without naming them ("the two sides", "the government").
ACTOR_NOUNS: tuple[str, ...] = (
    "the two", "both sides", "the sides", "the leaders", "the government", "the army",
    "the military", "troops", "forces", "officials", "separatists", "rebels", "police",
)  # fmt: skip
#: The auxiliary of a passive event form ("was initiated by", "were turned into").
BE_FORMS: tuple[str, ...] = (
    "is", "are", "was", "were", "be", "been", "being", "has been", "have been", "had been",
)  # fmt: skip
#: Past participles that do not end in -ed ("were sent", "was held"); -ed forms match as such.
IRREGULAR_PARTICIPLES: tuple[str, ...] = (
    "begun", "brought", "built", "caught", "done", "driven", "fought", "given", "held", "hit",
    "kept", "led", "lost", "made", "paid", "put", "sent", "set", "shot", "sold",
    "struck", "taken", "thrown", "won", "written",
)  # fmt: skip
#: Words after "is/was" that end like a participle but describe a state of mind, a guess,
#: a norm or a place, not an event ("was pleased", "is expected to", "is needed", "indeed").
STATE_PARTICIPLES: tuple[str, ...] = (
    "alleged", "based", "believed", "committed", "concerned", "considered", "convinced",
    "deemed", "determined", "disappointed", "expected", "indeed", "interested", "justified",
    "located", "needed", "obliged", "pleased", "prepared", "recommended", "regarded",
    "reported", "required", "rumored", "rumoured", "satisfied", "supposed", "surprised",
    "used", "warranted", "worried",
)  # fmt: skip
#: Words of the outlet's own judgement: a sentence with one is opinion, not fact.
EVALUATIVE: tuple[str, ...] = (
    "absurd", "appalling", "awful", "barbaric", "baseless", "brilliant", "clearly",
    "cynical", "deplorable", "disastrous", "disgraceful", "excellent", "fortunately",
    "foolish", "heroic", "horrible", "hypocritical", "obviously", "of course",
    "outrageous", "reckless", "regrettably", "ridiculous", "sadly", "shameful", "so-called",
    "stupid", "terrible", "undoubtedly", "unacceptable", "unfortunately", "wonderful",
)  # fmt: skip
#: Modal wishes and obligations (lower case only: "May" is a month).
MODALS: tuple[str, ...] = (
    "should", "must", "ought to", "might", "may", "could", "need to", "needs to",
    "hope", "hopes", "hopefully", "wish", "let us", "let's", "high time",
)  # fmt: skip

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
    r"^(?:related|tags|topics):?$",
    r"^comments?$",
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
    r"\beditorial (?:staff|team)\b.*\b(?:journalists|editors|writers)\b",
    r"^(?:also read|see also|related|tags?|topics|photo|image|source)\s*:",
    r"^(?:follow us|click here|sign up|share (?:on|this))\b",
    r"all rights reserved|^copyright\b|^©",
    r"^\d+ (?:minutes?|hours?|days?) ago$",
    r"^(?:posted|updated|published) (?:on|at|by)\b",
    r"\b(?:we use|uses) cookies\b|\bcookie (?:policy|settings)\b",
)
