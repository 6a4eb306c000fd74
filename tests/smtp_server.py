"""A real SMTP server for the tests (aiosmtpd) on 127.0.0.1 and a free port.

`SmtpServer(tls=True)` makes a throw-away CA and a certificate for
127.0.0.1, requires STARTTLS and a login, and exposes the CA file so a test
can make the app trust it (SSL_CERT_FILE).
"""
import datetime
import email
import email.policy
import socket
import ssl

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Collect:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "message": message,
                              "body": message.get_content(),
                              "tls": server.transport.get_extra_info("ssl_object") is not None,
                              "authenticated": bool(getattr(session, "authenticated", False))})
        return "250 OK"


def _certificates(directory):
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test mail CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(hours=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = {name: str(directory / f"{name}.pem") for name in ("ca", "cert", "key")}
    with open(paths["ca"], "wb") as handle:
        handle.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(paths["cert"], "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(paths["key"], "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return paths


class SmtpServer:
    def __init__(self, directory=None, tls=False, username="mailer", password="mail-secret", implicit_tls=False,
                 port=None):
        # `port`: start again where a stopped server was (the app keeps its MAIL_PORT).
        self.port = port or free_port()
        self.handler = _Collect()
        kwargs = {}
        self.ca_file = None
        if tls:
            paths = _certificates(directory)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(paths["cert"], paths["key"])
            self.ca_file = paths["ca"]

            def authenticate(server, session, envelope, mechanism, auth_data):
                ok = auth_data.login == username.encode() and auth_data.password == password.encode()
                return AuthResult(success=ok)

            kwargs = {"authenticator": authenticate, "auth_require_tls": True, "auth_required": True}
            if implicit_tls:
                # TLS from the first byte, like port 465. aiosmtpd only counts STARTTLS as TLS for AUTH,
                # so it must be told to offer AUTH here; the test checks the session was TLS.
                kwargs.update(ssl_context=context, auth_require_tls=False)
            else:
                kwargs.update(tls_context=context, require_starttls=True)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)

    # An app whose mail queue is sent (as its sender thread would) before `messages` is read.
    app = None

    @property
    def messages(self):
        if self.app is not None:
            from conftest import deliver_mail

            deliver_mail(self.app)
        return self.handler.messages

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


class SmtpMailbox:
    """The conftest Mailbox interface over what a SmtpServer received: [(to, subject, body)], oldest first."""

    def __init__(self, server, app=None):
        self.server = server
        self.app = app

    def messages(self, to=None):
        if self.app is not None:
            from conftest import deliver_mail

            deliver_mail(self.app)
        return [(", ".join(m["to"]), str(m["message"]["Subject"]), m["body"]) for m in self.server.messages
                if to is None or m["to"] == [to]]

    def last_link(self, to, path):
        from conftest import LINK_RE

        for _to, _subject, body in reversed(self.messages(to)):
            for link in LINK_RE.findall(body):
                if link.startswith(path + "?"):
                    return link
        raise AssertionError(f"no {path} link was mailed to {to}")


class SilentSmtpServer:
    """A mail server that accepts connections and never says a word (not even the SMTP greeting).

    A client waits on it until its own timeout: the worst case for anything
    that talks SMTP while someone waits. `connections` counts the accepted
    ones; `close()` hangs up on them.
    """

    def __init__(self):
        import threading

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.accepted = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self):
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(connection)

    @property
    def connections(self):
        return len(self.accepted)

    def __enter__(self):
        self._thread.start()
        return self

    def close(self):
        for connection in self.accepted:
            connection.close()
        self.sock.close()

    def __exit__(self, *exc):
        self.close()
