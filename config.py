"""Settings read from the environment, each with a documented default.

Every name here is listed in the README's settings table. `load_settings()`
turns the environment into a plain dict that `create_app()` merges into
`app.config`; nothing in here imports Flask, so the CLI and the tests can
read settings the same way.
"""
import os
from decimal import Decimal, InvalidOperation

# Secret keys seen in tutorials and templates: refusing them in production
# stops the most common self-hosting mistake.
WELL_KNOWN_SECRET_KEYS = {
    "", "dev", "development", "secret", "secret-key", "secretkey", "changeme",
    "change-me", "change_me", "your-secret-key", "please-change-me", "test",
    "default", "flask", "key", "insecure",
}

# (name, type, default, meaning). The README's table is written from this list.
SETTINGS = [
    ("SECRET_KEY", str, None, "Signs sessions and keys passcode hashes. Required outside debug; at least 32 characters."),
    ("DATABASE_URL", str, None, "Peewee db_url, e.g. postgresql://user@host/db. Default: sqlite file instance/app.sqlite3."),
    ("SMS_BACKEND", str, "outbox", "outbox (stores messages, shown at /dev/outbox in debug) or vonage."),
    ("ALLOW_SIGNUP", bool, True, "0 switches /signup off; accounts are then made with the CLI."),
    ("SITE_NAME", str, "beSTREAM", "Name shown in pages and SMS."),
    ("PUBLIC_HOST", str, "localhost", "Host name used in the SMS origin-bound line @host #code, and the "
     "passkeys' relying-party id (a host name, not an IP address)."),
    ("PASSKEY_ORIGINS", str, None, "Comma-separated origins passkeys may be used from, e.g. "
     "https://example.com,https://www.example.com; each must be PUBLIC_HOST or under it. Default: "
     "https://PUBLIC_HOST (in debug: also the address the browser used, when its host is PUBLIC_HOST)."),
    ("PHONE_REGION", str, "JP", "Region (ISO 3166) for numbers typed without +country code."),
    ("TIME_ZONE", str, "Asia/Tokyo", "IANA time zone of the times on pages and in e-mails, for users who have not "
     "chosen their own on the Account page."),
    ("SMS_ALLOWED_COUNTRIES", str, "JP", "Comma-separated ISO 3166 codes SMS may be sent to."),
    ("ARGON2_TIME_COST", int, None, "argon2id time cost of passwords and recovery codes (argon2-cffi default when unset)."),
    ("ARGON2_MEMORY_COST", int, None, "argon2id memory cost in KiB of passwords and recovery codes (argon2-cffi default when unset)."),
    ("ARGON2_PARALLELISM", int, None, "argon2id parallelism of passwords and recovery codes (argon2-cffi default when unset)."),
    ("PASSCODE_TTL_SECONDS", int, 300, "How long an SMS passcode is valid."),
    ("PASSCODE_MAX_ATTEMPTS", int, 5, "Wrong entries that void a passcode."),
    ("LOCKOUT_FAILURES", int, 10, "Consecutive second-step failures that lock an account's second step."),
    ("LOCKOUT_MINUTES", int, 15, "How long that lock lasts."),
    ("PENDING_SIGNIN_MINUTES", int, 10, "How long a correct password waits for the second step."),
    ("REAUTH_MINUTES", int, 10, "How recent the password typed again (not at sign-in) and the step-up passcode "
     "must be for Off, Unsubscribe, a new number and a new recovery code."),
    ("TWO_STEP_OFF_MAX_DAYS", int, 7, "Off turns back on by itself after this many days (0 = never)."),
    ("SMS_RESEND_COOLDOWN_SECONDS", int, 30, "Wait between two SMS for the same verification."),
    ("SMS_PER_ACCOUNT_HOUR", int, 5, "SMS per account per hour."),
    ("SMS_PER_ACCOUNT_DAY", int, 10, "SMS per account per day."),
    ("SMS_PER_NUMBER_HOUR", int, 5, "SMS per phone number per hour."),
    ("SMS_PER_NUMBER_DAY", int, 10, "SMS per phone number per day."),
    ("SMS_NEW_NUMBERS_PER_ACCOUNT_DAY", int, 3, "Different new numbers an account may send codes to per day."),
    ("SMS_PER_IP_DAY", int, 20, "SMS per client per day to numbers not yet confirmed (set-up, new number). "
     "A client is an IPv4 address or an IPv6 /64."),
    ("SMS_PER_IP_DAY_ALL", int, 50, "SMS per client per day, all purposes together (sign-in codes included)."),
    ("SMS_SETUP_TO_TAKEN_NUMBER_DAY", int, 1, "Set-up SMS per day to a number another account has confirmed."),
    ("SMS_DAILY_LIMIT", int, 1000, "Global SMS budget per day, all accounts together."),
    ("SMS_SIGNIN_RESERVE_PERCENT", int, 50, "Share of SMS_DAILY_LIMIT that only sign-in and Enable codes to "
     "confirmed numbers may use."),
    ("SIGNUPS_PER_IP_DAY", int, 10, "Accounts one client may create per day (0 = no limit)."),
    ("PASSWORD_FREE_FAILURES", int, 5, "Wrong passwords in a row for one e-mail address before each further "
     "try must wait (1 minute, doubling)."),
    ("PASSWORD_MAX_DELAY_MINUTES", int, 60, "Longest wait between two password tries for one e-mail address."),
    ("SMS_TIMEOUT_SECONDS", int, 10, "Timeout of one call to the SMS provider (whole seconds, 1 to 10)."),
    ("VONAGE_API_KEY", str, None, "Vonage API key (SMS_BACKEND=vonage)."),
    ("VONAGE_API_SECRET", str, None, "Vonage API secret (SMS_BACKEND=vonage)."),
    ("VONAGE_FROM", str, None, "Sender name or number (SMS_BACKEND=vonage)."),
    ("VONAGE_REST_HOST", str, None, "host[:port] of the SMS API, for a proxy or a test server."),
    ("RATELIMIT_STORAGE_URI", str, "database://", "Where per-IP request limits are counted: database:// (the app's "
     "database, shared by every worker and host), redis://host:6379 (several busy servers) or memory:// "
     "(one worker only: gunicorn.conf.py refuses to start with it and several workers)."),
    ("RATELIMIT_SIGNIN", str, "20 per minute", "Per-IP limit on password and code submissions."),
    ("SMS_OUTBOX_IN_PRODUCTION", bool, False, "1 lets a server outside debug use the outbox sender (load tests, staging): "
     "it texts nobody and keeps passcodes in its table."),
    ("SESSION_MAX_DAYS", int, 14, "A signed-in session ends this many days after sign-in, used or not."),
    ("SESSION_COOKIE_SECURE", bool, None, "Send cookies over HTTPS only. Default: on outside debug."),
    ("TRUSTED_PROXIES", int, 0, "Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (0 = none)."),
    ("MAIL_BACKEND", str, "outbox", "outbox (stores security e-mails, shown at /dev/mail in debug) or smtp."),
    ("MAIL_SERVER", str, "localhost", "SMTP server host (MAIL_BACKEND=smtp)."),
    ("MAIL_PORT", int, 587, "SMTP server port; 465 means TLS from the first byte."),
    ("MAIL_USE_TLS", bool, True, "STARTTLS before logging in and sending (ignored on port 465, which is always TLS)."),
    ("MAIL_USERNAME", str, None, "SMTP user name (no login when unset)."),
    ("MAIL_PASSWORD", str, None, "SMTP password."),
    ("MAIL_FROM", str, None, "From address of security e-mails, e.g. beSTREAM <no-reply@example.com>. Required for smtp."),
    ("MAIL_TIMEOUT_SECONDS", int, 10, "Timeout of one SMTP conversation step, in seconds."),
    ("EMAIL_VERIFICATION", bool, True, "1: sign-up mails a confirmation link, and two-step set-up waits until the "
     "address is confirmed. 0: sign-up mails a welcome instead."),
    ("PASSWORD_RESET_MINUTES", int, 30, "How long a \"Forgot password?\" link works (it works once)."),
    ("PUBLIC_URL", str, None, "Start of the links in e-mails, e.g. https://example.com. Default: https://PUBLIC_HOST "
     "(in debug: the address the browser used)."),
    ("SUPPORT_CONTACT", str, None, "How users reach your support (an address, a URL or a phone number), shown on the "
     "help page for a lost phone and recovery code."),
    ("LOG_FORMAT", str, "text", "text (one readable line per record) or json (one JSON object per line); "
     "both carry the request id."),
    ("METRICS_BIND", str, None, "host:port of a separate listener that serves only /metrics (Prometheus); "
     "gunicorn.conf.py adds it to the binds. Keep it off the public network."),
    ("METRICS_TOKEN", str, None, "When set, the site's own /metrics answers a request with "
     "Authorization: Bearer <token>. Unset (and no METRICS_BIND): no metrics anywhere."),
    ("SMS_PRICES", str, None, "Price of one SMS by country for `flask sms usage`, e.g. JP=0.0712,US=0.0079,*=0.05 "
     "(* for every other country)."),
    ("SMS_PRICE_CURRENCY", str, "EUR", "Currency of SMS_PRICES, shown beside the estimated cost."),
    ("MAIL_QUEUE_THREAD", bool, True, "1: a thread in each worker sends the mail queue. 0: run "
     "`flask --app app mail send` from a timer instead."),
    ("MAIL_MAX_ATTEMPTS", int, 20, "Tries before a queued e-mail is marked failed (about 14 hours with the "
     "backoff; `flask --app app mail retry` tries again)."),
]


