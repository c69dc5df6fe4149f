"""Fictitious company and person names for the sample partners, by country."""

from __future__ import annotations

import random
import unicodedata

_LEGAL_FORMS = {
    "US": ["Inc.", "LLC", "Corp."],
    "CA": ["Inc.", "Ltd."],
    "BR": ["Ltda.", "S.A."],
    "MX": ["S.A. de C.V.", "S. de R.L."],
    "GB": ["Ltd", "plc"],
    "DE": ["GmbH", "AG", "GmbH & Co. KG"],
    "FR": ["SAS", "SARL", "SA"],
    "IT": ["S.r.l.", "S.p.A."],
    "ES": ["S.L.", "S.A."],
    "NL": ["B.V.", "N.V."],
    "IN": ["Pvt Ltd", "Ltd"],
    "JP": ["K.K.", "Co., Ltd."],
    "AU": ["Pty Ltd"],
    "SG": ["Pte Ltd"],
    "ZA": ["(Pty) Ltd"],
}

_PREFIXES = [
    "Acorn", "Apex", "Arcadia", "Aurora", "Beacon", "Bluefield", "Brightpath", "Cedar",
    "Cobalt", "Copperleaf", "Crestline", "Delta", "Ember", "Evergreen", "Falcon", "Fjord",
    "Granite", "Harbor", "Helix", "Horizon", "Ironwood", "Juniper", "Keystone", "Lighthouse",
    "Lumen", "Maple", "Meridian", "Nimbus", "Northwind", "Oakridge", "Orbit", "Pinnacle",
    "Polaris", "Quartz", "Redwood", "Ridgeway", "Sapphire", "Sierra", "Silverline", "Solstice",
    "Summit", "Tidewater", "Trident", "Vantage", "Vertex", "Willow", "Zenith", "Zephyr",
]  # fmt: skip

_SUFFIXES = [
    "Systems", "Solutions", "Consulting", "Digital", "Data", "Technologies", "IT Services",
    "Analytics", "Integration", "Cloud", "Software", "Networks", "Partners", "Labs",
]  # fmt: skip

_FIRST = {
    "default": ["Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Jamie", "Robin", "Chris"],
    "DE": ["Anna", "Jonas", "Lea", "Lukas", "Marie", "Felix", "Sophie", "Paul", "Hannah"],
    "FR": ["Camille", "Louis", "Chloé", "Hugo", "Léa", "Jules", "Manon", "Théo"],
    "IT": ["Giulia", "Marco", "Chiara", "Luca", "Sara", "Matteo", "Elena"],
    "ES": ["Lucía", "Hugo", "Martina", "Pablo", "Sofía", "Daniel", "Carmen"],
    "BR": ["Ana", "João", "Beatriz", "Pedro", "Larissa", "Gabriel", "Mariana"],
    "MX": ["Valeria", "Diego", "Ximena", "Santiago", "Regina", "Mateo"],
    "JP": ["Haruto", "Yui", "Sota", "Aoi", "Ren", "Hina", "Takumi"],
    "IN": ["Aarav", "Ananya", "Vihaan", "Diya", "Arjun", "Isha", "Rohan"],
    "NL": ["Daan", "Emma", "Sem", "Julia", "Lars", "Tess"],
}
_LAST = {
    "default": ["Smith", "Brown", "Taylor", "Walker", "Clarke", "Hughes", "Lee", "Martin"],
    "DE": ["Müller", "Schmidt", "Weber", "Wagner", "Becker", "Hoffmann", "Koch"],
    "FR": ["Martin", "Bernard", "Dubois", "Laurent", "Moreau", "Lefebvre"],
    "IT": ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano"],
    "ES": ["García", "Martínez", "López", "Sánchez", "Pérez", "Gómez"],
    "BR": ["Silva", "Santos", "Oliveira", "Souza", "Lima", "Costa"],
    "MX": ["Hernández", "García", "Martínez", "López", "Ramírez"],
    "JP": ["Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito"],
    "IN": ["Sharma", "Patel", "Iyer", "Reddy", "Gupta", "Nair"],
    "NL": ["de Jong", "Jansen", "de Vries", "Bakker", "Visser"],
}


def company_name(rnd: random.Random, country: str, taken: set[str]) -> str:
    """Return a fictitious company name with the country's legal form, not in ``taken``.

    The name is added to ``taken``.
    """
    form = rnd.choice(_LEGAL_FORMS.get(country, ["Ltd"]))
    for attempt in range(1000):
        base = f"{rnd.choice(_PREFIXES)} {rnd.choice(_SUFFIXES)}"
        name = f"{base} {form}" if attempt < 50 else f"{base} {attempt} {form}"
        if name not in taken:
            taken.add(name)
            return name
    raise RuntimeError("ran out of sample company names")


def person_name(rnd: random.Random, country: str) -> tuple[str, str]:
    """Return a fictitious first and last name common in ``country``."""
    first = rnd.choice(_FIRST.get(country, _FIRST["default"]))
    last = rnd.choice(_LAST.get(country, _LAST["default"]))
    return first, last


def email_part(text: str) -> str:
    """Lower-case ASCII form of a name for e-mail addresses ("Müller" -> "muller")."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in folded.lower() if ch.isalnum())
