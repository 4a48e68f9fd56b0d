"""Meetings of a circle: the weekly schedule, attendance, the absence rule, the weekly report."""
