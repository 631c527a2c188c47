"""The one injectable clock: every "now" in the domain comes from here.

Tests replace it with a `FrozenClock` (see tests/conftest.py) and move time forward
instead of sleeping.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class SystemClock:
    """Wall-clock time, timezone-aware UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs a timezone-aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at.astimezone(UTC)

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        self._at = self._at + (delta or timedelta(**kwargs))
        return self._at


_clock: SystemClock | FrozenClock = SystemClock()


def now() -> datetime:
    """Current time, timezone-aware UTC, from the installed clock."""
    return _clock.now()


def install(clock: SystemClock | FrozenClock) -> SystemClock | FrozenClock:
    """Install a clock; returns the previous one so callers can restore it."""
    global _clock
    previous, _clock = _clock, clock
    return previous
