"""Synthetic news for `annotate compare`, stored the way `annotate preannotate` stores it.

`annotate compare` must find, among claims of many outlets, the few pairs that
state one fact (or contradict each other about it) without judging all pairs.
Benchmarking that needs a corpus whose answers are known, at any size: `fill`
writes N claims in documents of 8-12 claims each (so 10k claims are about 1k
documents), one grounded prediction per document, and returns what it planted.

The text is generated combinatorially (a few hundred synthetic people, real
countries and cities, companies, topics, events, goods, numbers, dates and
context clauses; twelve kinds of news fact and two of opinion, each with three
or four wordings), so that most claims are about different things and the
candidate search has to tell them apart. Across documents of different outlets
dated within a few days of each other it plants:

* **paraphrase groups**: one fact worded by 2-4 outlets: another wording of the
  kind (synonyms, reordered clauses, active/passive), a person's surname alone
  ("Doresku") or full name ("Ilvan Doresku"), a capital for its country
  ("Oslo" for Norway), "about 80" for "80", the date written another way or left
  out, the context clause left out; the same speaker (a person, or the outlet's own
  voice) throughout;
* **contradiction pairs**: one fact with a different count of the same unit
  ("80 companies" / "95 companies"), a different date (same wording otherwise),
  or a different agent in the same role ("Chile requested the talks" /
  "the talks were requested by Peru").

Each prediction is what a grounded LLM annotation holds: actors with every
mention's span, claims (``text[start:end] == span.text``) with speaker, cue,
attribution and a normalised proposition (canonical names, as the prompt asks),
a few stances and a document stance; one run row covers them all. Documents go
through `store.documents.add` with ``{"outlet", "date"}`` metadata and predictions
through `store.predictions.add`, one transaction each (the store has no batch
insert), as ingest and preannotate do.

Deterministic for a seed: the same (claims, seed) gives the same texts, ids and
planted pairs.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from annotate.ingest import ID_LENGTH, content_hash
from annotate.schemas import (
    OUTLET,
    OVERALL_STANCE_SCALE,
    Annotation,
    DocumentStance,
    GroundedActor,
    GroundedClaim,
    GroundedStance,
    Span,
    schema_version,
)
from annotate.store import ClaimRef, JobKey, Prediction, RunCounts, RunSpec, Store

#: Claims per planted paraphrase group, and per planted contradiction pair.
CLAIMS_PER_GROUP = 50
CLAIMS_PER_CONTRADICTION = 100
#: Planted claims are in documents at most this many days apart.
MAX_DAYS_APART = 3
#: Share of factual claims that carry a context clause ("... amid rising fuel prices").
CONTEXT_SHARE = 0.6
#: Share of a paraphrase's wordings that leave the fact's context clause out.
CONTEXT_DROPPED = 0.25
#: First publication day of the corpus.
START = date(2025, 1, 6)
PROVIDER = "synthetic"
MODEL = "compare-corpus"
MODEL_VERSION = "compare-corpus-1"
DETAILS = ("number", "date", "actor")
#: What a document's headline says it is about, by the kind of its first claim.
HEADLINES = {
    "send": "help on the way", "attend": "a crowded event", "injured": "disaster strikes",
    "exports": "trade figures", "request": "calls for talks", "sign": "a new agreement",
    "invest": "investment plans", "meet": "leaders meet", "arrest": "arrests made",
    "cuts": "jobs to go", "launch": "an attack", "organize": "an event held",
    "threat": "warnings", "partner": "praise",
}  # fmt: skip

# -- vocabulary ---------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    """A word list written as one string (easier to read and extend than a literal)."""
    return tuple(text.split())


FIRST_NAMES = _words(
    "Ilvan Marta Oskar Lena Tomas Irina Pavel Sofia Anders Nadia Viktor Elena Rafael Amira "
    "Jonas Katya Milan Teresa Goran Ines Kofi Leila Dmitri Hana Farid Olga Mateo Yara Stefan "
    "Zora Emil Dana Boris Noor Arman Lucia Tarek Vera Hugo Selma"
)
_SURNAME_HEADS = _words(
    "Bar Dor Kel Mar Ost Val Zan Tor Lev Rad Sel Vor Nik Hal Fen Gar Bren Kas Lun Mir Pav Sor "
    "Tam Vel Yar Bel Cor Dra Esk Fal"
)
_SURNAME_TAILS = _words(
    "enko ovan escu ani berg ardt ezian ović ski mann etti oulos sen ova uk ada ier hoff ström inen"
)
PERSONS = 400
TITLES = (
    "Foreign Minister", "Energy Minister", "Trade Minister", "Defence Minister",
    "Finance Minister", "government spokesperson", "President", "Prime Minister",
    "central bank governor", "Interior Minister",
)  # fmt: skip
COUNTRIES = (
    ("Norway", "Oslo"), ("Chile", "Santiago"), ("Peru", "Lima"), ("Kenya", "Nairobi"),
    ("Ghana", "Accra"), ("Poland", "Warsaw"), ("Austria", "Vienna"), ("Egypt", "Cairo"),
    ("Turkey", "Ankara"), ("Japan", "Tokyo"), ("Vietnam", "Hanoi"), ("Mexico", "Mexico City"),
    ("Brazil", "Brasilia"), ("Argentina", "Buenos Aires"), ("Canada", "Ottawa"),
    ("Australia", "Canberra"), ("India", "New Delhi"), ("Pakistan", "Islamabad"),
    ("Indonesia", "Jakarta"), ("Thailand", "Bangkok"), ("Malaysia", "Kuala Lumpur"),
    ("Nigeria", "Abuja"), ("Ethiopia", "Addis Ababa"), ("Morocco", "Rabat"),
    ("Algeria", "Algiers"), ("Tunisia", "Tunis"), ("Jordan", "Amman"), ("Iraq", "Baghdad"),
    ("Iran", "Tehran"), ("Qatar", "Doha"), ("Oman", "Muscat"), ("Kazakhstan", "Astana"),
    ("Uzbekistan", "Tashkent"), ("Georgia", "Tbilisi"), ("Armenia", "Yerevan"),
    ("Azerbaijan", "Baku"), ("Ukraine", "Kyiv"), ("Romania", "Bucharest"),
    ("Hungary", "Budapest"), ("Serbia", "Belgrade"), ("Greece", "Athens"),
    ("Italy", "Rome"), ("Spain", "Madrid"), ("Portugal", "Lisbon"), ("France", "Paris"),
    ("Germany", "Berlin"), ("Sweden", "Stockholm"), ("Finland", "Helsinki"),
    ("Denmark", "Copenhagen"), ("Ireland", "Dublin"), ("Colombia", "Bogota"),
    ("Bolivia", "La Paz"), ("Uruguay", "Montevideo"), ("Senegal", "Dakar"),
    ("Tanzania", "Dodoma"), ("Zambia", "Lusaka"), ("Angola", "Luanda"),
    ("Mongolia", "Ulaanbaatar"), ("Nepal", "Kathmandu"), ("Sri Lanka", "Colombo"),
)  # fmt: skip
CITIES = _words(
    "Porto Lyon Gdansk Mombasa Durban Cebu Izmir Basra Odesa Valencia Hamburg Rotterdam "
    "Antwerp Marseille Naples Genoa Trieste Split Varna Constanta Batumi Aktau Karachi "
    "Chittagong Chennai Mumbai Kolkata Surabaya Davao Haiphong Busan Osaka Nagoya Sapporo "
    "Darwin Perth Adelaide Auckland Valparaiso Callao Guayaquil Cartagena Recife Salvador "
    "Fortaleza Manaus Rosario Cordoba Tijuana Monterrey Guadalajara Veracruz Halifax "
    "Vancouver Calgary Winnipeg Anchorage Tromso Bergen Gothenburg Malmo Aarhus Turku "
    "Tampere Riga Tallinn Vilnius Krakow Wroclaw Brno Graz Linz Salzburg Innsbruck Zurich "
    "Geneva Basel Milan Turin Bologna Seville Bilbao Malaga Tangier Sfax Benghazi Alexandria "
    "Aswan Jeddah Dammam Mosul Erbil Tabriz Shiraz Samarkand Bukhara Almaty Osh Kandy Pokhara"
)
ORGANIZATIONS = (
    ("United Nations", True), ("World Bank", True), ("European Union", True),
    ("African Union", True), ("Red Cross", True), ("World Health Organization", True),
    ("International Monetary Fund", True), ("NATO", False), ("OPEC", False),
    ("ASEAN", False), ("Arab League", True), ("World Food Programme", True),
)  # fmt: skip
_CAPITALS = dict(COUNTRIES)
_COMPANY_HEADS = _words(
    "Norvex Caldera Brightwater Velmont Ostrik Tarvo Kestrel Alvion Quorra Selvane Dunmore "
    "Harlan Marisco Penrow Zephra Corvane Lumera Stratos Veridia Aldane"
)
_COMPANY_SECTORS = _words(
    "Energy Mining Shipping Steel Telecom Motors Foods Pharma Cement Airlines"
)
OUTLETS = (
    "The Daily Meridian", "Harbour Times", "Northern Ledger", "Capital Observer", "Global Wire",
    "The Evening Standard Post", "Coastal Herald", "Continental Review", "The Morning Record",
    "Metro Dispatch", "The Plains Gazette", "Riverside Tribune", "The Atlas Report",
    "Summit News", "The Lantern", "Crossroads Daily", "The Independent Courier",
    "World Affairs Today", "Market Street Journal", "The Frontier Post", "Bay Chronicle",
    "The Civic Voice", "Central Bulletin", "The Weekly Compass", "Highland Mercury",
    "The Open Record", "Delta Star", "The Public Ledger", "Eastern Sentinel", "Western Echo",
)  # fmt: skip
ISSUES = (
    "grain exports", "gas transit", "fishing rights", "water sharing", "border security",
    "debt relief", "visa rules", "airline routes", "prisoner exchanges", "nuclear safety",
    "port access", "rail links", "power supplies", "refugee returns", "mining licences",
    "customs checks", "cyber security", "arms control", "food aid", "climate finance",
    "oil prices", "migrant flows", "shipping lanes", "telecom networks",
)  # fmt: skip
REGIONS = (
    "Baltic", "Black Sea", "Sahel", "Caspian", "Andes", "Balkans", "Mekong", "Horn of Africa",
    "Gulf", "Arctic", "Caucasus", "Danube basin", "Great Lakes", "Red Sea", "South Pacific",
)  # fmt: skip
EVENTS = (
    "trade fair", "energy forum", "investment conference", "mining expo", "farm show",
    "technology summit", "tourism fair", "defence exhibition", "shipping conference",
    "health summit", "food festival", "book fair", "water forum", "space conference",
)  # fmt: skip
GOODS = (
    "wheat", "steel", "copper", "natural gas", "fertiliser", "coffee", "rice", "timber",
    "cotton", "solar panels", "cars", "crude oil", "aluminium", "fish", "wine", "cocoa",
    "soybeans", "lithium", "nickel", "textiles", "machinery", "medicines", "sugar", "coal",
)  # fmt: skip
PROJECTS = (
    "a new port", "a copper mine", "a rail line", "a steel plant", "solar farms",
    "a gas pipeline", "a wind farm", "an oil refinery", "a chip factory", "a desalination plant",
    "a container terminal", "a fertiliser plant", "a new airport", "a coastal highway",
    "a hydropower dam", "a data centre", "a battery factory", "a cement works", "a shipyard",
)  # fmt: skip
DISASTERS = (
    "floods", "a storm", "an earthquake", "a landslide", "wildfires", "a cyclone", "a mudslide",
    "a tornado", "a hailstorm", "a blizzard",
)  # fmt: skip
ATTACKS = ("drone attack", "missile attack", "rocket attack", "cyber attack", "naval raid")
FILLERS = (
    "The ministry did not give further details.", "No timetable was announced.",
    "Officials declined to comment further.", "The statement was posted on a government website.",
    "Analysts said the move had been expected.", "Markets showed little reaction.",
    "The figures could not be independently verified.", "Reporters were not allowed to attend.",
)  # fmt: skip
UNITS = {
    "send": ("troops", "doctors", "engineers", "ambulances", "generators", "rescue workers",
             "trucks of food aid", "water pumps", "nurses", "tents", "paramedics",
             "firefighters", "military advisers", "mobile clinics", "water tankers",
             "field kitchens", "electricians", "border guards", "pilots"),
    "attend": ("companies", "delegations", "exhibitors", "investors", "ministers", "firms",
               "startups", "banks", "universities", "trade unions", "exporters", "carmakers",
               "airlines", "mayors"),
    "injured": ("people", "residents", "villagers", "tourists", "miners", "passengers",
                "children", "farmers", "workers", "pilgrims"),
    "arrest": ("protesters", "suspects", "smugglers", "journalists", "students", "activists",
               "rioters", "fans", "migrants", "officials", "traders", "bloggers"),
    "cuts": ("jobs", "workers", "staff", "drivers", "contractors", "managers", "positions",
             "engineers", "seafarers"),
}  # fmt: skip
#: Context clauses a fact may carry ("... amid rising fuel prices"), drawn combinatorially
#: so that two facts of one kind seldom share their words beyond the kind's own.
CONTEXTS = (
    "to help rebuild {facility} damaged in {disaster_past}",
    "amid {situation} in the {region}",
    "as part of {programme} programme agreed with {partner}",
    "after {trigger}",
    "despite objections from {critics}",
    "under pressure from {critics} over {issue}",
)
FACILITIES = _words(
    "schools hospitals bridges roads clinics ports railways dams airports markets housing "
    "pipelines substations warehouses"
)
SITUATIONS = (
    "rising fuel prices", "growing unrest", "a severe drought", "renewed fighting",
    "a cholera outbreak", "record inflation", "a banking crisis", "falling harvests",
    "a long heatwave", "mass power cuts", "a shortage of medicines", "a currency slump",
    "rising tensions", "a wave of strikes", "a sharp rise in food prices",
)  # fmt: skip
PROGRAMMES = (
    "reconstruction", "relief", "modernisation", "security", "training", "recovery",
    "development", "emergency", "resettlement", "vaccination", "anti-corruption", "reform",
)  # fmt: skip
TRIGGERS = (
    "weeks of stalled talks", "a deadly border clash", "a collapse in exports",
    "an appeal from local authorities", "a surprise election result", "a court ruling",
    "months of negotiations", "a series of power outages", "a cyber attack on its banks",
    "a sharp fall in tourism", "the resignation of its finance minister", "a major oil spill",
)  # fmt: skip
CRITICS = (
    "opposition parties", "trade unions", "environmental groups", "farmers' associations",
    "human rights groups", "local residents", "business leaders", "neighbouring states",
    "religious leaders", "student groups",
)  # fmt: skip
_NUMBER_WORDS = {
    12: "twelve", 15: "fifteen", 20: "twenty", 30: "thirty", 40: "forty", 50: "fifty",
    60: "sixty", 70: "seventy", 80: "eighty", 90: "ninety",
}  # fmt: skip

# -- actors -------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """A person, country or organization the corpus names."""

    name: str
    type: str
    #: a person's surname (what later mentions and some outlets use alone)
    short: str | None = None
    #: a country's capital (some outlets write "Oslo" for Norway)
    capital: str | None = None
    #: written "the United Nations"
    article: bool = False
    #: a person's title, for the first mention ("Foreign Minister Ilvan Doresku")
    title: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class Pools:
    persons: tuple[Actor, ...]
    countries: tuple[Actor, ...]
    organizations: tuple[Actor, ...]
    companies: tuple[Actor, ...]


def pools(seed: int = 7) -> Pools:
    """The corpus's actors: synthetic people (distinct surnames, no two names alike enough
    for the registry's spelling rule to join them), real countries, bodies and companies."""
    from rapidfuzz import fuzz, process

    rng = random.Random(f"pools/{seed}")
    surnames = [head + tail for head in _SURNAME_HEADS for tail in _SURNAME_TAILS]
    rng.shuffle(surnames)
    countries = tuple(Actor(name, "country", capital=capital) for name, capital in COUNTRIES)
    persons: list[Actor] = []
    names: list[str] = []
    for surname in surnames:
        name = f"{rng.choice(FIRST_NAMES)} {surname}"
        if names and process.extractOne(name.lower(), names, scorer=fuzz.ratio,
                                         score_cutoff=85):  # fmt: skip
            continue
        names.append(name.lower())
        persons.append(Actor(name, "person", short=surname, title=rng.choice(TITLES),
                             country=rng.choice(countries).name))  # fmt: skip
        if len(persons) == PERSONS:
            break
    companies = tuple(
        Actor(f"{head} {sector}", "organization")
        for head in _COMPANY_HEADS
        for sector in _COMPANY_SECTORS
    )
    organizations = tuple(Actor(n, "organization", article=a) for n, a in ORGANIZATIONS)
    return Pools(tuple(persons), countries, organizations, companies)


