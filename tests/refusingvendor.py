"""A DataForSEO stand-in that refuses every call in an HTTP-200 body with a chosen status
message: how the suites put a vendor's own words (escape sequences, secrets) in front of
the command's stderr lines."""

from __future__ import annotations

import json

from seotasks.emulation import Fault, HttpRequest, HttpResponse, json_response


class RefusingVendor:
    """Every call answered ``{"status_code": 40501, "status_message": message}``."""

    def __init__(self, message: str) -> None:
        self.message = message

    def handle(self, request: HttpRequest, fault: Fault | None) -> HttpResponse:
        body = {"status_code": 40501, "status_message": self.message, "tasks": []}
        return json_response(200, json.dumps(body).encode())
