"""The numbers the rules enforce, taken from the app's settings.

Defaults follow docs/security-checklist (marked *policy* there); operators
and load tests change them through the environment (see config.py).
"""
import dataclasses
import hashlib

from twostep.sealed import derive_key


@dataclasses.dataclass(frozen=True)
class Policy:
    passcode_key: bytes
    # AES-GCM key for secrets stored encrypted (authenticator apps), from SECRET_KEY too.
    sealing_key: bytes = b""
    site_name: str = "beSTREAM"
    public_host: str = "localhost"
    phone_region: str = "JP"
    allowed_countries: frozenset = frozenset({"JP"})
    passcode_ttl: int = 300
    passcode_max_attempts: int = 5
    lockout_failures: int = 10
    lockout_minutes: int = 15
    pending_signin_minutes: int = 10
    reauth_minutes: int = 10
    off_max_days: int = 7
    resend_cooldown: int = 30
    sms_per_account_hour: int = 5
    sms_per_account_day: int = 10
    sms_per_number_hour: int = 5
    sms_per_number_day: int = 10
    sms_new_numbers_per_account_day: int = 3
    sms_per_ip_day: int = 20
    sms_per_ip_day_all: int = 50
    sms_setup_to_taken_number_day: int = 1
    sms_daily_limit: int = 1000
    sms_signin_reserve_percent: int = 50
    password_free_failures: int = 5
    password_max_delay_minutes: int = 60

    @classmethod
    def from_settings(cls, config):
        """Build the policy from a Flask config (or any mapping of settings)."""
        countries = config.get("SMS_ALLOWED_COUNTRIES") or ""
        # A key of its own for passcode HMACs, derived so that one SECRET_KEY
        # is all an operator has to manage.
        key = hashlib.sha256(b"passcode-hmac:" + config["SECRET_KEY"].encode()).digest()
        return cls(
            passcode_key=key,
            sealing_key=derive_key(config["SECRET_KEY"]),
            site_name=config["SITE_NAME"],
            public_host=config["PUBLIC_HOST"],
            phone_region=config["PHONE_REGION"].upper(),
            allowed_countries=frozenset(c.strip().upper() for c in countries.split(",") if c.strip()),
            passcode_ttl=config["PASSCODE_TTL_SECONDS"],
            passcode_max_attempts=config["PASSCODE_MAX_ATTEMPTS"],
            lockout_failures=config["LOCKOUT_FAILURES"],
            lockout_minutes=config["LOCKOUT_MINUTES"],
            pending_signin_minutes=config["PENDING_SIGNIN_MINUTES"],
            reauth_minutes=config["REAUTH_MINUTES"],
            off_max_days=config["TWO_STEP_OFF_MAX_DAYS"],
            resend_cooldown=config["SMS_RESEND_COOLDOWN_SECONDS"],
            sms_per_account_hour=config["SMS_PER_ACCOUNT_HOUR"],
            sms_per_account_day=config["SMS_PER_ACCOUNT_DAY"],
            sms_per_number_hour=config["SMS_PER_NUMBER_HOUR"],
            sms_per_number_day=config["SMS_PER_NUMBER_DAY"],
            sms_new_numbers_per_account_day=config["SMS_NEW_NUMBERS_PER_ACCOUNT_DAY"],
            sms_per_ip_day=config["SMS_PER_IP_DAY"],
            sms_per_ip_day_all=config["SMS_PER_IP_DAY_ALL"],
            sms_setup_to_taken_number_day=config["SMS_SETUP_TO_TAKEN_NUMBER_DAY"],
            sms_daily_limit=config["SMS_DAILY_LIMIT"],
            sms_signin_reserve_percent=max(0, min(100, config["SMS_SIGNIN_RESERVE_PERCENT"])),
            password_free_failures=config["PASSWORD_FREE_FAILURES"],
            password_max_delay_minutes=config["PASSWORD_MAX_DELAY_MINUTES"],
        )