# -- kinds of fact ------------------------------------------------------------

Slots = dict[str, Any]


@dataclass(frozen=True)
class Kind:
    """A kind of news fact: how to draw one and the wordings that state it.

    Placeholders: A, B actors; N a count ("80 companies"); M money (billions of dollars);
    Q a percentage; D a day ("on March 3"); MON a month; P a place; T a topic; E an event;
    G goods; O a project; X a disaster; K an attack. Every wording of a kind states the
    same fact, and in a `role` kind every wording names A as the one who did it.
    """

    name: str
    templates: tuple[str, ...]
    draw: Callable[[random.Random, Pools, date], Slots]
    past: bool = True
    check_worthy: bool = True
    role: bool = False
    #: a stance the speaker takes toward A ("against", "favor"), for opinion kinds
    stance: str | None = None
    #: background weight
    weight: float = 1.0

    @property
    def counted(self) -> str | None:
        """The slot that holds the kind's count (N, M or Q), if it has one."""
        for slot in ("N", "M", "Q"):
            if "{" + slot + "}" in self.templates[0]:
                return slot
        return None

    @property
    def dated(self) -> bool:
        return all("{D}" in t for t in self.templates)


def _day(rng: random.Random, around: date, past: bool) -> date:
    return (
        around - timedelta(days=rng.randint(0, 5))
        if past
        else around + timedelta(days=rng.randint(1, 12))
    )


