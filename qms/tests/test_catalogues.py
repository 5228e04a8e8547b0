"""Every user-facing string is in both catalogues: makemessages, run into a copy of the catalogues, finds no
message without its Chinese and English translation (and none marked fuzzy, which Django would not use)."""
import shutil
import subprocess

import pytest
from django.conf import settings
from django.core.management import call_command

pytestmark = pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext is not installed")


def untranslated(po_path) -> list[str]:
    """msgids of entries whose msgstr is empty or that are marked fuzzy (header excluded)."""
    missing = []
    text = po_path.read_text(encoding="utf-8") + "\n\n"
    for block in text.split("\n\n"):
        lines = [line for line in block.strip().splitlines() if not line.startswith("#~")]
        if not lines:
            continue
        msgid = "".join(line.split('"', 1)[1].rsplit('"', 1)[0] for line in _part(lines, "msgid "))
        if not msgid:
            continue
        strings = [_part(lines, prefix) for prefix in ("msgstr ", "msgstr[0] ", "msgstr[1] ")]
        values = ["".join(line.split('"', 1)[1].rsplit('"', 1)[0] for line in part) for part in strings if part]
        if any("fuzzy" in line for line in lines if line.startswith("#,")) or not values or not all(values):
            missing.append(msgid)
    return missing


def _part(lines, prefix):
    """The lines of one field of an entry: its first line and the continuation lines after it."""
    for index, line in enumerate(lines):
        if line.startswith(prefix):
            part = [line]
            for following in lines[index + 1:]:
                if not following.startswith('"'):
                    break
                part.append(following)
            return part
    return []


def test_every_message_is_translated_into_chinese_and_english(tmp_path, settings, monkeypatch):
    # makemessages writes beside the sources it reads: give it links to them in a folder of its own, with a copy
    # of the catalogues, so that the repository's catalogues are not touched
    locale = tmp_path / "locale"
    shutil.copytree(settings.BASE_DIR / "locale", locale)
    for source in settings.BASE_DIR.iterdir():
        if source.name not in {"locale", ".venv", ".git", "data", "benchmarks", "node_modules"} and (
                source.is_dir() and ((source / "__init__.py").exists() or source.name == "templates")):
            (tmp_path / source.name).symlink_to(source)
    settings.LOCALE_PATHS = [locale]
    monkeypatch.chdir(tmp_path)
    call_command("makemessages", locale=["zh_Hans", "en"], no_location=True, no_obsolete=True, verbosity=0,
                 symlinks=True, ignore_patterns=["node_modules/*"])
    for language in ("zh_Hans", "en"):
        missing = untranslated(locale / language / "LC_MESSAGES" / "django.po")
        assert not missing, f"{language}: {len(missing)} messages without a translation, e.g. {missing[:5]}"
    # the compiled catalogues in the repository are those of the sources
    for language in ("zh_Hans", "en"):
        po = settings.BASE_DIR / "locale" / language / "LC_MESSAGES" / "django.po"
        subprocess.run(["msgfmt", "--check-format", "-o", "/dev/null", str(po)], check=True)