def _parse(kind, raw):
    if kind is bool:
        return raw.strip().lower() not in {"0", "false", "no", "off", ""}
    if kind is int:
        return int(raw)
    return raw


def load_settings(environ=None):
    """Return {name: value} for every setting present in `environ` or defaulted."""
    environ = os.environ if environ is None else environ
    settings = {}
    for name, kind, default, _meaning in SETTINGS:
        raw = environ.get(name)
        if raw is None:
            settings[name] = default
            continue
        try:
            settings[name] = _parse(kind, raw)
        except ValueError:
            raise SystemExit(f"Setting {name}={raw!r} is not a valid {kind.__name__}.") from None
    return settings


def secret_key_problem(key):
    """Why `key` must not be used in production, or None when it is fine."""
    if not key:
        return "SECRET_KEY is not set."
    if key.strip().lower() in WELL_KNOWN_SECRET_KEYS:
        return "SECRET_KEY is a well-known placeholder."
    if len(key) < 32:
        return "SECRET_KEY is shorter than 32 characters."
    return None


def parse_sms_prices(setting):
    """"JP=0.0712,US=0.0079,*=0.05" -> {"JP": Decimal("0.0712"), ...}; ValueError names the bad part."""
    prices = {}
    for part in (setting or "").split(","):
        part = part.strip()
        if not part:
            continue
        country, _, price = part.partition("=")
        country = country.strip().upper()
        if not (country == "*" or (len(country) == 2 and country.isalpha())):
            raise ValueError(f"SMS_PRICES: {part!r} is not COUNTRY=PRICE (an ISO 3166 code such as JP, or *).")
        try:
            prices[country] = Decimal(price.strip())
        except InvalidOperation:
            raise ValueError(f"SMS_PRICES: the price in {part!r} is not a number.") from None
        if prices[country] < 0:
            raise ValueError(f"SMS_PRICES: the price in {part!r} is negative.")
    return prices


LOG_FORMATS = ("text", "json")


def log_format_problem(value):
    """Why LOG_FORMAT cannot be used, or None."""
    if (value or "text").lower() not in LOG_FORMATS:
        return f"LOG_FORMAT={value!r} is not known; use 'text' or 'json'."
    return None
