"""Fixtures of the meeting tests."""

import pytest

from tests.meetings.chapter import Chapter, make_chapter


@pytest.fixture
def chapter(app, make) -> Chapter:
    """A circle with officers, two plain members and this week's meeting."""
    return make_chapter(app, make)
