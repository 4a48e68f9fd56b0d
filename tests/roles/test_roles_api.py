"""Officer roles over the API: GET and PUT /circles/{id}/members/{mid}/roles."""

from __future__ import annotations


def test_president_sets_roles_and_everyone_reads_them(api, make):
    circle = make.circle()
    president = make.user()
    make.officer(make.member(circle, president), "president")
    paula = make.member(circle, make.user(name="Paula"))
    url = f"/api/v1/circles/{circle.id}/members/{paula.id}/roles"
    api.as_user(president)
    put = api.client.put(
        url,
        json={"roles": ["visitor_host", "membership_committee"]},
        headers=api._headers(),
    )
    assert put.status_code == 200
    assert put.get_json() == {
        "member_id": paula.id,
        "roles": ["membership_committee", "visitor_host"],
    }
    fewer = api.client.put(url, json={"roles": ["visitor_host"]}, headers=api._headers())
    assert fewer.get_json()["roles"] == ["visitor_host"]
    reader = make.user()
    make.member(circle, reader)
    api.as_user(reader)
    assert api.get(url).get_json()["roles"] == ["visitor_host"]
    refused = api.client.put(url, json={"roles": []}, headers=api._headers())
    assert refused.status_code == 403
    assert api.get(url).get_json()["roles"] == ["visitor_host"]


def test_bad_roles_and_other_circles(api, make):
    circle = make.circle()
    admin = make.user()
    make.member(circle, admin, role="admin")
    paula = make.member(circle, make.user())
    api.as_user(admin)
    url = f"/api/v1/circles/{circle.id}/members/{paula.id}/roles"
    bad = api.client.put(url, json={"roles": ["emperor"]}, headers=api._headers())
    assert bad.status_code == 422 and bad.get_json()["code"] == "validation_error"
    not_list = api.client.put(url, json={"roles": "president"}, headers=api._headers())
    assert not_list.status_code == 422
    other = make.circle()
    stranger = make.member(other, make.user())
    cross = f"/api/v1/circles/{circle.id}/members/{stranger.id}/roles"
    assert api.get(cross).status_code == 404
    put = api.client.put(cross, json={"roles": ["president"]}, headers=api._headers())
    assert put.status_code == 404
    gone = make.member(circle, make.user(), status="left")
    ended = f"/api/v1/circles/{circle.id}/members/{gone.id}/roles"
    put = api.client.put(ended, json={"roles": ["president"]}, headers=api._headers())
    assert put.status_code == 404
