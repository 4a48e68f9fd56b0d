"""The chapter's traffic lights as the leadership's page shows them: the distribution and
the members' rows drawn here, kept in memory under the circle's ``data_stamp`` (which the
database changes with every write to what a score is made of: attendance, meetings, slips,
visitors, one-to-ones, education, the roster, names and the circle's point table), the
window and the language. Scoring 40 members and drawing their rows cost about 4 ms a view;
a kept table costs a lookup."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import url_for
from markupsafe import Markup, escape

from circle.core.memo import Memo
from circle.core.periods import Period
from circle.core.weeks import today_for
from circle.models import Circle
from circle.scores.services import (
    COLOUR_LABELS,
    MemberScore,
    chapter_scores,
    distribution,
    window,
)


@dataclass(frozen=True)
class ChapterLights:
    """The page's figures: the window, members per colour and the table's rows."""

    period: Period
    distribution: dict[str, int]
    rows: Markup
    #: Whether any member is scored (the table's head lists the areas only then).
    scored: bool


def light_row(circle_id: int, score: MemberScore) -> str:
    """One member's row: name (a link to their score), colour, total, points per area."""
    link = url_for("scores.member", circle_id=circle_id, member_id=score.member.id)
    colour = escape(score.colour)
    points = "".join(f"<td>{area.points}</td>" for area in score.areas)
    return (
        f'<tr data-member="{score.member.id}">'
        f'<th scope="row"><a href="{escape(link)}">{escape(score.member.user.name)}</a></th>'
        f'<td><span class="badge badge--{colour}" data-colour="{colour}">'
        f"{escape(COLOUR_LABELS[score.colour])}</span></td>"
        f'<td data-total="{score.total}">{score.total}</td>{points}</tr>'
    )


def chapter_lights(circle: Circle, today: date) -> ChapterLights:
    """Score every active member (``chapter_scores``) on ``today`` and draw the rows."""
    scores = chapter_scores(circle, today)
    rows = "".join(light_row(circle.id, score) for score in scores)
    return ChapterLights(
        period=window(circle, today),
        distribution=distribution(scores),
        rows=Markup(rows),  # noqa: S704 - names and labels are escaped  # nosec B704
        scored=bool(scores),
    )


#: The tables drawn last, in this server's memory (``kept_chapter_lights``).
LIGHTS_KEPT = 32
_kept: Memo[ChapterLights] = Memo(LIGHTS_KEPT)


def kept_chapter_lights(circle: Circle, locale: str) -> ChapterLights:
    """``chapter_lights``, kept under the circle's ``data_stamp`` (every number, name,
    setting and member a score reads), the window (it moves on with the months) and the
    language the colours are named in; in a reading request only (``Memo.get_reading``)."""
    today = today_for(circle)
    period = window(circle, today)
    key = (circle.id, circle.data_stamp, period.start, period.end, locale)
    return _kept.get_reading(key, lambda: chapter_lights(circle, today))