def _count(rng: random.Random, units: Sequence[str]) -> tuple[int, str]:
    magnitude = rng.choice((1, 1, 10, 10, 100))
    number = rng.randint(2, 99) * magnitude
    if 1900 <= number <= 2100:  # a year to the date reader
        number += 400
    return number, rng.choice(units)


def _topic(rng: random.Random) -> str:
    issue = rng.choice(ISSUES)
    return f"{issue} in the {rng.choice(REGIONS)}" if rng.random() < 0.6 else issue


def _with_article(noun: str) -> str:
    return ("an " if noun[0] in "aeiou" else "a ") + noun


def _context(rng: random.Random) -> str:
    """A context clause, its placeholders filled (see `CONTEXTS`)."""
    return rng.choice(CONTEXTS).format(
        facility=rng.choice(FACILITIES), disaster_past=rng.choice(("floods", "the earthquake",
        "the storm", "the fighting", "the fires")), situation=rng.choice(SITUATIONS),
        region=rng.choice(REGIONS), programme=_with_article(rng.choice(PROGRAMMES)),
        partner=rng.choice(("the World Bank", "the United Nations", "its neighbours",
                            "the European Union", "donor countries")),
        trigger=rng.choice(TRIGGERS), critics=rng.choice(CRITICS), issue=rng.choice(ISSUES),
    )  # fmt: skip


