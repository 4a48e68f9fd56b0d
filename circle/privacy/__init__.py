"""Personal data (DSGVO): export of everything about a member, erasure, prospect retention."""
