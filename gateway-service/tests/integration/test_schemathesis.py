"""Property-based tests generated from /openapi.json (schemathesis): no 5xx, and every
response as the document says (status, content type, schema, headers)."""

import re
import subprocess
import sys
from pathlib import Path

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def test_the_api_keeps_its_document(gateway, http_user, set_role, tmp_path):
    profile, token, _ = http_user()
    set_role(profile["id"], "admin")  # so that listing users is exercised too, not only refused
    command = [
        SCHEMATHESIS,
        "run",
        f"{gateway.url}/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        "12",
        "--seed",
        "14",
        "--phases",
        "examples,coverage,fuzzing",
        "--header",
        f"Authorization: Bearer {token}",
        "--request-timeout",
        "30",
        "--no-color",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    server_errors = re.findall(r"gateway_service\.access \[[^]]*\]: \S+ \S+ 5\d\d in", gateway.process.output)
    assert not server_errors, server_errors[:5]