def _one_of(rng: random.Random, *groups: Sequence[Actor]) -> Actor:
    return rng.choice(rng.choice(groups))


def _two(rng: random.Random, group: Sequence[Actor]) -> tuple[Actor, Actor]:
    a, b = rng.sample(list(group), 2)
    return a, b


def _send(rng: random.Random, p: Pools, day: date) -> Slots:
    return {"A": _one_of(rng, p.countries, p.countries, p.organizations),
            "N": _count(rng, UNITS["send"]), "P": rng.choice(CITIES),
            "D": _day(rng, day, past=False)}  # fmt: skip


def _attend(rng: random.Random, p: Pools, day: date) -> Slots:
    return {"A": rng.choice(p.countries), "N": _count(rng, UNITS["attend"]),
            "E": rng.choice(EVENTS), "P": rng.choice(CITIES),
            "D": _day(rng, day, past=False)}  # fmt: skip


def _injured(rng: random.Random, p: Pools, day: date) -> Slots:
    return {"N": _count(rng, UNITS["injured"]), "X": rng.choice(DISASTERS),
            "P": rng.choice(CITIES), "D": _day(rng, day, past=True)}  # fmt: skip


def _exports(rng: random.Random, p: Pools, day: date) -> Slots:
    month = (day.replace(day=1) - timedelta(days=1)).replace(day=1)
    percent = rng.choice((rng.randint(2, 60), rng.randint(11, 95) / 10))
    return {"A": rng.choice(p.countries), "G": rng.choice(GOODS), "Q": percent,
            "MON": month}  # fmt: skip


def _request(rng: random.Random, p: Pools, day: date) -> Slots:
    a, b = _two(rng, p.countries)
    if rng.random() < 0.3:
        a = rng.choice(p.persons)
    return {"A": a, "B": b, "T": _topic(rng), "P": rng.choice(CITIES)}


def _sign(rng: random.Random, p: Pools, day: date) -> Slots:
    a, b = _two(rng, p.countries)
    return {"A": a, "B": b, "T": _topic(rng), "D": _day(rng, day, past=True)}


def _invest(rng: random.Random, p: Pools, day: date) -> Slots:
    billions = rng.choice((rng.randint(2, 40), rng.randint(11, 99) / 10))
    return {"A": _one_of(rng, p.companies, p.countries), "M": billions,
            "O": rng.choice(PROJECTS), "P": rng.choice(CITIES)}  # fmt: skip


def _meet(rng: random.Random, p: Pools, day: date) -> Slots:
    a, b = _two(rng, p.persons)
    return {"A": a, "B": b, "T": _topic(rng), "P": rng.choice(CITIES),
            "D": _day(rng, day, past=True)}  # fmt: skip


def _arrest(rng: random.Random, p: Pools, day: date) -> Slots:
    return {"N": _count(rng, UNITS["arrest"]), "P": rng.choice(CITIES),
            "D": _day(rng, day, past=True)}  # fmt: skip


def _cuts(rng: random.Random, p: Pools, day: date) -> Slots:
    return {"A": rng.choice(p.companies), "N": _count(rng, UNITS["cuts"]),
            "P": rng.choice(CITIES)}  # fmt: skip


def _launch(rng: random.Random, p: Pools, day: date) -> Slots:
    return {"A": rng.choice(p.countries), "K": rng.choice(ATTACKS), "P": rng.choice(CITIES),
            "D": _day(rng, day, past=True)}  # fmt: skip


def _organize(rng: random.Random, p: Pools, day: date) -> Slots:
    return {"A": _one_of(rng, p.countries, p.organizations, p.companies),
            "E": rng.choice(EVENTS), "P": rng.choice(CITIES),
            "D": _day(rng, day, past=True)}  # fmt: skip


def _threat(rng: random.Random, p: Pools, day: date) -> Slots:
    return {"A": _one_of(rng, p.countries, p.organizations, p.persons),
            "R": rng.choice(REGIONS)}  # fmt: skip


def _partner(rng: random.Random, p: Pools, day: date) -> Slots:
    return {"A": _one_of(rng, p.countries, p.organizations, p.companies),
            "T": _topic(rng)}  # fmt: skip


KINDS: tuple[Kind, ...] = (
    Kind("send", (
        "{A} will send {N} to {P} {D}",
        "{A} is to dispatch {N} to {P} {D}",
        "{N} will be sent to {P} by {A} {D}",
        "{D}, {A} will deliver {N} to {P}",
    ), _send, past=False),
    Kind("attend", (
        "{N} will attend the {E} hosted by {A} in {P} {D}",
        "the {E} that {A} is hosting in {P} {D} will draw {N}",
        "{A} expects {N} at the {E} it hosts in {P} {D}",
        "{D}, {N} will take part in the {E} hosted by {A} in {P}",
    ), _attend, past=False),
    Kind("injured", (
        "{N} were injured when {X} hit {P} {D}",
        "{X} hit {P} {D}, injuring {N}",
        "{D}, {X} struck {P} and injured {N}",
    ), _injured),
    Kind("exports", (
        "{A}'s exports of {G} rose by {Q} in {MON}",
        "exports of {G} from {A} grew {Q} in {MON}",
        "in {MON}, {A} increased its exports of {G} by {Q}",
    ), _exports),
    Kind("request", (
        "{A} requested talks with {B} on {T} in {P}",
        "the talks with {B} on {T} in {P} were requested by {A}",
        "{A} asked for talks with {B} on {T} in {P}",
        "{A} sought negotiations with {B} on {T} in {P}",
    ), _request, role=True),
    Kind("sign", (
        "{A} and {B} signed an agreement on {T} {D}",
        "an agreement on {T} was signed by {A} and {B} {D}",
        "{A} signed a deal with {B} on {T} {D}",
        "{D}, {A} and {B} concluded a pact on {T}",
    ), _sign),
    Kind("invest", (
        "{A} will invest {M} in {O} in {P}",
        "{A} plans to put {M} into {O} in {P}",
        "{M} will be invested by {A} in {O} in {P}",
        "{O} in {P} will receive {M} from {A}",
    ), _invest, past=False),
    Kind("meet", (
        "{A} met {B} in {P} {D} to discuss {T}",
        "{A} and {B} held a meeting in {P} {D} on {T}",
        "{D}, {A} and {B} met in {P} to discuss {T}",
        "{A} discussed {T} with {B} at a meeting in {P} {D}",
    ), _meet),
    Kind("arrest", (
        "police in {P} arrested {N} {D}",
        "{N} were arrested by police in {P} {D}",
        "{D}, police detained {N} in {P}",
    ), _arrest),
    Kind("cuts", (
        "{A} will cut {N} at its plant in {P}",
        "{N} will be cut at the {A} plant in {P}",
        "{A} plans to shed {N} in {P}",
    ), _cuts, past=False),
    Kind("launch", (
        "{A} launched a {K} on {P} {D}",
        "the {K} on {P} {D} was launched by {A}",
        "{A} began a {K} on {P} {D}",
    ), _launch, role=True),
    Kind("organize", (
        "{A} organized the {E} in {P} {D}",
        "the {E} in {P} {D} was organised by {A}",
        "{A} hosted the {E} held in {P} {D}",
    ), _organize, role=True),
    Kind("threat", (
        "{A} poses a serious threat to stability in the {R}",
        "{A} is undermining stability in the {R}",
        "{A} threatens the stability of the {R}",
    ), _threat, check_worthy=False, stance="against", weight=0.7),
    Kind("partner", (
        "{A} has been a reliable partner on {T}",
        "{A} deserves support for its work on {T}",
        "{A} is a trusted partner on {T}",
    ), _partner, check_worthy=False, stance="favor", weight=0.7),
)  # fmt: skip
FACTUAL = tuple(k for k in KINDS if k.check_worthy)
_BY_DETAIL = {
    "number": tuple(k for k in FACTUAL if k.counted),
    "date": tuple(k for k in FACTUAL if k.dated),
    "actor": tuple(k for k in FACTUAL if k.role),
}

