"""The circle's pictures over time: referrals, closed business and attendance per week."""
