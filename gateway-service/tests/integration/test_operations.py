"""Health, readiness, request ids across services, rate limits, timeouts and the docs page."""

import logging
import re

from consignment_service.testing import CLASSIC_CONSIGNMENT
from shippy_common.logs import RequestIdFilter
from shippy_common.testing.waits import eventually


def test_health_and_ready(gateway):
    assert gateway.client.get("/health").json() == {"status": "ok"}
    ready = gateway.client.get("/ready")
    assert ready.status_code == 200, ready.text
    checks = {"rabbitmq": "ok", "user_service": "ok", "consignment_service": "ok", "vessel_service": "ok"}
    assert ready.json()["checks"] == checks


def test_ready_is_503_naming_a_stopped_service(platform, start_gateway):
    gateway = start_gateway(GATEWAY_READY_TIMEOUT_SECONDS=1)
    platform.stop()  # consignment_service
    response = gateway.client.get("/ready")
    assert response.status_code == 503
    document = response.json()
    assert "consignment_service" in document["detail"]
    assert document["checks"]["user_service"] == "ok"
    assert document["checks"]["consignment_service"] != "ok"


def test_a_service_that_does_not_answer_is_504_not_a_hang(platform, start_gateway, http_user):
    gateway = start_gateway(GATEWAY_RPC_TIMEOUT_SECONDS=1)
    _, _, headers = http_user()
    platform.stop()
    response = gateway.client.get("/v1/consignments", headers=headers)
    assert response.status_code == 504
    assert "consignment_service" in response.json()["detail"]


def test_a_service_never_started_is_503_at_once(rabbit_config, start_gateway):
    gateway = start_gateway(GATEWAY_READY_TIMEOUT_SECONDS=1)
    response = gateway.client.get("/v1/consignments", headers={"Authorization": "Bearer abc"})
    assert response.status_code == 503
    assert response.json()["detail"] == "consignment_service is not running"
    assert gateway.client.get("/ready").status_code == 503


def test_the_request_id_is_echoed_and_in_every_services_log_lines(gateway, http_user, caplog):
    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.INFO)
    _, _, headers = http_user()
    request_id = "trace-me-0042"
    booked = gateway.client.post(
        "/v1/consignments", json=CLASSIC_CONSIGNMENT, headers={**headers, "X-Request-ID": request_id}
    )
    assert booked.status_code == 201
    assert booked.headers["x-request-id"] == request_id
    lines = [record for record in caplog.records if getattr(record, "request_id", None) == request_id]
    calls = {record.getMessage().split()[0] for record in lines if record.name == "shippy.calls"}
    # consignment_service worked on it, and so did the services it called for it.
    assert {"consignment_service.create_consignment", "user_service.validate_token", "vessel_service.book"} <= calls
    # The access line is written once the answer is sent: it may reach the output just after.
    access_line = f"[{request_id}]: POST /v1/consignments 201"
    eventually(lambda: access_line in gateway.process.output, timeout=10, what="the gateway's access line")


def test_an_insane_request_id_is_replaced(gateway):
    for sent in ("x" * 65, "a b", "<script>", "-x"):
        answered = gateway.client.get("/health", headers={"X-Request-ID": sent}).headers["x-request-id"]
        assert answered != sent and re.fullmatch(r"[0-9a-f]{32}", answered)
    assert gateway.client.get("/health").headers["x-request-id"]


def test_sign_up_and_log_in_are_rate_limited_per_address(rabbit_config, start_gateway):
    gateway = start_gateway(GATEWAY_RATE_LIMIT_LOG_IN="2/minute", GATEWAY_RATE_LIMIT_SIGN_UP="1/minute")
    short = {"email": "a@example.com", "password": "short"}  # refused by the gateway, no service needed
    assert [gateway.client.post("/v1/tokens", json=short).status_code for _ in range(2)] == [422, 422]
    limited = gateway.client.post("/v1/tokens", json=short)
    assert limited.status_code == 429
    assert limited.headers["content-type"] == "application/problem+json"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert gateway.client.post("/v1/users", json={}).status_code == 422
    assert gateway.client.post("/v1/users", json={}).status_code == 429
    assert gateway.client.get("/health").status_code == 200


def test_openapi_is_3_1_and_the_docs_page_loads_nothing_from_elsewhere(rabbit_config, start_gateway):
    gateway = start_gateway()
    document = gateway.client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert {"/v1/users", "/v1/tokens", "/v1/users/me", "/v1/consignments", "/v1/consignments/{consignment_id}"} <= set(
        document["paths"]
    )
    page = gateway.client.get("/docs")
    assert page.status_code == 200 and "swagger-ui" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(asset.startswith("/") and not asset.startswith("//") for asset in assets)
    for asset in assets:
        assert gateway.client.get(asset).status_code == 200, asset
    script = gateway.client.get("/docs/docs.js").text
    assert "http" not in script