# -- what is planted ----------------------------------------------------------


@dataclass(frozen=True)
class PlantedPair:
    """Two claims of different documents that state one fact, or contradict each other.

    ``detail`` is the contradiction's ("number", "date", "actor"); ``variation`` what
    differs between the two wordings of a paraphrase ("wording", "name", "capital",
    "number", "date", "context", "frame"; empty when they are word for word the same),
    so that a judge's misses can be told apart by what made them.
    """

    a: ClaimRef
    b: ClaimRef
    kind: str
    family: str
    detail: str | None = None
    variation: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[ClaimRef, ClaimRef]:
        """The pair in a fixed order, whatever order a comparison lists it in."""
        return pair_key(self.a, self.b)


def pair_key(a: ClaimRef, b: ClaimRef) -> tuple[ClaimRef, ClaimRef]:
    first, second = sorted(((a.doc_id, a.start, a.end), (b.doc_id, b.start, b.end)))
    return ClaimRef(*first), ClaimRef(*second)


@dataclass
class Planted:
    """What `fill` wrote and planted; a benchmark scores a comparison against it."""

    seed: int
    documents: int
    claims: int
    #: the members of each paraphrase group (2-4 claims of different documents)
    groups: list[list[ClaimRef]] = field(default_factory=list)
    pairs: list[PlantedPair] = field(default_factory=list)

    @property
    def paraphrases(self) -> list[PlantedPair]:
        return [p for p in self.pairs if p.kind == "paraphrase"]

    @property
    def contradictions(self) -> list[PlantedPair]:
        return [p for p in self.pairs if p.kind == "contradiction"]

    def to_json(self) -> str:
        def ref(r: ClaimRef) -> list[Any]:
            return [r.doc_id, r.start, r.end]

        return json.dumps({
            "seed": self.seed, "documents": self.documents, "claims": self.claims,
            "groups": [[ref(r) for r in group] for group in self.groups],
            "pairs": [{"a": ref(p.a), "b": ref(p.b), "kind": p.kind, "family": p.family,
                       "detail": p.detail, "variation": list(p.variation)} for p in self.pairs],
        })  # fmt: skip

    @classmethod
    def from_json(cls, text: str) -> Planted:
        data = json.loads(text)
        return cls(
            data["seed"], data["documents"], data["claims"],
            [[ClaimRef(*r) for r in group] for group in data["groups"]],
            [PlantedPair(ClaimRef(*p["a"]), ClaimRef(*p["b"]), p["kind"], p["family"],
                         p["detail"], tuple(p["variation"])) for p in data["pairs"]],
        )  # fmt: skip


# -- plans: which claim goes in which document ---------------------------------


@dataclass
class _Fact:
    kind: Kind
    slots: Slots
    #: None: the outlet's own voice
    speaker: Actor | None


@dataclass
class _ClaimPlan:
    fact: _Fact
    template: int
    number_form: str = "plain"
    date_form: str = "md"
    money_form: int = 0
    percent_form: int = 0
    #: whether the claim states the fact's context clause, when it has one
    context: bool = True
    #: (kind, index of the group or pair, member) for a planted claim
    planted: tuple[str, int, int] | None = None
    # filled in when the document is written
    ref: ClaimRef | None = None
    surfaces: tuple[str, ...] = ()
    frame: int = 0


@dataclass
class _DocPlan:
    index: int
    outlet: str
    published: date
    size: int
    claims: list[_ClaimPlan] = field(default_factory=list)


def _forms(rng: random.Random, plan: _ClaimPlan, dated: bool = False) -> None:
    """Random but harmless ways of writing the same values (a paraphrase's liberties)."""
    plan.number_form = rng.choices(("plain", "approx", "word"), (0.7, 0.2, 0.1))[0]
    plan.date_form = rng.choices(("md", "dm", "ord", "none"),
                                 (0.5, 0.2, 0.15, 0.0 if dated else 0.15))[0]  # fmt: skip
    plan.money_form = rng.randrange(3)
    plan.percent_form = rng.randrange(3)
    plan.context = rng.random() >= CONTEXT_DROPPED


