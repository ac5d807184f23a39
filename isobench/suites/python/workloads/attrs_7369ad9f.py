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

# Three passes, each over the users in another order; every dict is kept (the harness compares them).
out = [attrs.asdict(u) for k in range(3) for u in USERS[k:] + USERS[:k]]
assert len(out) == 3 * len(USERS) and all(len(d) == 8 for d in out)
