"""English and Japanese: the catalog is complete, every page and state reads in Japanese with no
English left, the language comes from Accept-Language, the switcher and the account, and SMS,
rule errors, dates and phone numbers follow the reader's language."""
import datetime
import html as html_lib
import re
import pathlib

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from conftest import PHONE_E164, deliver_mail, make_test_app
from test_gallery import LABELS as GALLERY

ROOT = pathlib.Path(__file__).resolve().parent.parent
PO = ROOT / "translations" / "ja" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
KEYWORDS = ["-k", "N_", "-k", "N_plural:1,2", "-k", "_l"]  # as in the Makefile's BABEL_KEYWORDS
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def japanese_catalog():
    with open(PO, "rb") as handle:
        return read_po(handle, locale="ja")


def extracted(tmp_path):
    """What `make translations-update` would extract from the code and templates today."""
    pot = tmp_path / "messages.pot"
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), *KEYWORDS,
                                "--no-location", "-o", str(pot), str(ROOT)])
    with open(pot, "rb") as handle:
        return read_po(handle)


def key(message):
    return message.id[0] if isinstance(message.id, tuple) else message.id


def strings(message):
    return tuple(message.string) if isinstance(message.string, (tuple, list)) else (message.string,)


def test_every_string_in_the_code_and_templates_has_a_japanese_translation(tmp_path):
    catalog = japanese_catalog()
    source = extracted(tmp_path)
    assert len(source) > 150  # templates, forms, flashes, rules' errors, SMS, event labels
    missing, fuzzy, empty = [], [], []
    for message in source:
        if not message.id:
            continue
        translated = catalog.get(message.id)
        if translated is None:
            missing.append(key(message))
        elif translated.fuzzy:
            fuzzy.append(key(message))
        elif not all(s.strip() for s in strings(translated)):
            empty.append(key(message))
    assert not missing, f"not in messages.po (run make translations-update): {missing}"
    assert not fuzzy, f"fuzzy in messages.po: {fuzzy}"
    assert not empty, f"untranslated in messages.po: {empty}"


def test_translations_keep_their_placeholders_and_the_compiled_catalog_is_current():
    catalog = japanese_catalog()
    problems = [(key(message), [str(e) for e in errors]) for message, errors in catalog.check()]
    assert not problems
    for message in catalog:
        if message.id:
            wanted = set(PLACEHOLDER.findall(key(message)))
            for translated in strings(message):
                assert set(PLACEHOLDER.findall(translated)) == wanted, key(message)
    with open(MO, "rb") as handle:
        compiled = read_mo(handle)
    for message in catalog:
        if message.id and not message.fuzzy and all(strings(message)):
            found = compiled.get(message.id)
            assert found is not None and tuple(strings(found)) == tuple(strings(message)), \
                f"messages.mo is older than messages.po (run make translations): {key(message)}"


def english_phrases():
    """The English text of every catalog entry whose Japanese differs: what must not show in Japanese."""
    phrases = set()
    catalog = japanese_catalog()
    japanese = " ".join(s for message in catalog if message.id for s in strings(message))
    for message in catalog:
        if not message.id or any(s == key(message) for s in strings(message)):
            continue
        for msgid in (message.id if isinstance(message.id, tuple) else (message.id,)):
            for part in re.split(r"%\(\w+\)[sd]|<[^>]+>|[“”\"]", msgid):
                part = part.strip(" .,:;()")
                if len(part) >= 2 and re.search(r"[A-Za-z]{2}", part) and part not in japanese:  # e.g. UTC, SMS
                    phrases.add(part)
    return phrases


