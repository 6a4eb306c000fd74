"""The production sender: Vonage's SMS API through the official `vonage` SDK (4.x).

Configured by VONAGE_API_KEY, VONAGE_API_SECRET, VONAGE_FROM and, for a
proxy or a test server, VONAGE_REST_HOST (host[:port]; the SDK always speaks
HTTPS and trusts the CA named by the standard REQUESTS_CA_BUNDLE).

Four things about the SDK shape this module (docs/field-notes.md):
- On a dropped connection the SDK re-sends the POST up to `pool_maxsize`
  times: one send could become ten paid SMS. `pool_maxsize=1` and no urllib3
  retries make one send at most one request.
- Its `vonage` logger prints the request (the passcode) and the headers at
  DEBUG: the logger is held at INFO or above.
- It keeps one header dict per client, which other APIs change: SMS gets a
  client of its own, one per thread (a requests Session is not meant to be
  shared between threads).
- `import vonage` loads every API the SDK has (about 30 MiB of models): only
  its SMS part (`vonage_sms`) and HTTP client (`vonage_http_client`) are loaded.

Every failure becomes `SmsError(status, reason)` with a short, safe status
("1", "29", "http-503", "timeout", "connection" ...); the reason never holds
the message text or a credential.
"""
import logging
import re
import threading

from importlib.metadata import version

import requests
from vonage_http_client import Auth, HttpClient, HttpClientOptions
from vonage_http_client.errors import HttpRequestError
from vonage_sms import Sms, SmsMessage
from vonage_sms.errors import PartialFailureError
from vonage_sms.errors import SmsError as VonageSmsError
from vonage_utils.errors import VonageError

from sms.base import SmsError, SmsSender
from core.phones import mask_phone

log = logging.getLogger(__name__)

SDK_VERSION = version("vonage")  # what the SDK's User-Agent says
REQUIRED_SETTINGS = ("VONAGE_API_KEY", "VONAGE_API_SECRET", "VONAGE_FROM")
MAX_TIMEOUT_SECONDS = 10
# The loggers that may print request bodies or headers at DEBUG.
QUIET_LOGGERS = ("vonage", "vonage_http_client")

# GSM 03.38 basic set and extension table: text made only of these goes out as
# "text"; anything else (a site name in Japanese, say) needs "unicode" or the
# phone shows question marks.
GSM_CHARACTERS = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    "^{}\\[~]|€"
)
STATUS_RE = re.compile(r"error code (\d+)")
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


def _quiet_vonage_loggers():
    """Keep the SDK's loggers above DEBUG, whatever the root logger says (checklist item 31)."""
    for name in QUIET_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < logging.INFO:  # NOTSET (0) would inherit a DEBUG root
            logger.setLevel(logging.INFO)


def _valid_sender_id(sender_id):
    """A number (E.164, with or without "+") or an alphanumeric sender id of at most 11 characters."""
    if re.fullmatch(r"\+?\d{1,15}", sender_id):
        return True
    compact = sender_id.replace(" ", "")  # Vonage ignores spaces in sender names
    return bool(re.fullmatch(r"[A-Za-z0-9]{1,11}", compact))


# Characters of the GSM extension table: each takes two of a part's 160 septets.
GSM_EXTENSION = set("^{}\\[~]|€")


def message_type(text):
    return "text" if set(text) <= GSM_CHARACTERS else "unicode"


