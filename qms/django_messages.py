"""Django's own validation messages that users read in the portal's forms, declared here so that the project's
catalogue (LOCALE_PATHS, read before Django's) gives them proper Chinese: Django's zh_Hans catalogue ends them
with an ASCII period ("确认小数不超过 2 位.") or runs two sentences together. Nothing imports this module; it
is read by makemessages."""
from django.utils.translation import gettext_noop, ngettext_lazy

MESSAGES = [
    ngettext_lazy("Ensure that there are no more than %(max)s digit in total.",
                  "Ensure that there are no more than %(max)s digits in total.", "max"),
    ngettext_lazy("Ensure that there are no more than %(max)s decimal place.",
                  "Ensure that there are no more than %(max)s decimal places.", "max"),
    gettext_noop("Please correct the duplicate data for %(field)s, which must be unique."),
    gettext_noop("Please correct the duplicate data."),
    gettext_noop("Please correct the duplicate data for %(field)s."),
]
