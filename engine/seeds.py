"""Each member's seed: `--seed S --seeds N` trains members whose seeds no other `--seed` shares.

Member 0 is S itself (one seed is the post's loop, `torch.manual_seed(S)`); member k ≥ 1 is
drawn from `numpy.random.SeedSequence(S)`'s k-th spawned child, so `--seed 0` and `--seed 1`
share no member (with `seed + k`, they shared 4 of 5: "trying another seed" repeated the same
pairs), and `--seeds 10` keeps the 5 members of `--seeds 5` and adds 5 more.
"""

from __future__ import annotations

import functools


@functools.cache
def member_seeds(seed: int, count: int) -> tuple[int, ...]:
    """The `count` members' seeds of `--seed seed`, each in 0..2**32 - 1."""
    if count <= 1:
        return (seed,)[:count]
    from numpy.random import SeedSequence  # numpy only here: config validation stays light

    children = SeedSequence(seed).spawn(count)
    return (seed, *(int(child.generate_state(1)[0]) for child in children[1:]))
