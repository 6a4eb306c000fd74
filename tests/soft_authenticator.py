"""A software WebAuthn authenticator for the tests: real registration and assertion responses.

It answers the server's own options (JSON, as static/js/passkeys.js receives
them) the way a browser and an authenticator together would: an ES256 key
made with `cryptography`, "none" attestation, authenticator data with the
relying-party id's hash, flags and a sign counter, and a signature over
authenticator data + SHA-256(clientDataJSON). py_webauthn then checks these
for real; nothing of the app is replaced.
"""
import base64
import hashlib
import json
import os
import struct

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftAuthenticator:
    """One passkey on one authenticator. `synced`: backup eligible and backed up (like a synced passkey,
    which also keeps its counter at 0 when `counting` is False)."""

    def __init__(self, origin="https://localhost", rp_id="localhost", synced=False, counting=True):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.origin, self.rp_id = origin, rp_id
        self.synced, self.counting = synced, counting
        self.sign_count = 0

    @property
    def id(self):
        return b64url(self.credential_id)

    def _public_key(self):
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    def _authenticator_data(self, rp_id, attested):
        flags = UP | UV | (BE | BS if self.synced else 0) | (AT if attested else 0)
        data = hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", self.sign_count)
        if attested:
            data += bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + self._public_key()
        return data

    def _client_data(self, kind, options, origin):
        return json.dumps({"type": kind, "challenge": options["challenge"], "origin": origin or self.origin,
                           "crossOrigin": False}).encode()

    def create(self, options_json, origin=None, rp_id=None):
        """The browser's JSON answer to navigator.credentials.create() with these options."""
        options = json.loads(options_json) if isinstance(options_json, str) else options_json
        client_data = self._client_data("webauthn.create", options, origin)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {},
                                   "authData": self._authenticator_data(rp_id or self.rp_id, attested=True)})
        return json.dumps({
            "id": self.id, "rawId": self.id, "type": "public-key", "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {"clientDataJSON": b64url(client_data), "attestationObject": b64url(attestation),
                         "transports": ["hybrid", "internal"]},
        })

    def get(self, options_json, origin=None, rp_id=None, counter=None):
        """The browser's JSON answer to navigator.credentials.get(); `counter` forces the sign count."""
        options = json.loads(options_json) if isinstance(options_json, str) else options_json
        if counter is not None:
            self.sign_count = counter
        elif self.counting:
            self.sign_count += 1
        client_data = self._client_data("webauthn.get", options, origin)
        data = self._authenticator_data(rp_id or self.rp_id, attested=False)
        signature = self.key.sign(data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return json.dumps({
            "id": self.id, "rawId": self.id, "type": "public-key", "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {"clientDataJSON": b64url(client_data), "authenticatorData": b64url(data),
                         "signature": b64url(signature), "userHandle": None},
        })
