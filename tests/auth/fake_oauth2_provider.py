"""A tiny, real Dataporten-like OAuth2 provider for tests, served over HTTP on loopback.

It answers the three endpoints our backend talks to:

* ``GET /oauth/authorization`` -> 302 to ``redirect_uri`` with a one-time ``code`` and the ``state``;
* ``POST /oauth/token`` -> the access token for a valid code and client credentials;
* ``GET /userinfo`` (``Authorization: Bearer``) -> the user, with ``audience`` = the client id.

Tests set ``provider.user`` (the userinfo ``user`` object) and may set ``provider.audience`` or
``provider.fail`` (``{"token": 500}`` for an error status, ``{"userinfo": "garbage"}`` for a 200
that is not JSON) to exercise the failure paths. Every request is recorded.
"""

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

PORT_RANGE = range(8400, 8500)


class FakeOAuth2Provider:
    def __init__(self, client_id: str, client_secret: str):
        self.client_id = client_id
        self.client_secret = client_secret
        self.user = {}
        self.audience = client_id
        self.fail = {}
        self.requests = []
        self.codes = {}
        self.access_tokens = set()
        self._server = None
        self._thread = None

    # lifecycle --------------------------------------------------------------------------------

    def start(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                provider._handle(self, "GET")

            def do_POST(self):
                provider._handle(self, "POST")

        for port in PORT_RANGE:
            try:
                self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
                break
            except OSError:
                continue
        else:
            raise RuntimeError("No free port in 8400-8499 for the fake OAuth2 provider")
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def authorization_url(self) -> str:
        return f"{self.base_url}/oauth/authorization"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/oauth/token"

    @property
    def userinfo_url(self) -> str:
        return f"{self.base_url}/userinfo"

    # request handling -------------------------------------------------------------------------

    def _handle(self, handler, method):
        parts = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        form = {k: v[0] for k, v in parse_qs(body).items()}
        self.requests.append(
            {
                "method": method,
                "path": parts.path,
                "query": query,
                "form": form,
                "headers": dict(handler.headers),
            }
        )
        routes = {
            ("GET", "/oauth/authorization"): self._authorize,
            ("POST", "/oauth/token"): self._token,
            ("GET", "/userinfo"): self._userinfo,
        }
        route = routes.get((method, parts.path))
        if route is None:
            return self._json(handler, 404, {"error": "not_found"})
        return route(handler, query, form)

    def _failure(self, handler, endpoint):
        failure = self.fail[endpoint]
        if failure == "garbage":
            payload = b"<html>Service temporarily unavailable</html>"
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
            return None
        return self._json(handler, failure, {"error": "server_error"})

    def _json(self, handler, status, data):
        payload = json.dumps(data).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def _authorize(self, handler, query, form):
        if query.get("client_id") != self.client_id or query.get("response_type") != "code":
            return self._json(handler, 400, {"error": "invalid_request"})
        code = secrets.token_hex(8)
        self.codes[code] = query["redirect_uri"]
        params = {"code": code}
        if "state" in query:
            params["state"] = query["state"]
        handler.send_response(302)
        handler.send_header("Location", f"{query['redirect_uri']}?{urlencode(params)}")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def _token(self, handler, query, form):
        if "token" in self.fail:
            return self._failure(handler, "token")
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return self._json(handler, 401, {"error": "invalid_client"})
        redirect_uri = self.codes.pop(form.get("code", ""), None)
        if form.get("grant_type") != "authorization_code" or redirect_uri != form.get("redirect_uri"):
            return self._json(handler, 400, {"error": "invalid_grant"})
        token = secrets.token_hex(16)
        self.access_tokens.add(token)
        return self._json(
            handler,
            200,
            {"access_token": token, "token_type": "Bearer", "expires_in": 3600, "scope": "userid profile"},
        )

    def _userinfo(self, handler, query, form):
        if "userinfo" in self.fail:
            return self._failure(handler, "userinfo")
        auth = handler.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[len("Bearer ") :] not in self.access_tokens:
            return self._json(handler, 401, {"error": "invalid_token"})
        return self._json(handler, 200, {"user": self.user, "audience": self.audience})