def visible_text(page):
    """What a person can read or hear: text, titles and the texts scripts put on the page."""
    attributes = re.findall(r'(?:aria-label|title|placeholder|alt|data-[\w-]*text)="([^"]*)"', page)
    body = re.sub(r"<head>.*?</head>", lambda m: " ".join(re.findall(r"<title>(.*?)</title>", m.group(0))),
                  page, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return html_lib.unescape(" ".join([body, *attributes]))


def english_left(page, phrases):
    text = visible_text(page)
    return sorted(p for p in phrases if re.search(rf"(?<![A-Za-z]){re.escape(p)}(?![A-Za-z])", text))


@pytest.fixture
def ja(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ja,en-US;q=0.7,en;q=0.3"
    return client


def test_every_page_and_state_in_the_gallery_reads_in_japanese(ja):
    phrases = english_phrases()
    assert {"Continue", "Resend", "Edit", "Copy Code", "Try another method", "To enable", "Unsubscribe"} <= phrases
    leftovers = {}
    for slug in GALLERY:
        for url in (f"/dev/gallery/{slug}", f"/dev/gallery/{slug}?fragment=1"):
            response = ja.get(url)
            assert response.status_code == 200, url
            page = response.get_data(as_text=True)
            left = english_left(page, phrases)
            if left:
                leftovers[url] = left
    assert not leftovers
    page = ja.get("/dev/gallery/account-on").get_data(as_text=True)
    assert '<html lang="ja">' in page and "二段階認証" in page and "登録解除" in page and "オフ" in page


def test_the_help_articles_labels_in_each_language(client, ja):
    english = client.get("/dev/gallery/wizard-recovery", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Copy Code" in english and "Try another method" in english and '<html lang="en">' in english
    japanese = ja.get("/dev/gallery/wizard-passcode").get_data(as_text=True)
    for label in ("続ける", "編集", "再送信", "二段階認証"):
        assert label in japanese
    assert "コードをコピー" in ja.get("/dev/gallery/wizard-recovery").get_data(as_text=True)
    assert "安全な場所に保管しました" in ja.get("/dev/gallery/wizard-confirm").get_data(as_text=True)
    assert "別の方法を試す" in ja.get("/dev/gallery/signin-passcode").get_data(as_text=True)
    assert "有効にする" in ja.get("/dev/gallery/account-not-set-up").get_data(as_text=True)


@pytest.mark.parametrize("header, lang", [
    (None, "en"), ("ja", "ja"), ("ja-JP,ja;q=0.9", "ja"), ("en-GB,en;q=0.9,ja;q=0.8", "en"),
    ("fr-FR,ja;q=0.5", "ja"), ("fr-FR,de", "en"), ("*", "en"), ("x" * 300, "en"),
])
def test_the_language_comes_from_accept_language(client, header, lang):
    headers = {"Accept-Language": header} if header else {}
    response = client.get("/signin", headers=headers)
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in response.get_data(as_text=True)


def test_the_switcher_is_a_plain_link_and_is_remembered(client):
    page = client.get("/signin?next=/account").get_data(as_text=True)
    switcher = re.search(r'<nav class="language-switcher"[^>]*>(.*?)</nav>', page, re.S)
    assert switcher and "hx-" not in switcher.group(0)
    assert 'href="/language/ja?next=/signin?next%3D/account" lang="ja" hreflang="ja"' in switcher.group(1)
    assert 'lang="en" hreflang="en" aria-current="true">English</a>' in switcher.group(1)

    response = client.get("/language/ja?next=/signin?next%3D/account")
    assert response.status_code == 303 and response.headers["Location"] == "/signin?next=/account"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=ja;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Expires=" in cookie
    # Remembered, whatever the browser asks for.
    page = client.get("/signin", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="ja">' in page and "ログイン" in page
    assert 'lang="ja" hreflang="ja" aria-current="true">日本語</a>' in page

    back = client.get("/language/en?next=/signin")
    assert back.headers["Set-Cookie"].startswith("lang=en;")
    assert '<html lang="en">' in client.get("/signin", headers={"Accept-Language": "ja"}).get_data(as_text=True)


def test_the_switcher_refuses_bad_input_and_foreign_redirects(client):
    assert client.get("/language/xx?next=/").status_code == 404
    assert client.get("/language/ja").headers["Location"] == "/"
    assert client.get("/language/ja?next=//evil.example/").headers["Location"] == "/"
    assert client.get("/language/ja?next=https://evil.example/").headers["Location"] == "/"
    assert client.get("/language/ja?next=/%5C%5Cevil.example").headers["Location"] == "/"


def saved_locale():
    from models import User, db

    with db.connection_context():
        return User.get(User.email == "ann@example.com").locale


def test_a_link_from_another_site_cannot_change_the_accounts_language(client, auth):
    auth.signup()
    client.get("/language/ja?next=/account", headers={"Sec-Fetch-Site": "cross-site"})
    client.get("/language/ja?next=/account", headers={"Referer": "https://evil.example/page"})
    client.get("/language/ja?next=/account")  # neither header: not known to come from this site
    assert saved_locale() is None
    client.get("/language/ja?next=/account", headers={"Referer": "http://localhost/account"})
    assert saved_locale() == "ja"
    client.get("/language/en?next=/account", headers={"Sec-Fetch-Site": "same-origin"})
    assert saved_locale() == "en"


def test_an_account_keeps_its_language_on_another_browser(app, client, auth):
    auth.signup()
    assert saved_locale() is None  # the browser's, until chosen
    client.get("/language/ja?next=/account", headers={"Sec-Fetch-Site": "same-origin"})
    assert saved_locale() == "ja"
    auth.signout()

    other = app.test_client()  # another browser: no cookie, English Accept-Language
    assert '<html lang="en">' in other.get("/signin").get_data(as_text=True)
    from conftest import Auth

    Auth(other, None).signin()
    page = other.get("/account").get_data(as_text=True)
    assert '<html lang="ja">' in page and "個人情報" in page


def test_signing_up_after_choosing_japanese_remembers_japanese(app, client, auth):
    client.get("/language/ja?next=/signup")
    auth.signup()
    assert saved_locale() == "ja"


def test_the_sms_is_written_in_the_readers_language_and_keeps_the_origin_bound_line(ja, auth, outbox):
    auth.signup()
    auth.enrol()
    sms = outbox.messages()[-1]
    code = outbox.last_code()
    assert "コード" in sms and "5分" in sms and "beSTREAM" in sms and code in sms
    assert sms.endswith(f"\n@localhost #{code}")
    assert "passcode" not in sms and "expires" not in sms


def test_the_sms_text_is_made_without_flask():
    from twostep.challenges import passcode_message
    from twostep.policy import Policy

    policy = Policy(passcode_key=b"k", public_host="example.com", passcode_ttl=300)
    english = passcode_message(policy, "123456")
    assert english == ("beSTREAM: your passcode is 123456. It expires in 5 minutes. Do not share it with anyone."
                       "\n@example.com #123456")
    japanese = passcode_message(policy, "123456", "ja")
    assert japanese == "【beSTREAM】コード123456（5分有効）他言無用\n@example.com #123456"
    one_minute = Policy(passcode_key=b"k", passcode_ttl=60)
    assert "It expires in 1 minute." in passcode_message(one_minute, "654321", "en")


def test_the_rules_stay_free_of_flask():
    for path in [*sorted((ROOT / "accounts").glob("*.py")), *sorted((ROOT / "core").glob("*.py")),
                 *sorted((ROOT / "twostep").glob("*.py"))]:
        source = path.read_text()
        assert not re.search(r"^\s*(from|import) flask", source, re.M), path.name


def test_rule_errors_flashes_and_form_messages_are_translated(ja, auth, outbox):
    empty = ja.post("/signin", data={"email": "", "password": ""})
    assert empty.status_code == 422 and "メールアドレスを入力してください。" in empty.get_data(as_text=True)
    auth.signup()
    short = ja.post("/two-step/phone", data={"phone": "090-1234"})
    assert short.status_code == 422 and "この電話番号は無効です。" in short.get_data(as_text=True)
    ja.post("/two-step/phone", data={"phone": "090-1234-5678"})
    code = outbox.last_code()
    wrong = ja.post("/two-step/passcode", data={"code": "000000" if code != "000000" else "111111"})
    assert "パスコードが正しくありません。このパスコードはあと4回入力できます。" in wrong.get_data(as_text=True)
    resend = ja.post("/two-step/resend")
    assert resend.status_code == 429 and re.search(r"\d+秒後に再送信できます。", resend.get_data(as_text=True))
    wrong_current = ja.post("/account/password", data={"current": "not my password", "password": "a new password"})
    assert "現在のパスワードが正しくありません。" in wrong_current.get_data(as_text=True)
    auth.signout()
    assert "ログアウトしました。" in ja.get("/signin").get_data(as_text=True)


# Shown in the site's TIME_ZONE (Asia/Tokyo by default, UTC+9): 03:28 UTC is 12:28 JST, and 23:28 UTC
# is a one-digit hour the next day in Tokyo (Babel's Japanese pattern would write "8:28").
# The clock is set, not read.
TWO_HOURS = [
    (datetime.datetime(2026, 12, 2, 3, 28), "Dec 9, 2026, 12:28 JST", "2026年12月9日 12:28 JST"),
    (datetime.datetime(2026, 12, 2, 23, 28), "Dec 10, 2026, 08:28 JST", "2026年12月10日 08:28 JST"),
]


@pytest.mark.parametrize("start, english_until, japanese_until", TWO_HOURS, ids=["03h", "23h"])
def test_dates_and_phone_numbers_follow_the_language(client, auth, outbox, clock,
                                                     start, english_until, japanese_until):
    clock.set(start)
    auth.signup()
    auth.enrol()
    auth.signout()
    auth.signin_with_passcode()
    auth.step_up()
    assert client.post("/two-step/off").headers["Location"] == "/account"  # back on by itself in 7 days

    english = client.get("/account", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "+81 ••••••••78" in english
    assert english_until in english

    japanese = client.get("/account", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "•••-••••-••78" in japanese and PHONE_E164 not in japanese
    assert f"{japanese_until}までオフ" in japanese and "（UTC）" not in japanese
    activity = client.get("/account/activity", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "二段階認証を一時的にオフ" in activity and japanese_until in activity
    assert japanese_until.replace(" 0", " ") not in activity.replace(japanese_until, "")  # no "3:28" anywhere


def test_a_missing_catalog_falls_back_to_english(tmp_path):
    app = make_test_app(tmp_path, BABEL_TRANSLATION_DIRECTORIES=str(tmp_path / "none"))
    page = app.test_client().get("/signin", headers={"Accept-Language": "ja"})
    assert page.status_code == 200 and "Sign in" in page.get_data(as_text=True)


def test_security_emails_are_written_in_the_language_the_user_chose(app, client, auth, outbox, clock):
    from models import MailMessage, db
    from accounts.notices import describe_browser

    clock.set(datetime.datetime(2026, 12, 2, 0, 46))  # a one-digit hour: the e-mail writes it as pages do
    client.get("/language/ja?next=/signup")
    auth.signup()
    auth.enrol()
    deliver_mail(app)
    with db.connection_context():
        mail = MailMessage.select().order_by(MailMessage.id.desc()).first()
    assert mail.subject == "【beSTREAM】二段階認証を設定しました"
    assert mail.body.startswith("Ann様\n") and "日時：" in mail.body and "UTC" not in mail.body
    assert "日時：2026年12月2日 09:46 JST" in mail.body  # 00:46 UTC, in the site's zone
    assert "パスコードの送信先：•••-••••-••78" in mail.body and PHONE_E164 not in mail.body
    assert describe_browser("Mozilla/5.0 (Windows NT 10.0) Chrome/131.0 Safari/537.36", "ja") == "Windows の Chrome"
    assert describe_browser("curl/8.0", "ja") == "不明なブラウザ"


def test_no_message_is_written_in_english_where_it_cannot_be_translated():
    """Rules raise with message ids (constants marked N_), views flash and show translated text:
    a literal English sentence there would reach Japanese readers untranslated."""
    rules = [ROOT / "help_articles.py", *sorted((ROOT / "accounts").glob("*.py")), *sorted((ROOT / "core").glob("*.py")),
             *sorted((ROOT / "twostep").glob("*.py"))]
    for path in rules:
        source = path.read_text()
        assert not re.search(r"raise \w+\(\s*f?[\"']", source), f"{path.name}: raise with a literal message"
    for path in sorted((ROOT / "views").glob("*.py")):
        source = path.read_text()
        assert not re.search(r"flash\(\s*f?[\"']", source), f"{path.name}: flash() with a literal message"
        assert not re.search(r"\berror\s*=\s*f?[\"'][A-Z]", source), f"{path.name}: an English error literal"
