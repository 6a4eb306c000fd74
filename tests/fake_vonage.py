"""A fake of Vonage's SMS API, written by us, for the tests.

An HTTPS server on 127.0.0.1 (a random free port, in a thread) with a
throw-away CA and server certificate made at test time with `cryptography`
(subjectAltName IP:127.0.0.1). The real `vonage` SDK talks to it when the app
has VONAGE_REST_HOST=127.0.0.1:PORT and REQUESTS_CA_BUNDLE names the CA.

It answers `POST /sms/json` in the shape of Vonage's documentation
(https://developer.vonage.com/en/api/sms):

    {"message-count": "1",
     "messages": [{"to": "819012345678", "message-id": "...", "status": "0",
                   "remaining-balance": "...", "message-price": "...", "network": "..."}]}

and, for a refused message, `{"status": "29", "error-text": "..."}` in
`messages`. Wrong Basic-auth credentials get status 4, as Vonage does.

Every request is recorded (form fields and Basic-auth). Faults are scripted
one request at a time: `fake.script(Status(1), Http(503), SLOW, DROP)`; once
the script is used up the fake answers status 0 again. A refused connection
needs nothing listening: `closed_port()`.
"""
import base64
import datetime
import ipaddress
import json
import os
import re
import socket
import ssl
import threading
import uuid
from collections import namedtuple
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

API_KEY = "fakekey1"
API_SECRET = "fake-Secret-9f3a"
CODE_RE = re.compile(r"#(\d{6})\s*$")

# Vonage's documented SMS API status codes (a few).
ERROR_TEXTS = {
    "1": "Throttled",
    "2": "Missing Parameters",
    "4": "Bad Credentials",
    "5": "Internal Error",
    "9": "Partner quota violation",
    "29": "Non-White-listed Destination",
}

Status = namedtuple("Status", "code")  # HTTP 200 with this Vonage status
Http = namedtuple("Http", "code")  # this HTTP status, Vonage's JSON error body
Partial = namedtuple("Partial", "code")  # two parts: the first sent, the second refused with `code`
SLOW = "slow"  # answer only after the client has given up (or the test ends)
DROP = "drop"  # read the request, then close the connection without a byte
GARBAGE = "garbage"  # HTTP 200 with an HTML page, as a misconfigured proxy might

Request = namedtuple("Request", "path form username password headers")


def make_certificates(directory):
    """Write a throw-away CA and a server certificate for 127.0.0.1; return (ca, cert, key) paths."""
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(hours=1), now + datetime.timedelta(days=1)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Fake Vonage test CA")])
    ca_cert = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                    x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = tuple(os.path.join(directory, name) for name in ("ca.pem", "server.pem", "server-key.pem"))
    with open(paths[0], "wb") as handle:
        handle.write(ca_cert.public_bytes(serialization.Encoding.PEM))
    with open(paths[1], "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(paths[2], "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return paths


def closed_port():
    """A port on 127.0.0.1 with nothing listening (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeVonage/1.0"

    def log_message(self, *args):  # keep the test output clean
        pass

    def do_POST(self):
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8")
        form = {key: values[-1] for key, values in parse_qs(body, keep_blank_values=True).items()}
        username = password = None
        scheme, _, credentials = (self.headers.get("Authorization") or "").partition(" ")
        if scheme == "Basic":
            username, _, password = base64.b64decode(credentials).decode().partition(":")
        fake.record(Request(self.path, form, username, password, dict(self.headers)))
        behaviour = fake.next_behaviour()

        if behaviour == DROP:
            self.close_connection = True  # nothing written: the client sees RemoteDisconnected
            return
        if behaviour == SLOW:
            fake.release.wait(30)
            self.close_connection = True
            return
        if behaviour == GARBAGE:
            return self._answer(200, b"<html><body>Proxy login</body></html>", "text/html")
        if isinstance(behaviour, Http):
            return self._json(behaviour.code, {"type": "https://developer.vonage.com/api-errors",
                                               "title": "Fake HTTP error", "detail": f"HTTP {behaviour.code}"})
        if self.path != "/sms/json":
            return self._json(404, {"title": "Not found"})
        if (username, password) != (fake.api_key, fake.api_secret) and form.get("api_key") != fake.api_key:
            return self._json(200, _refusal("4"))
        if not all(form.get(name) for name in ("to", "from", "text")):
            return self._json(200, _refusal("2"))
        if isinstance(behaviour, Status) and str(behaviour.code) != "0":
            return self._json(200, _refusal(str(behaviour.code)))
        if isinstance(behaviour, Partial):
            return self._json(200, {"message-count": "2",
                                    "messages": [_accepted(form["to"]), _refusal(str(behaviour.code))["messages"][0]]})
        return self._json(200, {"message-count": "1", "messages": [_accepted(form["to"])]})

    def _json(self, status, data):
        self._answer(status, json.dumps(data).encode(), "application/json")

    def _answer(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _accepted(to):
    return {"to": to, "message-id": uuid.uuid4().hex[:16].upper(), "status": "0",
            "remaining-balance": "12.34000000", "message-price": "0.07500000", "network": "44010"}


def _refusal(status):
    return {"message-count": "1", "messages": [{"status": status, "error-text": ERROR_TEXTS.get(status, "Error")}]}


class _TlsServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake, context):
        self.fake = fake
        self.context = context
        super().__init__(("127.0.0.1", 0), _Handler)

    def finish_request(self, request, client_address):
        # The TLS handshake runs in the request's own thread, so a slow client
        # cannot hold up the accept loop.
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        except (ConnectionError, ssl.SSLError, OSError):
            pass  # the client gave up (timeout test): nothing to report
        finally:
            tls.close()


class FakeVonage:
    """The fake SMS API. `start()` once, `reset()` before each test."""

    def __init__(self, cert_dir):
        self.ca_path, cert_path, key_path = make_certificates(cert_dir)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        self.api_key, self.api_secret = API_KEY, API_SECRET
        self._lock = threading.Lock()
        self._requests = []
        self._script = []
        self.release = threading.Event()
        self._server = _TlsServer(self, context)
        self.port = self._server.server_address[1]
        self.host = f"127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-vonage", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def reset(self):
        """Forget requests and script; let any slow answer still waiting go."""
        self.release.set()
        with self._lock:
            self._requests.clear()
            self._script.clear()
        self.release = threading.Event()

    def script(self, *behaviours):
        """Answer the next requests with these behaviours, in order, then status 0 again."""
        with self._lock:
            self._script.extend(behaviours)

    def record(self, request):
        with self._lock:
            self._requests.append(request)

    def next_behaviour(self):
        with self._lock:
            return self._script.pop(0) if self._script else Status("0")

    @property
    def requests(self):
        with self._lock:
            return list(self._requests)

    # The same reading interface as the tests' Outbox, so `Auth` can use either.
    def messages(self, phone=None):
        to = phone.lstrip("+") if phone else None
        return [r.form.get("text", "") for r in self.requests
                if r.path == "/sms/json" and (to is None or r.form.get("to") == to)]

    def count(self, phone=None):
        return len(self.messages(phone))

    def last_code(self, phone=None):
        messages = self.messages(phone)
        assert messages, "no SMS reached the fake Vonage"
        return CODE_RE.search(messages[-1]).group(1)
