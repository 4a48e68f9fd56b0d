"""What the API tests share: the problem+json check and distinct client addresses."""

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
