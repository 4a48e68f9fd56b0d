"""What the API tests share: the problem+json check, distinct client addresses, a valid
body per operation and the ids to probe across circles."""

PROBLEM_KEYS = {"type", "title", "status", "code", "detail"}


def assert_problem(response, status: int, code: str) -> dict:
    """The response is a problem+json with this status and code; returns its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["code"] == code
    return body


def from_address(n: int) -> dict:
    """A distinct client address, so a loop of requests is not throttled."""
    return {"environ_base": {"REMOTE_ADDR": f"10.0.{n // 250}.{n % 250 + 1}"}}


#: A valid body per operation, so that only the id can make it fail.
VALID_BODIES = {
    ("patch", "/circles/<int:circle_id>"): {"name": "Gekapert"},
    ("post", "/circles/<int:circle_id>/members"): {
        "email": "spy@example.org",
        "name": "Spy",
        "profession": "Spion",
    },
    ("patch", "/circles/<int:circle_id>/members/<int:member_id>"): {"role": "admin"},
    ("post", "/circles/<int:circle_id>/referrals"): {
        "receiver_id": 1,
        "given_on": "2024-05-02",
        "kind": "inside",
        "hotness": 3,
    },
    ("patch", "/circles/<int:circle_id>/referrals/<int:referral_id>"): {"status": "contacted"},
    ("post", "/circles/<int:circle_id>/closed-business"): {
        "giver_id": 1,
        "amount": "100.00",
        "closed_on": "2024-05-02",
        "kind": "new",
    },
    ("patch", "/circles/<int:circle_id>/closed-business/<int:business_id>"): {
        "void": True,
        "reason": "Tippfehler",
    },
    ("put", "/circles/<int:circle_id>/members/<int:member_id>/roles"): {"roles": ["president"]},
    ("post", "/circles/<int:circle_id>/applications/<int:member_id>/decision"): {
        "decision": "approve"
    },
    ("post", "/circles/<int:circle_id>/visitors"): {
        "name": "Spy",
        "profession": "Spion",
        "invited_by_id": 1,
        "meeting_id": 1,
    },
    ("post", "/circles/<int:circle_id>/visitors/<int:visitor_id>/visits"): {"meeting_id": 1},
    ("put", "/circles/<int:circle_id>/meetings/<int:meeting_id>/attendance"): {
        "items": [{"member_id": 1, "code": "P"}]
    },
    ("post", "/circles/<int:circle_id>/meetings/<int:meeting_id>/cancel"): {"reason": "Feiertag"},
    ("post", "/circles/<int:circle_id>/one-to-ones"): {"other_id": 1, "met_on": "2024-05-02"},
    ("post", "/circles/<int:circle_id>/education-credits"): {
        "topic": "Buch: Networking",
        "minutes": 60,
        "completed_on": "2024-05-02",
    },
}

#: Ids of objects inside a circle other than members (the isolation tests probe them
#: across circles); any value works once the circle itself is foreign.
OTHER_IDS = {
    "referral_id": 424242,
    "business_id": 424242,
    "visitor_id": 424242,
    "meeting_id": 424242,
    "day": "2024-05-01",
    "job_id": "0" * 32,
}
