"""Visitors to a circle's meetings, credited to the member who invited them."""
