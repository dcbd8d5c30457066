"""Generated evaluation data: arithmetic and GSM-style word problems with exact integer answers.

Nothing is downloaded: every item comes from a template and a seeded random generator, so the
same seed always gives the same questions and answers.

Example:
    >>> items = generate(4, seed=0)
    >>> len(items), items[0].id
    (4, 'gen-0-0')
"""

from __future__ import annotations

import random
from collections.abc import Callable

from strategies import BatchItem

Problem = tuple[str, int]


def _add(r: random.Random) -> Problem:
    a, b = r.randint(10, 99), r.randint(10, 99)
    return f"What is {a} + {b}?", a + b


def _sub(r: random.Random) -> Problem:
    a, b = r.randint(50, 199), r.randint(1, 49)
    return f"What is {a} - {b}?", a - b


def _mul(r: random.Random) -> Problem:
    a, b = r.randint(2, 12), r.randint(2, 12)
    return f"What is {a} times {b}?", a * b


def _apples(r: random.Random) -> Problem:
    name = r.choice(["Tom", "Ana", "Liu", "Sara", "Omar"])
    a, b = r.randint(2, 20), r.randint(2, 20)
    return f"{name} has {a} apples and buys {b} more. How many apples does {name} have now?", a + b


def _boxes(r: random.Random) -> Problem:
    per, boxes = r.randint(3, 12), r.randint(2, 9)
    return f"A box holds {per} pencils. How many pencils are in {boxes} boxes?", per * boxes


def _change(r: random.Random) -> Problem:
    price, qty = r.randint(2, 9), r.randint(2, 5)
    paid = price * qty + r.randint(1, 20)
    return (
        f"A notebook costs {price} dollars. Mia buys {qty} notebooks and pays with {paid} dollars. "
        "How many dollars of change does she get?",
        paid - price * qty,
    )


TEMPLATES: tuple[Callable[[random.Random], Problem], ...] = (_add, _sub, _mul, _apples, _boxes, _change)


def generate(count: int, *, seed: int = 0) -> list[BatchItem]:
    """`count` problems cycling through the templates, reproducible from `seed`."""
    r = random.Random(seed)
    items = []
    for i in range(count):
        question, answer = TEMPLATES[i % len(TEMPLATES)](r)
        items.append(BatchItem(id=f"gen-{seed}-{i}", question=question, answer=str(answer)))
    return items
