"""attrs: attrs.asdict() over many instances with mostly atomic field values."""

import os
import sys

_src = os.path.join(os.getcwd(), "src")
if _src not in sys.path:
    sys.path.insert(0, _src)

import attrs  # noqa: E402


@attrs.define
class Address:
    street: str
    city: str
    zip: int


@attrs.define
class User:
    id: int
    name: str
    email: str
    score: float
    active: bool
    nickname: object
    address: Address
    tags: list


USERS = [
    User(
        i,
        f"user{i}",
        f"user{i}@example.com",
        i * 0.5,
        i % 2 == 0,
        None,
        Address(f"{i} Main St", "Springfield", 10000 + i),
        ["a", "b"],
    )
    for i in range(6000)
]

n = 0
for _ in range(3):
    for u in USERS:
        n += len(attrs.asdict(u))
assert n == 3 * 8 * len(USERS)
