"""Member profiles: what members do, whom they want to meet, their pictures."""
