"""The shared retry policy: retry count, total budget, one-wait cap, asked-for waits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reconciler.retrying import GiveUp, RetryPolicy


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def answers(*values: str) -> Iterator[str]:
    yield from values


def run(policy: RetryPolicy, values: Iterator[str], clock: Clock, hint: float | None = None):
    return policy.run(
        lambda: next(values),
        should_retry=lambda v: v != "ok",
        wait_hint=lambda v: hint if v == "slow" else None,
        sleep=clock.sleep,
        clock=clock,
        rand=lambda: 1.0,
    )


def test_retries_until_success_with_doubling_backoff() -> None:
    clock = Clock()
    policy = RetryPolicy(retries=3, backoff=1.0, jitter=False)
    done = run(policy, answers("busy", "busy", "ok"), clock)
    assert (done.value, done.attempts, done.gave_up) == ("ok", 3, None)
    assert clock.sleeps == [1.0, 2.0]


def test_gives_up_after_the_retry_count() -> None:
    clock = Clock()
    done = run(RetryPolicy(retries=2, jitter=False), answers(*["busy"] * 5), clock)
    assert (done.value, done.attempts, done.gave_up) == ("busy", 3, GiveUp.ATTEMPTS)


def test_a_wait_past_the_budget_is_not_taken() -> None:
    clock = Clock()
    policy = RetryPolicy(retries=10, backoff=4.0, jitter=False, max_seconds=10.0)
    done = run(policy, answers(*["busy"] * 10), clock)
    assert done.gave_up is GiveUp.BUDGET
    assert clock.sleeps == [4.0]  # 4 + 8 would cross 10 s
    assert done.refused_wait == 8.0


def test_a_wait_asked_for_wins_and_a_long_one_gives_up_at_once() -> None:
    clock = Clock()
    policy = RetryPolicy(retries=3, jitter=False, max_wait=60.0)
    assert run(policy, answers("slow", "ok"), clock, hint=7.0).value == "ok"
    assert clock.sleeps == [7.0]
    done = run(policy, answers("slow", "ok"), clock, hint=600.0)
    assert (done.value, done.gave_up, done.refused_wait) == ("slow", GiveUp.LONG_WAIT, 600.0)


@pytest.mark.parametrize("rand", [0.0, 1.0])
def test_jitter_keeps_half_to_all_of_the_capped_backoff(rand: float) -> None:
    policy = RetryPolicy(backoff=1.0, max_backoff=30.0, jitter=True)
    assert policy.backoff_delay(10, lambda: rand) == (15.0 if rand == 0.0 else 30.0)


def test_an_exception_from_the_attempt_propagates() -> None:
    def boom() -> str:
        raise ValueError("not a retry case")

    with pytest.raises(ValueError):
        RetryPolicy().run(boom, should_retry=lambda _: True, sleep=lambda _: None)
