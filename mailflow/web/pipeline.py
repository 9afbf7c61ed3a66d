"""The pipeline picture: CRs per stage, the overdue part in red, drawn as SVG on the server.

Only the geometry is worked out here; templates/web/pipeline.html writes the SVG, so
its text is escaped like the rest of the page. Each stage's title sits above its bar,
so the picture reads on a phone as well as on a desk: the SVG scales to the page's
width and its words never run off the side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from babel.numbers import format_decimal

WIDTH = 400  # the SVG's own units; drawn at the page's width, about a phone's at most
ROW = 33  # one stage: its title line, then its bar
BAR = 9
LABEL = 15  # the title's baseline below the row's top


@dataclass(frozen=True)
class Stage:
    """One stage in the picture: the filter value that lists its CRs, its title, counts."""

    value: str
    title: str
    count: int
    late: int


@dataclass(frozen=True)
class Bar:
    stage: Stage
    top: int
    width: float  # all the CRs at the stage
    late_width: float  # those past the stage's reminder time, drawn over the start of it

    @property
    def label_y(self) -> int:
        return self.top + LABEL

    @property
    def bar_y(self) -> int:
        return self.top + LABEL + 6

    @property
    def count_words(self) -> str:
        n, late = self.stage.count, self.stage.late
        said = format_decimal(n, locale="en")
        return f"{said} · {format_decimal(late, locale='en')} overdue" if late else said


@dataclass(frozen=True)
class Picture:
    bars: list[Bar]
    width: int
    height: int
    bar_height: int
    total: int
    late: int


def draw(stages: Sequence[Stage]) -> Picture | None:
    """The picture of these stages in order; None when no CR stands at any of them."""
    most = max((s.count for s in stages), default=0)
    if most == 0:
        return None
    bars = [
        Bar(s, i * ROW, WIDTH * s.count / most, WIDTH * s.late / most) for i, s in enumerate(stages)
    ]
    total, late = sum(s.count for s in stages), sum(s.late for s in stages)
    return Picture(bars, WIDTH, len(stages) * ROW, BAR, total, late)