def message_parts(text):
    """How many SMS parts (each billed as one message) `text` needs.

    GSM 03.38 text: 160 septets in one part, 153 a part when split. Anything
    else goes as UCS-2: 70 code units in one part, 67 when split (a character
    beyond the Basic Multilingual Plane, an emoji say, takes two).
    """
    if message_type(text) == "text":
        length, single, split = sum(2 if c in GSM_EXTENSION else 1 for c in text), 160, 153
    else:
        length, single, split = len(text.encode("utf-16-le")) // 2, 70, 67
    return 1 if length <= single else -(-length // split)


class VonageSender(SmsSender):
    name = "vonage"

    def __init__(self, api_key, api_secret, sender_id, rest_host=None, timeout=MAX_TIMEOUT_SECONDS):
        self._api_key = api_key
        self._api_secret = api_secret
        # Vonage wants numbers without the leading "+"; a name is sent as typed.
        self.sender_id = sender_id[1:] if re.fullmatch(r"\+\d+", sender_id) else sender_id
        self.rest_host = rest_host or None
        self.timeout = timeout
        self._local = threading.local()
        _quiet_vonage_loggers()

    def __repr__(self):  # never the secret, even in a debugger or a traceback
        return f"<VonageSender from={self.sender_id!r} host={self.rest_host or 'rest.nexmo.com'}>"

    @classmethod
    def from_config(cls, config):
        """Build the sender from settings; SystemExit names what is missing or wrong."""
        missing = [name for name in REQUIRED_SETTINGS if not str(config.get(name) or "").strip()]
        if missing:
            raise SystemExit(
                "Refusing to start: SMS_BACKEND=vonage needs " + ", ".join(missing)
                + ". Find the API key and secret on the Vonage dashboard (see the README, "
                "\"Sending real SMS with Vonage\")."
            )
        timeout = config.get("SMS_TIMEOUT_SECONDS", MAX_TIMEOUT_SECONDS)
        if isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout <= MAX_TIMEOUT_SECONDS:
            raise SystemExit(
                f"Refusing to start: SMS_TIMEOUT_SECONDS={timeout!r} must be a whole number of seconds "
                f"from 1 to {MAX_TIMEOUT_SECONDS}."
            )
        sender_id = str(config["VONAGE_FROM"]).strip()
        if not _valid_sender_id(sender_id):
            raise SystemExit(
                f"Refusing to start: VONAGE_FROM={sender_id!r} is neither a number (up to 15 digits, "
                "e.g. 14155550100) nor a sender name of 1 to 11 letters and digits."
            )
        rest_host = (config.get("VONAGE_REST_HOST") or "").strip() or None
        if rest_host and not re.fullmatch(r"[A-Za-z0-9.-]+(:\d{1,5})?", rest_host):
            raise SystemExit(
                f"Refusing to start: VONAGE_REST_HOST={rest_host!r} must be host or host:port, "
                "without https:// or a path (the SDK always uses HTTPS)."
            )
        return cls(
            api_key=str(config["VONAGE_API_KEY"]).strip(),
            api_secret=str(config["VONAGE_API_SECRET"]).strip(),
            sender_id=sender_id,
            rest_host=rest_host,
            timeout=timeout,
        )

    def _sms_api(self):
        """This thread's SMS client (made on first use)."""
        api = getattr(self._local, "sms", None)
        if api is None:
            options = {"timeout": self.timeout, "pool_connections": 1, "pool_maxsize": 1, "max_retries": 0}
            if self.rest_host:
                options["rest_host"] = self.rest_host
            # The SDK's SMS part and its HTTP client, as `vonage.Vonage` builds them, without the
            # fourteen other APIs `vonage.Vonage` loads: about 30 MiB less in every worker.
            client = HttpClient(Auth(api_key=self._api_key, api_secret=self._api_secret),
                                HttpClientOptions(**options), SDK_VERSION)
            api = self._local.sms = Sms(client)
        return api

    def send(self, to, text):
        """Send `text` to the E.164 number `to`: one HTTPS request at most. Returns Vonage's message id."""
        try:
            message = SmsMessage(to=to.lstrip("+"), from_=self.sender_id, text=text, type=message_type(text))
            response = self._sms_api().send(message)
        except Exception as error:  # every failure is one "could not send" (checklist item 14)
            status, reason = describe_failure(error)
            reason = CONTROL_RE.sub(" ", reason)  # the provider's error text must not forge log lines
            log.warning("Vonage SMS to %s not sent: status=%s %s", mask_phone(to), status, reason)
            raise SmsError(status, reason) from None
        first = response.messages[0] if response.messages else None
        message_id = (first.message_id if first else None) or ""
        log.info("Vonage SMS to %s accepted: id=%s parts=%s price=%s", mask_phone(to), message_id,
                 response.message_count, first.message_price if first else "?")
        return message_id


def describe_failure(error):
    """(status, reason) for any exception from a send; short and free of secrets and message text."""
    if isinstance(error, PartialFailureError):
        data = error.response if isinstance(error.response, dict) else {}
        failed = [m for m in data.get("messages", []) if str(m.get("status")) != "0"]
        first = failed[0] if failed else {}
        return f"partial-{first.get('status', '?')}", f"Vonage sent only part of the message: {first.get('error-text', '')}"[:200]
    if isinstance(error, VonageSmsError):
        text = str(error)
        match = STATUS_RE.search(text)
        status = match.group(1) if match else "error"
        reason = text.split(":", 1)[1].strip() if ":" in text else text
        return status, f"Vonage status {status}: {reason}"[:200]
    if isinstance(error, HttpRequestError):
        code = getattr(error.response, "status_code", "?")
        return f"http-{code}", f"the SMS API answered HTTP {code}"
    if isinstance(error, requests.Timeout):
        # The provider may still deliver this one: the caps count it as sent.
        return "timeout", "no answer from the SMS API in time"
    if isinstance(error, requests.exceptions.SSLError):
        return "tls", "TLS failed with the SMS API (check REQUESTS_CA_BUNDLE and VONAGE_REST_HOST)"
    if isinstance(error, requests.ConnectionError):
        text = str(error)
        if "RemoteDisconnected" in text or "Connection aborted" in text:
            return "connection", "the SMS API closed the connection without answering"
        return "connection", "could not connect to the SMS API"
    if isinstance(error, requests.RequestException):
        return "request", f"request to the SMS API failed ({type(error).__name__})"
    if isinstance(error, VonageError):
        return "error", f"Vonage SDK error ({type(error).__name__})"
    # A 2xx answer that is not the documented JSON (a proxy's page, say), or a bug.
    return "error", f"unexpected failure while sending ({type(error).__name__})"
