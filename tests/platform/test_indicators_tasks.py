"""Plan tasks (任务分解、责任落实): the region's regulator writes (audited), readers list them per
indicator, overdue is derived (not done and the deadline passed), bad input names the field."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiliang.platform.audit.models import AuditEntry
from jiliang.platform.indicators import services
from jiliang.platform.indicators.models import PlanTask

PDF = b"%PDF-1.4\n% task evidence\n"


@pytest.fixture(autouse=True)
def _fresh(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.JILIANG_LEDGER_DIR = tmp_path / "ledger"


def _body(world, **over):
    yesterday = services.today() - dt.timedelta(days=1)
    body = {
        "region": "330000",
        "plan": "national-2021-2035",
        "paragraph": "§28",
        "title_zh": "建设社会公用计量标准",
        "title_en": "Establish public measurement standards",
        "responsible": world.orgs["amr_zj"].code,
        "deadline": yesterday.isoformat(),
        "indicators": ["cn.public_standards"],
    }
    body.update(over)
    return body


def _post(client, world, role="regulator", **over):
    return client.post(
        "/api/indicators/tasks",
        data=json.dumps(_body(world, **over)),
        content_type="application/json",
        **world.auth(role),
    )


def _detail(response) -> dict[str, str]:
    return {d["loc"][-1]: d["msg"] for d in response.json()["detail"]}


def test_regulator_creates_and_completes_a_task(client, world):
    response = _post(client, world)
    assert response.status_code == 201, response.content
    task = response.json()
    assert task["status"] == "not_started" and task["overdue"] is True  # deadline yesterday
    assert task["responsible"] == world.orgs["amr_zj"].code
    created = AuditEntry.objects.get(model="indicators.plantask", object_id=str(task["id"]))
    assert created.action == "create" and created.username == "regulator"
    done = client.patch(
        f"/api/indicators/tasks/{task['id']}",
        data=json.dumps({"status": "done", "evidence_url": "https://example.org/report"}),
        content_type="application/json",
        **world.auth("regulator"),
    )
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "done" and done.json()["overdue"] is False
    assert AuditEntry.objects.filter(model="indicators.plantask", action="update").count() == 1
    upload = client.post(
        f"/api/indicators/tasks/{task['id']}/evidence",
        {"evidence": SimpleUploadedFile("report.pdf", PDF, "application/pdf")},
        **world.auth("regulator"),
    )
    assert upload.status_code == 200, upload.content
    import hashlib

    assert upload.json()["evidence_sha256"] == hashlib.sha256(PDF).hexdigest()
    # the page download: the region's readers get the file, a reader of another region a 404
    client.force_login(world.users["regulator"])
    got = client.get(f"/indicators/tasks/{task['id']}/evidence/")
    assert got.status_code == 200 and b"".join(got.streaming_content) == PDF
    client.force_login(world.users["regulator_nb"])
    assert client.get(f"/indicators/tasks/{task['id']}/evidence/").status_code == 404
    client.logout()
    listed = client.get(
        "/api/indicators/tasks?region=330000&indicator=cn.public_standards",
        **world.auth("regulator"),
    ).json()
    assert listed["count"] == 1 and listed["items"][0]["paragraph"] == "§28"
    none = client.get(
        "/api/indicators/tasks?region=330000&indicator=cn.cmcs", **world.auth("regulator")
    ).json()
    assert none["count"] == 0


def test_task_page_lists_per_indicator_with_overdue(client, world):
    assert _post(client, world).status_code == 201
    later = (services.today() + dt.timedelta(days=30)).isoformat()
    assert _post(client, world, paragraph="§29", deadline=later, indicators=[]).status_code == 201
    client.force_login(world.users["regulator"])
    html = client.get("/indicators/tasks/?region=330000").content.decode()
    assert 'id="tasks-cn.public_standards"' in html and 'id="tasks-none"' in html
    overdue = PlanTask.objects.get(paragraph="§28")
    row = html.split(f'id="task-{overdue.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "overdue" in html.split(f'id="task-{overdue.pk}"', 1)[1][:40] and "逾期" in row
    on_time = PlanTask.objects.get(paragraph="§29")
    row = html.split(f'id="task-{on_time.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "未开始" in row and "逾期" not in row
    one = client.get("/indicators/tasks/?region=330000&indicator=cn.public_standards")
    assert f'id="task-{on_time.pk}"' not in one.content.decode()


@pytest.mark.parametrize("role", ["regulator_nb", "inspector", "lab"])
def test_only_the_regions_regulator_writes(client, world, role):
    response = _post(client, world, role=role)
    assert response.status_code == 403
    assert PlanTask.objects.count() == 0


def test_bad_input_names_the_field(client, world):
    cases = [
        ({"indicators": ["cn.nope"]}, "indicators"),
        ({"status": "finished"}, "status"),
        ({"title_zh": ""}, "title_zh"),
        ({"responsible": "91330000000000000X"}, "responsible"),
        ({"plan": "nope"}, "plan"),
        ({"evidence_url": "javascript:alert(1)"}, "evidence_url"),
    ]
    for over, field in cases:
        response = _post(client, world, **over)
        assert response.status_code == 422, (over, response.content)
        assert field in _detail(response), (over, response.json())
    assert PlanTask.objects.count() == 0
    # an update cannot move a task to another region, nor be made by another area's regulator
    task = _post(client, world).json()
    moved = client.patch(
        f"/api/indicators/tasks/{task['id']}",
        data=json.dumps({"region": "330200"}),
        content_type="application/json",
        **world.auth("regulator"),
    )
    assert moved.status_code == 422 and "region" in _detail(moved)
    hidden = client.patch(
        f"/api/indicators/tasks/{task['id']}",
        data=json.dumps({"status": "done"}),
        content_type="application/json",
        **world.auth("regulator_nb"),
    )
    assert hidden.status_code == 404  # Ningbo's regulator does not see the province's tasks