class _Planner:
    """Which claims go in which document: documents first, then planted claims, then the rest.

    Planted claims are placed before the background so that documents of different
    outlets a few days apart still have room for them.
    """

    def __init__(self, claims: int, seed: int, pools_: Pools) -> None:
        self.rng = random.Random(seed)
        self.pools = pools_
        sizes: list[int] = []
        total = 0
        while total < claims:
            sizes.append(self.rng.randint(8, 12))
            total += sizes[-1]
        sizes[-1] -= total - claims
        span = max(7, min(365, len(sizes) // 3))
        self.docs = [
            _DocPlan(i, self.rng.choice(OUTLETS), START + timedelta(days=self.rng.randrange(span)),
                     size)
            for i, size in enumerate(sizes)
        ]  # fmt: skip
        self.by_day: dict[date, list[int]] = {}
        for doc in self.docs:
            self.by_day.setdefault(doc.published, []).append(doc.index)
        self.free = [doc.size for doc in self.docs]

    def documents_for(self, count: int) -> list[_DocPlan]:
        """Up to `count` documents with room, of different outlets, within a few days."""
        for _ in range(20):
            anchor = self.docs[self.rng.randrange(len(self.docs))]
            if self.free[anchor.index]:
                break
        else:
            return []
        near = [
            i
            for offset in range(-MAX_DAYS_APART, MAX_DAYS_APART + 1)
            for i in self.by_day.get(anchor.published + timedelta(days=offset), [])
            if self.free[i] and i != anchor.index
        ]
        self.rng.shuffle(near)
        chosen, outlets = [anchor], {anchor.outlet}
        for i in near:
            if len(chosen) == count:
                break
            if self.docs[i].outlet not in outlets:
                chosen.append(self.docs[i])
                outlets.add(self.docs[i].outlet)
        for doc in chosen:
            self.free[doc.index] -= 1
        return chosen

    def fact(self, kind: Kind, docs: Sequence[_DocPlan]) -> _Fact:
        days = sorted(d.published for d in docs)
        around = days[0] if kind.past else days[-1]
        slots = kind.draw(self.rng, self.pools, around)
        if kind.check_worthy and self.rng.random() < CONTEXT_SHARE:
            slots["C"] = _context(self.rng)
        speaker = None if self.rng.random() < 0.25 else self.rng.choice(self.pools.persons)
        return _Fact(kind, slots, speaker)

    def plant_group(self, number: int) -> None:
        docs = self.documents_for(self.rng.choice((2, 3, 4)))
        if len(docs) < 2:
            return
        fact = self.fact(self.rng.choice(FACTUAL), docs)
        for member, doc in enumerate(docs):
            plan = _ClaimPlan(fact, self.rng.randrange(len(fact.kind.templates)),
                              planted=("paraphrase", number, member))  # fmt: skip
            _forms(self.rng, plan)
            doc.claims.append(plan)

    def plant_contradiction(self, number: int, detail: str) -> None:
        docs = self.documents_for(2)
        if len(docs) < 2:
            return
        kind = self.rng.choice(_BY_DETAIL[detail])
        fact = self.fact(kind, docs)
        first = _ClaimPlan(fact, self.rng.randrange(len(kind.templates)),
                           planted=("contradiction", number, 0))  # fmt: skip
        _forms(self.rng, first, dated=detail == "date")
        first.number_form = "plain"
        other = _Fact(kind, dict(fact.slots), fact.speaker)
        second = _ClaimPlan(other, first.template, planted=("contradiction", number, 1))
        _forms(self.rng, second, dated=detail == "date")
        second.number_form = "plain"
        if detail == "number":
            slot = kind.counted or "N"
            other.slots[slot] = _other_count(self.rng, fact.slots[slot])
            if self.rng.random() < 0.5:
                second.template = self.rng.randrange(len(kind.templates))
        elif detail == "date":
            step = timedelta(days=self.rng.randint(1, 5))
            other.slots["D"] = fact.slots["D"] + (-step if kind.past else step)
            second.date_form, second.context = first.date_form, first.context
        else:
            group = {"person": self.pools.persons, "country": self.pools.countries}.get(
                fact.slots["A"].type, self.pools.organizations + self.pools.companies
            )
            other.slots["A"] = self.rng.choice([a for a in group if a != fact.slots["A"]])
            second.template = self.rng.randrange(len(kind.templates))
        docs[0].claims.append(first)
        docs[1].claims.append(second)

    def background(self) -> None:
        weights = [k.weight for k in KINDS]
        for doc in self.docs:
            sources = self.rng.sample(self.pools.persons, 3)
            while len(doc.claims) < doc.size:
                kind = self.rng.choices(KINDS, weights)[0]
                slots = kind.draw(self.rng, self.pools, doc.published)
                if kind.check_worthy and self.rng.random() < CONTEXT_SHARE:
                    slots["C"] = _context(self.rng)
                speaker = None if self.rng.random() < 0.3 else self.rng.choice(sources)
                plan = _ClaimPlan(_Fact(kind, slots, speaker),
                                  self.rng.randrange(len(kind.templates)))  # fmt: skip
                _forms(self.rng, plan)
                doc.claims.append(plan)
            self.rng.shuffle(doc.claims)


def _other_count(rng: random.Random, value: Any) -> Any:
    """A count no rounding reconciles with `value` (at least a fifth apart)."""
    if isinstance(value, tuple):
        number, unit = value
        factor = rng.choice((1.25, 1.4, 1.5, 1.75, 2.0, 2.5))
        other = int(round(number * factor)) if rng.random() < 0.6 else int(number / factor)
        if other < 2:
            other = int(round(number * factor))
        if 1900 <= other <= 2100:
            other += 400
        return other, unit
    factor = rng.choice((1.3, 1.5, 2.0))
    other = value * factor if rng.random() < 0.5 else value / factor
    return round(other, 1) if other < 10 else int(round(other))


# -- writing a document --------------------------------------------------------

_Segment = str | Actor


class _Writer:
    """Builds one document's text and its grounded annotation side by side."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.parts: list[str] = []
        self.at = 0
        #: actor name -> (canonical name in this document, how it is written here)
        self.modes: dict[str, tuple[str, str]] = {}
        self.seen: set[str] = set()
        self.mentions: dict[str, list[tuple[int, int, str]]] = {}
        self.types: dict[str, str] = {}

    def write(self, text: str) -> tuple[int, int]:
        start = self.at
        self.parts.append(text)
        self.at += len(text)
        return start, self.at

    def canonical(self, actor: Actor) -> str:
        return self._mode(actor)[0]

    def _mode(self, actor: Actor) -> tuple[str, str]:
        found = self.modes.get(actor.name)
        if found is None:
            if actor.short and self.rng.random() < 0.2:
                found = (actor.short, "short")  # "Putin" throughout, as some outlets do
            elif actor.capital and self.rng.random() < 0.1:
                found = (actor.name, "capital")  # "Moscow" for Russia
            else:
                found = (actor.name, "full")
            self.modes[actor.name] = found
        return found

    def surface(self, actor: Actor) -> str:
        canonical, mode = self._mode(actor)
        if mode == "capital" and actor.capital:
            return actor.capital
        if actor.short and (mode == "short" or actor.name in self.seen):
            return actor.short
        return actor.name

    def actor(self, actor: Actor, capital: bool = False) -> str:
        """Write one mention of `actor` (its article outside the span); return the surface."""
        if actor.article:
            self.write("The " if capital else "the ")
        surface = self.surface(actor)
        start, end = self.write(surface)
        self.seen.add(actor.name)
        canonical = self.canonical(actor)
        self.mentions.setdefault(canonical, []).append((start, end, surface))
        self.types.setdefault(canonical, actor.type)
        return surface

    def text(self) -> str:
        return "".join(self.parts)


def _count_text(value: tuple[int, str], form: str) -> str:
    number, unit = value
    if form == "word" and number in _NUMBER_WORDS:
        return f"{_NUMBER_WORDS[number]} {unit}"
    figure = f"{number:,}"
    if form == "approx":
        return f"about {figure} {unit}"
    return f"{figure} {unit}"


def _money_text(billions: float, form: int) -> str:
    figure = f"{billions:g}"
    return (f"${figure} billion", f"${figure}bn", f"{figure} billion dollars")[form]


def _percent_text(value: float, form: int) -> str:
    figure = f"{value:g}"
    return (f"{figure}%", f"{figure} percent", f"{figure} per cent")[form]


def _date_text(day: date, form: str) -> str:
    month = day.strftime("%B")
    if form == "dm":
        return f"on {day.day} {month}"
    if form == "ord":
        suffix = (
            "th"
            if 10 <= day.day % 100 <= 20
            else {1: "st", 2: "nd", 3: "rd"}.get(day.day % 10, "th")
        )
        return f"on {month} {day.day}{suffix}"
    return f"on {month} {day.day}"


def _segments(plan: _ClaimPlan) -> list[_Segment]:
    """The claim as text and actors, the template's placeholders filled."""
    fact = plan.fact
    template = fact.kind.templates[plan.template]
    if plan.date_form == "none":
        template = template.replace("{D}, ", "").replace(" {D}", "")
    out: list[_Segment] = []
    for piece in _split(template):
        if not (piece.startswith("{") and piece.endswith("}")):
            out.append(piece)
            continue
        name = piece[1:-1]
        value = fact.slots[name]
        if isinstance(value, Actor):
            out.append(value)
        elif name == "N":
            out.append(_count_text(value, plan.number_form))
        elif name == "M":
            out.append(_money_text(value, plan.money_form))
        elif name == "Q":
            out.append(_percent_text(value, plan.percent_form))
        elif name == "D":
            out.append(_date_text(value, plan.date_form))
        elif name == "MON":
            out.append(value.strftime("%B"))
        else:
            out.append(str(value))
    if plan.context and "C" in fact.slots:
        out.append(" " + fact.slots["C"])
    return out


def _split(template: str) -> list[str]:
    pieces: list[str] = []
    rest = template
    while "{" in rest:
        before, _, after = rest.partition("{")
        name, _, rest = after.partition("}")
        if before:
            pieces.append(before)
        pieces.append("{" + name + "}")
    if rest:
        pieces.append(rest)
    return pieces


@dataclass
class _Written:
    start: int
    end: int
    proposition: str
    cue: tuple[int, int, str] | None
    attribution: str


def _claim(writer: _Writer, plan: _ClaimPlan, capital: bool) -> _Written:
    """Write the claim's words; its span, proposition (canonical names) and surfaces."""
    start = writer.at
    proposition: list[str] = []
    surfaces: list[str] = []
    for number, segment in enumerate(_segments(plan)):
        first = number == 0 and capital
        if isinstance(segment, Actor):
            surfaces.append(writer.actor(segment, capital=first))
            canonical = writer.canonical(segment)
            proposition.append(("The " if first else "the ") + canonical if segment.article
                               else canonical)  # fmt: skip
        else:
            text = segment[0].upper() + segment[1:] if first else segment
            writer.write(text)
            proposition.append(text)
    plan.surfaces = tuple(surfaces)
    said = "".join(proposition)
    return _Written(start, writer.at, said[0].upper() + said[1:] + ".", None, "authorial")


def _speaker(writer: _Writer, person: Actor, capital: bool) -> None:
    """The speaker as an article names them: title and full name first, surname later."""
    if person.name not in writer.seen and person.title:
        if person.country and writer.rng.random() < 0.4:
            country = Actor(person.country, "country", capital=_CAPITALS.get(person.country))
            writer.actor(country)
            writer.write(f"'s {person.title.lower()} ")
        else:
            title = person.title
            writer.write((title[0].upper() + title[1:] if capital else title) + " ")
    writer.actor(person)


def _speaker_first(writer: _Writer, plan: _ClaimPlan, speaker: Actor, verb: str,
                   gap: str) -> tuple[_Written, tuple[int, int, str]]:  # fmt: skip
    """``Doresku <verb><gap><claim>.``: the claim written, and the verb as its cue."""
    _speaker(writer, speaker, capital=True)
    writer.write(" ")
    cue = (*writer.write(verb), verb)
    writer.write(gap)
    written = _claim(writer, plan, capital=False)
    writer.write(".")
    return written, cue


def _speaker_said(writer: _Writer, speaker: Actor) -> tuple[int, int, str]:
    """``… Doresku said.`` after the claim: the cue."""
    _speaker(writer, speaker, capital=False)
    writer.write(" ")
    cue = (*writer.write("said"), "said")
    writer.write(".")
    return cue


def _sentence(writer: _Writer, plan: _ClaimPlan) -> _Written:
    """One sentence reporting the claim: attributed (direct or indirect) or authorial."""
    speaker = plan.fact.speaker
    if speaker is None:
        plan.frame = 5
        written = _claim(writer, plan, capital=True)
        writer.write(".")
        return written
    frame = plan.frame = writer.rng.choices(range(5), (4, 2, 1, 1, 2))[0]
    cue: tuple[int, int, str]
    if frame == 0:  # Doresku said Norway will send ...
        written, cue = _speaker_first(writer, plan, speaker, "said", " ")
    elif frame == 1:  # Norway will send ..., Doresku said.
        written = _claim(writer, plan, capital=True)
        writer.write(", ")
        cue = _speaker_said(writer, speaker)
    elif frame == 2:  # According to Doresku, ...
        cue = (*writer.write("According to"), "According to")
        writer.write(" ")
        _speaker(writer, speaker, capital=False)
        writer.write(", ")
        written = _claim(writer, plan, capital=False)
        writer.write(".")
    elif frame == 3:  # Doresku told reporters ...
        written, cue = _speaker_first(writer, plan, speaker, "told", " reporters ")
    else:  # "Norway will send ...," Doresku said.
        writer.write("“")
        written = _claim(writer, plan, capital=True)
        writer.write(",” ")
        cue = _speaker_said(writer, speaker)
    written.cue = cue
    written.attribution = "direct" if frame == 4 else "indirect"
    return written


def _document(doc: _DocPlan, seed: int) -> tuple[str, Annotation]:
    """The document's text and its grounded annotation; sets each claim plan's span."""
    writer = _Writer(random.Random(f"{seed}/{doc.index}"))
    rng = writer.rng
    lead = doc.claims[0]
    writer.write(f"{rng.choice(CITIES)}: {HEADLINES[lead.fact.kind.name]}\n\n")
    writer.write(f"{rng.choice(CITIES).upper()}, {doc.published:%B} {doc.published.day} "
                 f"({doc.outlet}) - ")  # fmt: skip
    claims: list[GroundedClaim] = []
    stances: list[GroundedStance] = []
    main: Counter[str] = Counter()
    for number, plan in enumerate(doc.claims):
        if number:
            writer.write("\n\n")
        written = _sentence(writer, plan)
        if rng.random() < 0.25:
            writer.write(" " + rng.choice(FILLERS))
        quote = writer.text()[written.start : written.end]
        speaker = writer.canonical(plan.fact.speaker) if plan.fact.speaker else OUTLET
        cue = Span(start=written.cue[0], end=written.cue[1], text=written.cue[2]) \
            if written.cue else None  # fmt: skip
        span = Span(start=written.start, end=written.end, text=quote)
        claims.append(GroundedClaim(span=span, speaker=speaker, cue=cue,
                                    attribution=written.attribution,
                                    check_worthy=plan.fact.kind.check_worthy,
                                    proposition=written.proposition))  # fmt: skip
        plan.ref = ClaimRef("", written.start, written.end)
        agent = plan.fact.slots.get("A")
        if isinstance(agent, Actor):
            main[writer.canonical(agent)] += 1
            if plan.fact.kind.stance and speaker != OUTLET:
                target = writer.canonical(agent)
                stances.append(GroundedStance(holder=speaker, target=target,
                                              label=plan.fact.kind.stance,
                                              evidence=span))  # fmt: skip
    writer.write(f"\n\n(Ref. {seed}-{doc.index:07d})\n")
    actors = [
        GroundedActor(canonical_name=name, type=writer.types[name],
                      mentions=[Span(start=s, end=e, text=t) for s, e, t in spans])
        for name, spans in writer.mentions.items()
    ]  # fmt: skip
    target = main.most_common(1)[0][0] if main else doc.outlet
    annotation = Annotation(
        actors=actors, claims=claims, stances=stances,
        document=DocumentStance(main_target=target,
                                overall=rng.choice(OVERALL_STANCE_SCALE)),
    )  # fmt: skip
    return writer.text(), annotation


def _variation(x: _ClaimPlan, y: _ClaimPlan) -> tuple[str, ...]:
    """What differs between two wordings of one fact."""
    found = []
    if x.template != y.template:
        found.append("wording")
    if x.surfaces != y.surfaces:
        capitals = {a.capital for a in x.fact.slots.values() if isinstance(a, Actor)}
        if capitals & (set(x.surfaces) ^ set(y.surfaces)):
            found.append("capital")
        else:
            found.append("name")
    if x.fact.kind.counted == "N" and x.number_form != y.number_form:
        found.append("number")
    if x.fact.kind.dated and x.date_form != y.date_form:
        found.append("date")
    if "C" in x.fact.slots and x.context != y.context:
        found.append("context")
    if (x.frame == 4) != (y.frame == 4) or (x.frame == 5) != (y.frame == 5):
        found.append("frame")
    return tuple(found)


# -- filling a store -------------------------------------------------------------


def fill(store: Store, claims: int, seed: int = 7) -> Planted:
    """Write `claims` claims in synthetic documents with their predictions; what was planted.

    One paraphrase group per `CLAIMS_PER_GROUP` claims and one contradiction pair per
    `CLAIMS_PER_CONTRADICTION` (number, date and actor in turn) are planted across
    documents of different outlets at most `MAX_DAYS_APART` days apart; the rest are
    background claims drawn independently.
    """
    if claims < 1:
        raise ValueError(f"claims must be at least 1, not {claims}")
    planner = _Planner(claims, seed, pools(seed))
    for number in range(claims // CLAIMS_PER_GROUP):
        planner.plant_group(number)
    for number in range(claims // CLAIMS_PER_CONTRADICTION):
        planner.plant_contradiction(number, DETAILS[number % len(DETAILS)])
    planner.background()

    from annotate.preannotate.pipeline import count_spans

    job = JobKey(MODEL_VERSION, "-", schema_version(), "-")
    spec = RunSpec(PROVIDER, MODEL, job.model_version, job.prompt_version, job.schema_version,
                   {"seed": seed, "claims": claims}, concurrency=1)  # fmt: skip
    run_id = store.runs.start(spec)
    counts = RunCounts()
    for doc in planner.docs:
        text, annotation = _document(doc, seed)
        digest = content_hash(text)
        doc_id = digest[:ID_LENGTH]
        for plan in doc.claims:
            assert plan.ref is not None
            plan.ref = ClaimRef(doc_id, plan.ref.start, plan.ref.end)
        source = f"https://{_slug(doc.outlet)}.example/{doc.published.isoformat()}/{doc.index}"
        store.documents.add(doc_id, digest, text, source,
                           {"outlet": doc.outlet, "date": doc.published.isoformat()})  # fmt: skip
        spans = count_spans(annotation)
        store.predictions.add(Prediction(doc_id, run_id, PROVIDER, MODEL, job,
                                        annotation.model_dump_json(), spans, 0))  # fmt: skip
        counts.documents += 1
        counts.predicted += 1
        counts.spans += spans
    store.runs.finish(run_id, counts)
    return _planted(planner, seed, claims)


def _slug(name: str) -> str:
    return "-".join(name.lower().replace("the ", "").split())


def _planted(planner: _Planner, seed: int, claims: int) -> Planted:
    members: dict[tuple[str, int], list[_ClaimPlan]] = {}
    for doc in planner.docs:
        for plan in doc.claims:
            if plan.planted:
                kind, number, _ = plan.planted
                members.setdefault((kind, number), []).append(plan)
    planted = Planted(seed, len(planner.docs), claims)
    for (kind, _), plans in sorted(members.items()):
        plans.sort(key=lambda p: p.planted or ("", 0, 0))
        refs = [p.ref for p in plans if p.ref is not None]
        if kind == "paraphrase":
            planted.groups.append(refs)
        for i, x in enumerate(plans):
            for y in plans[i + 1 :]:
                assert x.ref is not None and y.ref is not None
                detail = _detail(x, y) if kind == "contradiction" else None
                variation = () if detail else _variation(x, y)
                planted.pairs.append(PlantedPair(x.ref, y.ref, kind, x.fact.kind.name,
                                                 detail, variation))  # fmt: skip
    return planted


def _detail(x: _ClaimPlan, y: _ClaimPlan) -> str:
    differs = [k for k, v in x.fact.slots.items() if y.fact.slots[k] != v]
    return {"A": "actor", "D": "date"}.get(differs[0], "number")


__all__ = ["Planted", "PlantedPair", "fill", "pair_key", "pools"]
