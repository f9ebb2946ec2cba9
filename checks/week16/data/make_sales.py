"""Make week 16's synthetic personal data: Ames house sales with made-up owners.

Run from the repository root with the development venv (it needs only the standard library):

    .venv/bin/python checks/week16/data/make_sales.py

Every name and e-mail address is invented here from two lists of common US given names and
surnames, with a fixed seed, so the files are byte-identical on every run; the e-mail domains
are the ones reserved for examples (RFC 2606). The house columns are real Ames sales taken from
the course's Ames data set (see data/ames/DATA.md).

Writes:
    data/ames-owners/sales.csv            300 sales from data/ames/train.csv, 150 owners
                                          (week 16's scaffold lays it as data/raw/sales.csv)
    checks/week16/data/sales.csv          200 sales from data/ames/test.csv, 100 other owners
    checks/week16/data/houses.csv         the first 20 test sales, for POST /predict

Never from data/ames/holdout.csv: its prices are held-out answers (roadmap.yaml
grading.held_out) that no file a submission can read may hold.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
FIRST = [
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas",
    "Sarah", "Charles", "Karen", "Christopher", "Lisa", "Daniel", "Nancy", "Matthew",
    "Betty", "Anthony", "Sandra", "Mark", "Margaret", "Donald", "Ashley", "Steven",
    "Kimberly", "Andrew", "Emily", "Paul", "Donna", "Joshua", "Michelle", "Kenneth",
    "Carol", "Kevin", "Amanda", "Brian", "Melissa", "George", "Deborah"
]  # fmt: skip
LAST = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
    "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson",
    "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White",
    "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
    "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green",
    "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell"
]  # fmt: skip
DOMAINS = ("example.com", "example.org", "example.net")


def people(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """``count`` distinct (full name, e-mail) pairs; no two people share a name or an e-mail."""
    chosen: dict[str, str] = {}
    while len(chosen) < count:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        name = f"{first} {last}"
        if name in chosen:
            continue
        style = rng.randrange(3)
        local = (
            f"{first}.{last}"
            if style == 0
            else f"{first[0]}{last}"
            if style == 1
            else f"{last}.{first}{rng.randrange(10, 100)}"
        )
        email = f"{local.lower()}@{rng.choice(DOMAINS)}"
        if email not in chosen.values():
            chosen[name] = email
    return list(chosen.items())


def variant(rng: random.Random, email: str) -> str:
    """The e-mail as someone typed it: now and then with capitals (same person, same inbox)."""
    if rng.random() >= 0.1:
        return email
    local, domain = email.split("@")
    return ".".join(p.capitalize() for p in local.split(".")) + "@" + domain.capitalize()


def sales(source: Path, target: Path, rows: int, owners: int, seed: int) -> None:
    rng = random.Random(seed)
    with source.open(newline="", encoding="utf-8") as handle:
        houses = list(csv.DictReader(handle))
    picked = rng.sample(houses, rows)
    crowd = people(rng, owners)
    # Every owner sells at least once; the rest of the sales go to owners drawn again, so
    # some owners appear two or three times (the same person must get the same pseudonym).
    assigned = crowd + [rng.choice(crowd) for _ in range(rows - owners)]
    rng.shuffle(assigned)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["sale_id", "owner_name", "owner_email", *houses[0].keys()])
        pairs = zip(picked, assigned, strict=True)
        for number, (house, (name, email)) in enumerate(pairs, start=1):
            writer.writerow([f"S{seed}-{number:04d}", name, variant(rng, email), *house.values()])


def main() -> None:
    train = ROOT / "data" / "ames" / "train.csv"
    test = ROOT / "data" / "ames" / "test.csv"
    sales(train, ROOT / "data" / "ames-owners" / "sales.csv", 300, 150, 16)
    sales(test, ROOT / "checks" / "week16" / "data" / "sales.csv", 200, 100, 1616)
    with test.open(encoding="utf-8") as handle:
        head = [next(handle) for _ in range(21)]
    (ROOT / "checks" / "week16" / "data" / "houses.csv").write_text("".join(head), "utf-8")


if __name__ == "__main__":
    main()
